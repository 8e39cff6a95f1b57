package dev.handoff.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.cli.Background;
import dev.handoff.cli.HandoffProcess;
import dev.handoff.cli.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfers of a few megabytes through our impairment relay between the peer and the
 * bridge at the top of the range the issue names: 5 % loss, 2 % reordering, 1 %
 * duplication, 0.1 % corruption and 5 ms of delay each way. Everything must still arrive
 * byte-exact. ({@link ImpairedPathTest} runs the full-size transfers at 1 % loss.)
 */
class HeavyLossPathTest {
    static final String BASE = "http://" + Topology.VIP;

    @TempDir
    static Path dir;
    static Path www;
    static Topology net;
    static HandoffProcess agent;
    static Background relay;

    @BeforeAll
    static void up() throws Exception {
        www = Files.createDirectories(dir.resolve("www"));
        Shell.randomFile(www, "4m.bin", 4 << 20, 11);
        Shell.randomFile(www, "1m.bin", 1 << 20, 12);
        net = Topology.createRelayed();
        relay = net.startRelay("--loss", "0.05", "--reorder", "0.02", "--duplicate", "0.01", "--corrupt", "0.001",
                "--delay-ms", "5", "--jitter-ms", "4", "--seed", "7");
        agent = HandoffProcess.start(net.hostA(), dir, "--name", "a", "--interface", Topology.IFACE,
                "--vip", Topology.VIP + "/" + Topology.PREFIX, "--files", www.toString(), "--echo-port", "7");
    }

    @AfterAll
    static void down() throws Exception {
        try {
            if (agent != null) {
                agent.stop();
                assertTrue(!agent.log().contains("stopped on an error"), agent.log());
                assertTrue(LinuxPeerTest.counter(agent.log(), "retransmits") > 0,
                        "the relay really lost frames: " + agent.lines("tcp counters"));
            }
            if (relay != null) {
                relay.close();
            }
        } finally {
            if (net != null) {
                net.close();
            }
        }
    }

    static List<String> peer(String... command) {
        return Topology.in(net.peer(), command);
    }

    @Test
    void curlDownloadIsByteExact() throws Exception {
        Path out = dir.resolve("got.bin");
        Shell.Result r = Shell.run(peer("curl", "-sS", "--fail", "-o", out.toString(), BASE + "/4m.bin"), null, 300);
        assertEquals(0, r.exit(), r.err() + "\n" + agent.log());
        assertEquals(Shell.sha256(www.resolve("4m.bin")), Shell.sha256(out));
    }

    @Test
    void rangeAndKeepAliveStillWork() throws Exception {
        Path out = dir.resolve("range.bin");
        Shell.Result r = Shell.run(peer("curl", "-sS", "-r", "5000-104999", "-o", out.toString(), "-w", "%{http_code}",
                BASE + "/1m.bin"), null, 120);
        assertEquals("206", r.out(), r.err());
        byte[] file = Files.readAllBytes(www.resolve("1m.bin"));
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(file, 5000, 105000), Files.readAllBytes(out)));
        r = Shell.run(peer("curl", "-sS", "--fail", "-o", "/dev/null", "-o", "/dev/null", BASE + "/1m.bin", BASE + "/1m.bin"),
                null, 120);
        assertEquals(0, r.exit(), r.err());
    }

    @Test
    void socatEchoIsByteExactBothWays() throws Exception {
        Path in = Shell.randomFile(dir, "echo-in.bin", 4 << 20, 13);
        Path out = dir.resolve("echo-out.bin");
        Shell.Result r = Shell.run(peer("sh", "-c", "socat -t 60 - TCP:" + Topology.VIP + ":7 > " + out), in, 300);
        assertEquals(0, r.exit(), r.err());
        assertEquals(Shell.sha256(in), Shell.sha256(out));
    }

    @Test
    void tenParallelDownloads() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--fail", "--parallel", "--parallel-max", "10"));
        for (int i = 0; i < 10; i++) {
            cmd.add("-o");
            cmd.add(dir.resolve("par-" + i).toString());
            cmd.add(BASE + "/1m.bin");
        }
        Shell.Result r = Shell.run(peer(cmd.toArray(String[]::new)), null, 300);
        assertEquals(0, r.exit(), r.err());
        String want = Shell.sha256(www.resolve("1m.bin"));
        for (int i = 0; i < 10; i++) {
            assertEquals(want, Shell.sha256(dir.resolve("par-" + i)));
        }
    }
}
