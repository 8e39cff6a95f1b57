package dev.handoff.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.cli.AgentProcess;
import dev.handoff.cli.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A curl download moves between two real agent processes, back and forth, with the
 * operator's commands ({@code handoff conns}, {@code handoff move}) over the control API:
 * the file arrives intact, curl never fails, and a refused move leaves the connection
 * running where it was.
 */
class LiveMigrationTest {
    static final String A = Topology.HOST_A_IP + ":7700";
    static final String B = Topology.HOST_B_IP + ":7700";

    static List<String> handoff(Topology net, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = System.getProperty("handoff.launcher");
        System.arraycopy(args, 0, cmd, 1, args.length);
        return Topology.in(net.hostA(), cmd);
    }

    @Test
    void aDownloadMovesBackAndForthAndArrivesIntact(@TempDir Path dir) throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        Shell.randomFile(www, "64m.bin", 64L << 20, 21);
        try (Topology net = Topology.create();
             AgentProcess a = AgentProcess.start(net.hostA(), dir, "--name", "a", "--interface", Topology.IFACE,
                     "--vip", Topology.VIP + "/" + Topology.PREFIX, "--files", www.toString(), "--control", A);
             AgentProcess b = AgentProcess.start(net.hostB(), dir, "--name", "b", "--interface", Topology.IFACE,
                     "--files", www.toString(), "--control", B)) {
            Path got = dir.resolve("got.bin");
            Process curl = new ProcessBuilder(Topology.in(net.peer(), "curl", "-sS", "--fail", "--limit-rate", "2M", "-o",
                    got.toString(), "http://" + Topology.VIP + "/64m.bin")).redirectErrorStream(true).start();
            String id = null;
            for (int i = 0; i < 50 && id == null; i++) {
                Thread.sleep(100);
                String json = Topology.run(handoff(net, "conns", "--agent", A, "--json"));
                if (json.contains("\"id\"")) {
                    id = json.replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1").strip();
                    assertTrue(json.contains("\"state\":\"ESTABLISHED\"") && json.contains("\"peerPort\""), json);
                }
            }
            assertTrue(id != null, "the download shows in handoff conns");
            String[] agents = {A, B};
            for (int i = 0; i < 6; i++) {
                String out = Topology.run(handoff(net, "move", id, "--agent", agents[i % 2], "--to", agents[(i + 1) % 2]));
                assertTrue(out.contains("freeze"), out);
            }
            // b does not serve echo: a move of an unknown connection is refused with the reason.
            Shell.Result refused = Shell.run(handoff(net, "move", "10.77.0.100:7-10.77.0.2:1", "--agent", A, "--to", B), null, 60);
            assertEquals(1, refused.exit(), refused.out() + refused.err());
            assertTrue(refused.err().contains("no connection"), refused.err());

            assertTrue(curl.waitFor(120, TimeUnit.SECONDS), "curl finished");
            assertEquals(0, curl.exitValue(), new String(curl.getInputStream().readAllBytes()) + a.log() + b.log());
            assertEquals(Shell.sha256(www.resolve("64m.bin")), Shell.sha256(got), "the file arrived intact");
            assertEquals(3, a.lines("moved out").size(), a.log());
            assertEquals(3, b.lines("moved out").size(), b.log());
        }
    }
}
