package dev.handoff.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.cli.HandoffProcess;
import dev.handoff.cli.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code handoff agent --aot-cache FILE} through the real launcher: the first run trains the
 * JVM's ahead-of-time cache and writes it as it stops on SIGTERM; the next run starts with it;
 * a cache older than the jar is trained again. Needs root (namespaces).
 */
class AotCacheTest {
    @TempDir
    Path dir;

    @Test
    void theFirstRunTrainsTheCacheTheNextUsesItAndAStaleOneIsTrainedAgain() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        Shell.randomFile(www, "1m.bin", 1 << 20, 3);
        Path cache = dir.resolve("agent.aot");
        try (Topology net = Topology.create()) {
            assertEquals("training", run(net, www, cache), "no cache yet: this run trains it");
            assertTrue(Files.size(cache) > 1 << 20, "the JVM wrote the cache as the agent stopped: " + Files.size(cache));
            assertEquals("in use", run(net, www, cache));
            Files.setLastModifiedTime(cache, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
            assertEquals("training", run(net, www, cache), "a cache older than the jar is trained again");
            assertTrue(Files.getLastModifiedTime(cache).toInstant().isAfter(Instant.parse("2021-01-01T00:00:00Z")),
                    "and written anew");
        }
    }

    /** Runs an agent with the cache, downloads through it, stops it: what it said of the cache. */
    private String run(Topology net, Path www, Path cache) throws Exception {
        try (HandoffProcess agent = HandoffProcess.start(net.hostA(), dir, "--name", "a", "--interface", Topology.IFACE,
                "--vip", Topology.VIP + "/" + Topology.PREFIX, "--files", www.toString(), "--aot-cache", cache.toString())) {
            agent.awaitLog("AOT cache", 10);
            Path out = dir.resolve("got.bin");
            Shell.Result r = Shell.run(Topology.in(net.peer(), "curl", "-sS", "--fail", "-o", out.toString(),
                    "http://" + Topology.VIP + "/1m.bin"), null, 60);
            assertEquals(0, r.exit(), r.err() + "\n" + agent.log());
            assertEquals(Shell.sha256(www.resolve("1m.bin")), Shell.sha256(out));
            String said = agent.lines("AOT cache").getFirst();
            int exit = agent.stop();
            assertTrue(exit == 0 || exit == 143, "a clean exit (143: ended by SIGTERM), got " + exit + ":\n" + agent.log());
            return said.contains(": in use") ? "in use" : said.contains("training on this run") ? "training" : said;
        }
    }
}
