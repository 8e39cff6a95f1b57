package dev.handoff.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.cli.HandoffProcess;
import dev.handoff.cli.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Handoff agent in namespace host-a, real Linux kernel peers (curl, socat) in namespace
 * peer, on a bridge in its own namespace ({@link PeerFixture}): every kind of transfer at
 * full size. Subclasses change the link, the loops or the path.
 */
class LinuxPeerTest extends PeerFixture {
    /** The agent's link: this class tests pcap, a subclass the AF_PACKET link. */
    String link() {
        return "pcap";
    }

    /** Event loops of the agents: one here, several in a subclass. */
    int loops() {
        return 1;
    }

    @Override
    List<String> agentOptions() {
        return List.of("--link", link(), "--loops", Integer.toString(loops()));
    }

    @Override
    void files(Path www) throws Exception {
        Shell.randomFile(www, "1m.bin", 1 << 20, 1);
        Shell.randomFile(www, "256m.bin", 256L << 20, 2);
        Shell.randomFile(www, "3m.bin", 3 << 20, 3);
    }

    @Test
    void curlDownloadsOneMegabyte() throws Exception {
        download("1m.bin");
    }

    @Test
    void curlDownloads256Megabytes() throws Exception {
        download("256m.bin");
    }

    @Test
    void httpRangeRequests() throws Exception {
        byte[] file = Files.readAllBytes(www.resolve("1m.bin"));
        Path out = dir.resolve("range.bin");
        Shell.Result r = Shell.run(peer("curl", "-sS", "-r", "1000-1999", "-o", out.toString(), "-w", "%{http_code}",
                BASE + "/1m.bin"), null, 30);
        assertEquals("206", r.out());
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(file, 1000, 2000), Files.readAllBytes(out)));
        r = Shell.run(peer("curl", "-sS", "-r", "-500", "-o", out.toString(), "-w", "%{http_code}", BASE + "/1m.bin"), null, 30);
        assertEquals("206", r.out());
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(file, file.length - 500, file.length),
                Files.readAllBytes(out)));
        r = Shell.run(peer("curl", "-sS", "-r", "2000000-", "-o", "/dev/null", "-w", "%{http_code}", BASE + "/1m.bin"), null, 30);
        assertEquals("416", r.out());
    }

    @Test
    void errorsAreProperHttpAnswers() throws Exception {
        assertEquals("404", Shell.run(peer("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", BASE + "/nope"), null, 30).out());
        assertEquals("404", Shell.run(peer("curl", "-s", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
                BASE + "/../../../etc/passwd"), null, 30).out(), "no path escapes the root");
        assertEquals("405", Shell.run(peer("curl", "-s", "-X", "DELETE", "-o", "/dev/null", "-w", "%{http_code}",
                BASE + "/1m.bin"), null, 30).out());
        Shell.Result head = Shell.run(peer("curl", "-sS", "-I", BASE + "/1m.bin"), null, 30);
        assertTrue(head.out().contains("Content-Length: 1048576"), head.out());
        String huge = "x".repeat(20_000);
        assertEquals("431", Shell.run(peer("curl", "-s", "-H", "X-Big: " + huge, "-o", "/dev/null", "-w", "%{http_code}",
                BASE + "/1m.bin"), null, 30).out());
    }

    @Test
    void severalRequestsShareOneKeepAliveConnection() throws Exception {
        int opensBefore = agent.lines(" open ").size();
        Shell.Result r = Shell.run(peer("curl", "-sS", "-v", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
                BASE + "/1m.bin", BASE + "/3m.bin", BASE + "/1m.bin"), null, 60);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("Re-using existing connection") || r.err().contains("Reusing existing"), r.err());
        Thread.sleep(200);
        assertEquals(opensBefore + 1, agent.lines(" open ").size(), "one connection for three requests");
    }

    @Test
    void socatEchoes64MegabytesBothWays() throws Exception {
        echo(64L << 20, 9);
    }

    @Test
    void hundredParallelConnections() throws Exception {
        parallelDownloads(BASE, 100);
    }

    @Test
    void aPeerThatResetsMidTransferDisturbsNothingElse() throws Exception {
        // Killed 2 s in: mid-transfer at 20 MB/s, and long after a first SYN lost on a lossy path.
        Shell.Result r = Shell.run(peer("timeout", "-s", "KILL", "2", "curl", "-s", "-o", "/dev/null",
                "--limit-rate", "20M", BASE + "/256m.bin"), null, 30);
        assertTrue(r.exit() != 0, "curl was killed mid-transfer");
        long deadline = System.currentTimeMillis() + 10_000;
        while (agent.lines("connection reset by peer").isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(!agent.lines("connection reset by peer").isEmpty(), agent.log());
        download("1m.bin");
    }

    @Test
    void aPeerThatStopsReadingClosesItsWindowAndResumes() throws Exception {
        // A tiny receive buffer in the peer and a reader that pauses: its window closes, then reopens.
        // A second agent (host-b, its own VIP) so that its counters speak of this test only.
        String vipB = "10.77.0.101";
        Topology.run(Topology.in(net.peer(), "sysctl", "-q", "-w", "net.ipv4.tcp_rmem=4096 8192 16384"));
        try (HandoffProcess b = HandoffProcess.start(net.hostB(), dir, "--name", "b", "--interface", Topology.IFACE,
                "--vip", vipB + "/" + Topology.PREFIX, "--files", www.toString(), "--link", link(),
                "--loops", Integer.toString(loops()))) {
            Path out = dir.resolve("slow.bin");
            // Once data flows (a lossy path may first lose a SYN: 1 s), curl blocks on a full pipe for 2 s:
            // it stops reading, the kernel's buffer fills. dd takes exactly the first byte.
            Shell.Result r = Shell.run(peer("sh", "-c", "curl -sS http://" + vipB + "/3m.bin | (dd bs=1 count=1 status=none > " + out
                    + "; sleep 2; cat >> " + out + ")"),
                    null, transferSeconds());
            assertEquals(0, r.exit(), r.err());
            assertEquals(Shell.sha256(www.resolve("3m.bin")), Shell.sha256(out));
            b.stop();
            assertTrue(counter(b.log(), "zeroWindows") > 0, "the peer's window closed: " + b.lines("tcp counters"));
        } finally {
            Topology.run(Topology.in(net.peer(), "sysctl", "-q", "-w", "net.ipv4.tcp_rmem=4096 131072 6291456"));
        }
    }
}
