package dev.handoff.itest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.cli.HandoffProcess;
import dev.handoff.cli.Topology;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link LinuxPeerTest} with an agent of two event loops on the AF_PACKET
 * link, each loop with a socket of its own that the kernel fills with its flows' frames;
 * plus connections spread over both loops, on the AF_PACKET and on the pcap link.
 */
class MultiLoopPeerTest extends LinuxPeerTest {
    @Override
    String link() {
        return "af-packet";
    }

    @Override
    int loops() {
        return 2;
    }

    @Test
    void parallelConnectionsRunOnBothLoops() throws Exception {
        int before = agent.lines(" open ").size();
        parallelDownloads(BASE, 40);
        assertOnBothLoops(agent.lines(" open ").subList(before, agent.lines(" open ").size()));
    }

    /** Lines of connections opened, some on loop 0 and some on loop 1. */
    static void assertOnBothLoops(List<String> opened) {
        long zero = opened.stream().filter(l -> l.endsWith("on loop 0")).count();
        long one = opened.stream().filter(l -> l.endsWith("on loop 1")).count();
        assertTrue(zero > 0 && one > 0 && zero + one == opened.size(), zero + " connections opened on loop 0, " + one
                + " on loop 1: " + opened);
    }

    @Test
    void thePcapLinkSpreadsConnectionsOverLoopsToo() throws Exception {
        String vipB = "10.77.0.102";
        try (HandoffProcess b = HandoffProcess.start(net.hostB(), dir, "--name", "b2", "--interface", Topology.IFACE,
                "--vip", vipB + "/" + Topology.PREFIX, "--files", www.toString(), "--link", "pcap", "--loops", "2")) {
            parallelDownloads("http://" + vipB, 40);
            assertOnBothLoops(b.lines(" open "));
        }
    }
}
