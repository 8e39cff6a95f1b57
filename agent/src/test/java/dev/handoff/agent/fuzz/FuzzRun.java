package dev.handoff.agent.fuzz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One coverage-guided fuzzing run of a target with Jazzer's command line, in a process of its
 * own (libFuzzer drives it and exits when done): new interesting inputs go to {@code corpus},
 * a crashing input to {@code findings}.
 *
 * @param exitCode 0 when nothing was found
 * @param executions inputs tried
 * @param coverage coverage points reached at the end
 * @param output what the fuzzer printed (its last lines tell a finding)
 */
record FuzzRun(int exitCode, long executions, long coverage, String output) {
    /** Fuzzes {@code target} for {@code seconds} from {@code corpus}; findings written under {@code findings}. */
    static FuzzRun of(FuzzTargets.Target target, Path corpus, Path findings, int seconds)
            throws IOException, InterruptedException {
        Files.createDirectories(findings);
        Path log = Files.createTempFile("fuzz-" + target.name(), ".log");
        List<String> cmd = jazzer(target, "--reproducer_path=" + findings.toAbsolutePath(),
                "-max_total_time=" + seconds, "-rss_limit_mb=4096", "-timeout=10",
                "-artifact_prefix=" + findings.toAbsolutePath() + "/" + target.name() + "-", corpus.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(seconds + 120L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the fuzzer of " + target.name() + " ran over " + seconds + " s by 2 minutes");
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        return new FuzzRun(p.exitValue(), last(out, "Done (\\d+) runs"), last(out, "cov: (\\d+)"), out);
    }

    /**
     * Shrinks {@code corpus} to the inputs that keep its coverage (libFuzzer's merge), so that
     * the repository keeps hundreds of inputs, not the thousands a long run adds; seeds
     * ({@code seed-*}) and past findings ({@code finding-*}) are always kept.
     */
    static void minimize(FuzzTargets.Target target, Path corpus) throws IOException, InterruptedException {
        Path kept = Files.createTempDirectory("fuzz-minimized-" + target.name());
        Path log = Files.createTempFile("fuzz-merge-" + target.name(), ".log");
        Process p = new ProcessBuilder(jazzer(target, "-merge=1", kept.toString(), corpus.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("minimizing the corpus of " + target.name() + " failed:\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        Files.delete(log);
        try (var old = Files.list(corpus)) {
            for (Path f : old.toList()) {
                String name = f.getFileName().toString();
                if (!name.startsWith("seed-") && !name.startsWith("finding-")) {
                    Files.delete(f); // seeds and past findings stay whatever their coverage
                }
            }
        }
        try (var now = Files.list(kept)) {
            for (Path f : now.toList()) {
                Files.move(f, corpus.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.delete(kept);
    }

    /** The command that runs Jazzer on {@code target} in a JVM like this one, with {@code arguments}. */
    private static List<String> jazzer(FuzzTargets.Target target, String... arguments) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+EnableDynamicAgentLoading", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "com.code_intelligence.jazzer.Jazzer",
                "--target_class=" + target.type().getName()));
        cmd.addAll(List.of(arguments));
        return cmd;
    }

    private static long last(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        long v = -1;
        while (m.find()) {
            v = Long.parseLong(m.group(1));
        }
        return v;
    }

    /** The lines that tell what went wrong, for a failure message. */
    String finding() {
        List<String> lines = output.lines().filter(l -> !l.startsWith("INFO:") && !l.startsWith("WARN")).toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
