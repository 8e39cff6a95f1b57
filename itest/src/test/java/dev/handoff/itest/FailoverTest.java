package dev.handoff.itest;

import dev.handoff.security.Role;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.cli.HandoffProcess;
import dev.handoff.cli.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resurrection after kill -9 (issue 5): two agent processes checkpoint into one store
 * process; the serving agent is killed mid-transfer and the other takes the VIP with every
 * connection from its last checkpoint; real Linux peers, under the transparency audit.
 */
class FailoverTest {
    static final String A = Topology.HOST_A_IP + ":7700";
    static final String B = Topology.HOST_B_IP + ":7700";
    static final String STORE = Topology.HOST_B_IP + ":7800";

    @TempDir
    Path dir;
    Path www;
    Topology net;
    HandoffProcess store;
    HandoffProcess a;
    HandoffProcess b;
    PeerAudit audit;

    @BeforeEach
    void agents() throws Exception {
        www = Files.createDirectories(dir.resolve("www"));
        net = Topology.create();
        store = HandoffProcess.launch(net.hostB(), dir, "store serving", net.pki().with(Role.AGENT, "store", "--listen", STORE,
                "--dir", dir.resolve("store").toString()));
        a = HandoffProcess.start(net.hostA(), dir, net.pki().agent("--name", "a", "--interface", Topology.IFACE,
                "--vip", Topology.VIP + "/" + Topology.PREFIX, "--files", www.toString(), "--echo-port", "7",
                "--control", A, "--store", STORE, "--lease-ms", "1000"));
        b = HandoffProcess.start(net.hostB(), dir, net.pki().agent("--name", "b", "--interface", Topology.IFACE,
                "--files", www.toString(), "--echo-port", "7", "--control", B, "--store", STORE, "--lease-ms", "1000"));
        audit = PeerAudit.start(net, dir);
    }

    @AfterEach
    void cleanUp() throws Exception {
        audit.close();
        b.close();
        a.close();
        store.close();
        net.close();
    }

    Shell.Result operator(String... args) throws Exception {
        return Shell.handoff(net.hostB(), 60, net.pki().with(Role.OPERATOR, args));
    }

    /** Waits until agent a's only connection has written {@code bytes}; returns how many it had. */
    long awaitBytesOut(long bytes) throws Exception {
        for (int i = 0; i < 600; i++) {
            String json = operator("conns", "--agent", A, "--json").out();
            if (json.contains("\"bytesOut\"")) {
                long out = Long.parseLong(json.replaceAll("(?s).*\"bytesOut\":(\\d+).*", "$1").strip());
                if (out >= bytes) {
                    return out;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("agent a never wrote " + bytes + " bytes:\n" + a.log());
    }

    void assertAuditClean() throws Exception {
        PeerAudit.Report r = audit.finish();
        System.out.println("audit: " + r.summary());
        assertTrue(r.clean(), r.text() + "\n" + b.log());
        assertTrue(r.total("maxSenderSwitches") <= 1, "one sender at a time: " + r.text());
    }

    @Test
    void kill9DuringA256MegabyteDownloadAndTheDownloadCompletes() throws Exception {
        Shell.randomFile(www, "256m.bin", 256L << 20, 5);
        Path got = dir.resolve("got.bin");
        Process curl = new ProcessBuilder(Topology.in(net.peer(), "curl", "-sS", "--fail", "--limit-rate", "32M", "-o",
                got.toString(), "http://" + Topology.VIP + "/256m.bin")).redirectErrorStream(true).start();
        while (!Files.exists(got) || Files.size(got) < 48L << 20) {
            assertTrue(curl.isAlive(), "curl is downloading");
            Thread.sleep(20);
        }
        a.kill();
        long killedAt = System.nanoTime();
        Shell.Result r = operator("resurrect", "--vip", Topology.VIP, "--agent", B);
        assertEquals(0, r.exit(), r.out() + r.err() + b.log() + store.log());
        assertTrue(r.out().contains("with 1 connections"), r.out());
        long before = Files.size(got);
        while (Files.size(got) == before && curl.isAlive()) {
            Thread.sleep(1);
        }
        System.out.printf("kill -9 -> new data at the peer: %.0f ms; %s%n", (System.nanoTime() - killedAt) / 1e6,
                r.out().lines().findFirst().orElse(""));
        assertTrue(curl.waitFor(120, TimeUnit.SECONDS), "curl finished");
        assertEquals(0, curl.exitValue(), new String(curl.getInputStream().readAllBytes()) + b.log());
        assertEquals(Shell.sha256(www.resolve("256m.bin")), Shell.sha256(got), "the file arrived intact");
        assertAuditClean();
    }

    @Test
    void kill9DuringAStrictEchoBothWaysAndEveryByteComesBack() throws Exception {
        Path in = Shell.randomFile(dir, "echo-in.bin", 24L << 20, 3);
        Path out = dir.resolve("echo-out.bin");
        String pace = System.getProperty("handoff.launcher") + " probe pace --rate 3000000";
        Process socat = new ProcessBuilder(Topology.in(net.peer(), "sh", "-c",
                pace + " < " + in + " | socat -t 30 -b 65536 - TCP:" + Topology.VIP + ":7 > " + out))
                .redirectErrorStream(true).start();
        long echoed = awaitBytesOut(4L << 20);
        assertTrue(socat.isAlive(), "socat is echoing");
        a.kill();
        System.out.println("echo: agent a killed after echoing " + echoed + " bytes");
        Shell.Result r = operator("resurrect", "--vip", Topology.VIP, "--agent", B);
        assertEquals(0, r.exit(), r.out() + r.err() + b.log() + store.log());
        assertTrue(r.out().contains("with 1 connections"), r.out());
        assertTrue(socat.waitFor(120, TimeUnit.SECONDS), "socat finished");
        assertEquals(0, socat.exitValue(), new String(socat.getInputStream().readAllBytes()) + b.log());
        assertEquals(Shell.sha256(in), Shell.sha256(out), "every byte came back, in order");
        assertAuditClean();
    }
}
