package dev.handoff.itest;

import dev.handoff.cli.Topology;

/**
 * Every transfer of {@link LinuxPeerTest}, at full size (256 MB download, 64 MB echoed both
 * ways, 100 parallel connections, a reset, a closed window), through our impairment relay
 * between the peer and the bridge: 1 % loss, 2 % reordering, 1 % duplication, 0.1 %
 * corruption, 5 ms of delay each way. Everything must arrive byte-exact.
 * {@link HeavyLossPathTest} takes smaller transfers through 5 % loss.
 */
class ImpairedPathTest extends LinuxPeerTest {
    @Override
    String link() {
        return "af-packet";
    }

    @Override
    Topology topology() throws Exception {
        return relayed("--loss", "0.01", "--reorder", "0.02", "--duplicate", "0.01", "--corrupt", "0.001",
                "--delay-ms", "5", "--jitter-ms", "4", "--seed", "7");
    }

    @Override
    int transferSeconds() {
        return 900; // 256 MB at 1 % loss and a 10 ms RTT: about 3 min with loss-based congestion control
    }
}
