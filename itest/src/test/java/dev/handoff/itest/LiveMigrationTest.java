package dev.handoff.itest;

import dev.handoff.security.Role;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.cli.HandoffProcess;
import dev.handoff.cli.Topology;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live migration between two real agent processes with real Linux peers, driven by the
 * operator's commands ({@code handoff conns}, {@code move}, {@code move-vip}) over the control
 * API, every test under the transparency audit in the peer's namespace.
 */
class LiveMigrationTest {
    static final String A = Topology.HOST_A_IP + ":7700";
    static final String B = Topology.HOST_B_IP + ":7700";

    @TempDir
    Path dir;
    Path www;
    Topology net;
    HandoffProcess a;
    HandoffProcess b;
    PeerAudit audit;

    @BeforeEach
    void agents() throws Exception {
        www = Files.createDirectories(dir.resolve("www"));
        net = Topology.create();
        a = HandoffProcess.start(net.hostA(), dir, net.pki().agent("--name", "a", "--interface", Topology.IFACE,
                "--vip", Topology.VIP + "/" + Topology.PREFIX, "--files", www.toString(), "--echo-port", "7", "--control", A));
        b = HandoffProcess.start(net.hostB(), dir, net.pki().agent("--name", "b", "--interface", Topology.IFACE,
                "--files", www.toString(), "--echo-port", "7", "--control", B));
        audit = PeerAudit.start(net, dir);
    }

    @AfterEach
    void cleanUp() throws Exception {
        audit.close();
        b.close();
        a.close();
        net.close();
    }

    /** Runs a handoff operator command in host-a's namespace (where both agents' control ports are reachable). */
    Shell.Result operator(String... args) throws Exception {
        return Shell.handoff(net.hostA(), 300, net.pki().with(Role.OPERATOR, args));
    }

    /** The id of the only connection at agent a, once it shows. */
    String onlyConnection() throws Exception {
        for (int i = 0; i < 100; i++) {
            String json = operator("conns", "--agent", A, "--json").out();
            if (json.contains("\"id\"")) {
                assertTrue(json.contains("\"state\":\"ESTABLISHED\"") && json.contains("\"peerPort\""), json);
                return json.replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1").strip();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no connection showed in handoff conns:\n" + a.log());
    }

    void assertAuditClean(int moves) throws Exception {
        PeerAudit.Report r = audit.finish();
        System.out.println("audit: " + r.summary());
        assertTrue(r.clean(), r.text());
        assertTrue(r.total("maxSenderSwitches") <= moves, "one sender at a time: " + r.text());
    }

    @Test
    void a512MegabyteDownloadMovesEvery100msAndArrivesIntact() throws Exception {
        Shell.randomFile(www, "512m.bin", 512L << 20, 21);
        Path got = dir.resolve("got.bin");
        Process curl = new ProcessBuilder(Topology.in(net.peer(), "curl", "-sS", "--fail", "--limit-rate", "16M", "-o",
                got.toString(), "http://" + Topology.VIP + "/512m.bin")).redirectErrorStream(true).start();
        String id = onlyConnection();
        Shell.Result moves = operator("move", id, "--agent", A, "--to", B, "--repeat", "60", "--interval-ms", "100");
        assertEquals(0, moves.exit(), moves.out() + moves.err() + a.log() + b.log());
        assertTrue(moves.out().contains("moves=60 "), moves.out());
        System.out.println("512 MB download, 60 moves: " + moves.out().lines().reduce((x, y) -> y).orElse(""));

        assertTrue(curl.waitFor(180, TimeUnit.SECONDS), "curl finished");
        assertEquals(0, curl.exitValue(), new String(curl.getInputStream().readAllBytes()) + a.log() + b.log());
        assertEquals(Shell.sha256(www.resolve("512m.bin")), Shell.sha256(got), "the file arrived intact");
        assertEquals(30, a.lines("moved-out").size(), a.log());
        assertEquals(30, b.lines("moved-out").size(), b.log());
        assertAuditClean(60);
    }

    @Test
    void socatEchoes64MegabytesBothWaysAcross50Moves() throws Exception {
        Path in = Shell.randomFile(dir, "echo-in.bin", 64L << 20, 9);
        Path out = dir.resolve("echo-out.bin");
        String pace = System.getProperty("handoff.launcher") + " probe pace --rate 3000000";
        Process socat = new ProcessBuilder(Topology.in(net.peer(), "sh", "-c",
                pace + " < " + in + " | socat -t 30 -b 65536 - TCP:" + Topology.VIP + ":7 > " + out))
                .redirectErrorStream(true).start();
        String id = onlyConnection();
        Shell.Result moves = operator("move", id, "--agent", A, "--to", B, "--repeat", "50", "--interval-ms", "100");
        assertEquals(0, moves.exit(), moves.out() + moves.err() + a.log() + b.log());
        System.out.println("64 MB echo, 50 moves: " + moves.out().lines().reduce((x, y) -> y).orElse(""));
        assertTrue(socat.waitFor(120, TimeUnit.SECONDS), "socat finished");
        assertEquals(0, socat.exitValue(), new String(socat.getInputStream().readAllBytes()) + a.log() + b.log());
        assertEquals(Shell.sha256(in), Shell.sha256(out), "every byte came back, in order");
        assertAuditClean(50);
    }

    @Test
    void aVipWithAThousandIdleConnectionsMovesAndEveryOneStillEchoes() throws Exception {
        Process hold = new ProcessBuilder(Topology.in(net.peer(), System.getProperty("handoff.launcher"), "probe", "hold",
                Topology.VIP, "7", "--count", "1000")).redirectErrorStream(true).start();
        BufferedReader said = new BufferedReader(new InputStreamReader(hold.getInputStream(), StandardCharsets.UTF_8));
        OutputStream ask = hold.getOutputStream();
        try {
            assertEquals("held 1000", said.readLine());
            String[][] legs = {{A, B}, {B, A}};
            for (String[] leg : legs) {
                Shell.Result moved = operator("move-vip", Topology.VIP, "--agent", leg[0], "--to", leg[1]);
                assertEquals(0, moved.exit(), moved.out() + moved.err() + a.log() + b.log());
                assertTrue(moved.out().contains("with 1000 connections"), moved.out());
                System.out.println("VIP move: " + moved.out().strip());
                ask.write("check\n".getBytes(StandardCharsets.UTF_8));
                ask.flush();
                assertEquals("echoed 1000/1000", said.readLine(), a.log() + b.log());
            }
        } finally {
            hold.destroyForcibly();
        }
        Shell.Result refused = operator("move", "10.77.0.100:7-10.77.0.2:1", "--agent", A, "--to", B);
        assertEquals(1, refused.exit(), refused.out() + refused.err());
        assertTrue(refused.err().contains("no connection"), refused.err());
        PeerAudit.Report r = audit.finish();
        System.out.println("audit: " + r.summary());
        assertTrue(r.total("violations") == 0 && r.total("captureDropped") == 0, r.text());
    }
}
