package dev.handoff.itest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.cli.Background;
import dev.handoff.cli.Topology;
import org.junit.jupiter.api.AfterAll;

/**
 * Every transfer of {@link LinuxPeerTest}, at full size (256 MB download, 64 MB echoed both
 * ways, 100 parallel connections, a reset, a closed window), through our impairment relay
 * between the peer and the bridge: 1 % loss, 2 % reordering, 1 % duplication, 0.1 %
 * corruption, 5 ms of delay each way. Everything must arrive byte-exact.
 * {@link HeavyLossPathTest} takes smaller transfers through 5 % loss.
 */
class ImpairedPathTest extends LinuxPeerTest {
    /** The relay, stopped after the agent. */
    private Background relay;

    @Override
    String link() {
        return "af-packet";
    }

    @Override
    Topology topology() throws Exception {
        Topology t = Topology.createRelayed();
        relay = t.startRelay("--loss", "0.01", "--reorder", "0.02", "--duplicate", "0.01", "--corrupt", "0.001",
                "--delay-ms", "5", "--jitter-ms", "4", "--seed", "7");
        return t;
    }

    @Override
    int transferSeconds() {
        return 900; // 256 MB at 1 % loss and a 10 ms RTT: about 3 min with loss-based congestion control
    }

    @Override
    @AfterAll
    void down() throws Exception {
        try {
            super.down();
            assertTrue(counter(agent.log(), "retransmits") > 0,
                    "the relay really lost frames: " + agent.lines("tcp counters"));
        } finally {
            if (relay != null) {
                relay.close();
            }
        }
    }
}
