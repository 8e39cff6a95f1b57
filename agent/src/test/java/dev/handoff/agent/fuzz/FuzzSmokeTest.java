package dev.handoff.agent.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short coverage-guided fuzzing run of every target (issue "Security"): 10 seconds each by
 * default. {@code scripts/fuzz} runs the same for longer ({@code -Dfuzz.seconds=N}) and keeps
 * the new interesting inputs in the repository's corpus ({@code -Dfuzz.keep=true}, then
 * minimized to those that keep its coverage); a
 * finding fails the run, its input is in {@code agent/target/fuzz-findings/}.
 */
class FuzzSmokeTest {
    @Test
    void noTargetFailsUnderCoverageGuidedFuzzing(@TempDir Path dir) throws Exception {
        int seconds = Integer.getInteger("fuzz.seconds", 10);
        boolean keep = Boolean.getBoolean("fuzz.keep");
        long total = 0;
        for (FuzzTargets.Target t : FuzzTargets.ALL) {
            Path corpus = keep ? t.sourceCorpus() : Files.createDirectories(dir.resolve(t.name()));
            if (!keep) {
                for (Path input : t.inputs()) {
                    Files.copy(input, corpus.resolve(input.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            long before = count(corpus);
            FuzzRun run = FuzzRun.of(t, corpus, Path.of("target/fuzz-findings"), seconds);
            System.out.printf("fuzz %s: %,d executions in %d s, coverage %d, corpus %d -> %d inputs, exit %d%n", t.name(),
                    run.executions(), seconds, run.coverage(), before, count(corpus), run.exitCode());
            assertEquals(0, run.exitCode(), t.name() + " failed under fuzzing (input in agent/target/fuzz-findings/):\n"
                    + run.finding());
            assertTrue(run.executions() > 0 && run.coverage() > 10, t.name() + " was fuzzed with coverage:\n" + run.finding());
            total += run.executions();
            if (keep) {
                FuzzRun.minimize(t, corpus);
                System.out.printf("fuzz %s: corpus minimized to %d inputs%n", t.name(), count(corpus));
            }
        }
        System.out.printf("fuzz: %,d executions in all, no finding%n", total);
    }

    private static long count(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            return s.count();
        }
    }
}
