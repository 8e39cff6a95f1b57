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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One Handoff agent in namespace host-a serving files and echo on the VIP to real Linux
 * kernel peers (curl, socat) in namespace peer, set up once per class, and the transfers the
 * tests make through it, each checked byte for byte. Subclasses choose the agent's options,
 * the files and the path (a bridge, or an impairing relay between the peer and the bridge).
 * Needs root: in CI it fails, loudly, without it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PeerFixture {
    static final String VIP = Topology.VIP;
    static final String BASE = "http://" + VIP;

    /** Working directory of the class's tests (files served, downloads, logs). */
    Path dir;
    /** Files served. */
    Path www;
    /** The namespaces. */
    Topology net;
    /** The agent under test. */
    HandoffProcess agent;
    /** The impairing relay, when the path has one (stopped after the agent). */
    private Background relay;

    /** Options for the agent beyond its name, interface, VIP, files and echo port. */
    abstract List<String> agentOptions();

    /** Writes the files served into {@code www}. */
    abstract void files(Path www) throws Exception;

    /** The namespaces: peer and agents on one bridge; see {@link #relayed}. */
    Topology topology() throws Exception {
        return Topology.create();
    }

    /** Namespaces with our relay between the peer and the bridge, impairing frames with {@code options}. */
    final Topology relayed(String... options) throws Exception {
        Topology t = Topology.createRelayed();
        relay = t.startRelay(options);
        return t;
    }

    /** Longest a single transfer may take, seconds (a lossy path needs more). */
    int transferSeconds() {
        return 300;
    }

    @BeforeAll
    void up(@TempDir Path tmp) throws Exception {
        dir = tmp;
        www = Files.createDirectories(dir.resolve("www"));
        files(www);
        net = topology();
        List<String> args = new ArrayList<>(List.of("--name", "a", "--interface", Topology.IFACE,
                "--vip", VIP + "/" + Topology.PREFIX, "--files", www.toString(), "--echo-port", "7"));
        args.addAll(agentOptions());
        agent = HandoffProcess.start(net.hostA(), dir, args.toArray(String[]::new));
    }

    @AfterAll
    void down() throws Exception {
        try {
            if (agent != null) {
                int exit = agent.stop();
                assertTrue(exit == 0 || exit == 143, "agent exit code " + exit + " (143 = ended by SIGTERM)");
                assertTrue(agent.log().contains("stopping: closing connections"), agent.log());
                assertTrue(agent.log().contains("tcp counters:"), "clean shutdown reports counters");
                assertTrue(!agent.log().contains("stopped on an error"), agent.log());
                if (relay != null) {
                    assertTrue(counter(agent.log(), "retransmits") > 0,
                            "the relay really lost frames: " + agent.lines("tcp counters"));
                }
            }
        } finally {
            try {
                if (relay != null) {
                    relay.close();
                }
            } finally {
                if (net != null) {
                    net.close();
                }
            }
        }
    }

    List<String> peer(String... command) {
        return Topology.in(net.peer(), command);
    }

    /** curl downloads {@code name} in the peer namespace: byte-exact. */
    void download(String name) throws Exception {
        Path out = dir.resolve("got-" + name);
        Shell.Result r = Shell.run(peer("curl", "-sS", "--fail", "-o", out.toString(), BASE + "/" + name), null,
                transferSeconds());
        assertEquals(0, r.exit(), "curl: " + r.err() + "\nagent log:\n" + agent.log());
        assertEquals(Shell.sha256(www.resolve(name)), Shell.sha256(out), name + " arrived intact");
        Files.delete(out);
    }

    /** curl asks for bytes 5000..104999 of 1m.bin (206 and exactly those), then twice the file on one connection. */
    void rangeAndKeepAlive() throws Exception {
        Path out = dir.resolve("range.bin");
        Shell.Result r = Shell.run(peer("curl", "-sS", "-r", "5000-104999", "-o", out.toString(), "-w", "%{http_code}",
                BASE + "/1m.bin"), null, transferSeconds());
        assertEquals("206", r.out(), r.err());
        byte[] file = Files.readAllBytes(www.resolve("1m.bin"));
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(file, 5000, 105000), Files.readAllBytes(out)));
        r = Shell.run(peer("curl", "-sS", "--fail", "-o", "/dev/null", "-o", "/dev/null", BASE + "/1m.bin", BASE + "/1m.bin"),
                null, transferSeconds());
        assertEquals(0, r.exit(), r.err());
    }

    /** socat sends {@code bytes} of random data through echo and keeps what comes back: equal. */
    void echo(long bytes, int seed) throws Exception {
        Path in = Shell.randomFile(dir, "echo-in.bin", bytes, seed);
        Path out = dir.resolve("echo-out.bin");
        Shell.Result r = Shell.run(peer("sh", "-c", "socat -t 60 -b 65536 - TCP:" + VIP + ":7 > " + out), in,
                transferSeconds());
        assertEquals(0, r.exit(), r.err());
        assertEquals(Shell.sha256(in), Shell.sha256(out));
    }

    /** {@code count} curl downloads of 1m.bin from {@code base} at once, each checked. */
    void parallelDownloads(String base, int count) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--fail", "--parallel", "--parallel-max", Integer.toString(count)));
        for (int i = 0; i < count; i++) {
            cmd.add("-o");
            cmd.add(dir.resolve("par-" + i).toString());
            cmd.add(base + "/1m.bin");
        }
        Shell.Result r = Shell.run(peer(cmd.toArray(String[]::new)), null, transferSeconds());
        assertEquals(0, r.exit(), r.err());
        String want = Shell.sha256(www.resolve("1m.bin"));
        for (int i = 0; i < count; i++) {
            assertEquals(want, Shell.sha256(dir.resolve("par-" + i)), "download " + i);
        }
    }

    /** A counter from the lines the agent prints when it stops, or -1. */
    static long counter(String log, String name) {
        Matcher m = Pattern.compile(" " + name + "=(\\d+)").matcher(log);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
