package dev.handoff.cli;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AotCacheTest {
    @TempDir
    Path dir;

    @Test
    void saysWhetherTheJvmUsesTheCacheTrainsItOrWasStartedWithoutIt() {
        Path cache = dir.resolve("agent.aot");
        assertTrue(AotCache.describe(cache, List.of("-XX:+UseG1GC", "-XX:AOTCache=" + cache)).endsWith(": in use"
                + " (classes linked and methods profiled ahead of time)"));
        assertTrue(AotCache.describe(cache, List.of("-XX:AOTCacheOutput=" + dir + "/./agent.aot"))
                .contains("training on this run"), "the same file, spelt otherwise");
        assertTrue(AotCache.describe(cache, List.of("-XX:AOTCache=" + dir.resolve("other.aot"))).contains("NOT applied"));
        assertTrue(AotCache.describe(cache, List.of()).contains("start agents with the handoff launcher"));
    }

    @Test
    void aCacheThatCouldNeverBeWrittenIsRefusedNamingWhatToDo() throws Exception {
        var missing = assertThrows(IllegalArgumentException.class,
                () -> AotCache.describe(dir.resolve("no/such/dir/agent.aot"), List.of()));
        assertTrue(missing.getMessage().contains("create " + dir.resolve("no/such/dir")), missing.getMessage());
        Path aDirectory = Files.createDirectories(dir.resolve("cache"));
        var directory = assertThrows(IllegalArgumentException.class, () -> AotCache.describe(aDirectory, List.of()));
        assertTrue(directory.getMessage().startsWith("--aot-cache " + aDirectory + ": want a file"), directory.getMessage());
    }
}
