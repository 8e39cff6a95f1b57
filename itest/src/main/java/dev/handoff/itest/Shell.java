package dev.handoff.itest;

import dev.handoff.cli.Topology;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Support for the integration tests: runs peer-side commands (curl, socat) and hashes files. */
public final class Shell {
    private Shell() {
    }

    /** The result of a command. @param exit exit code @param out stdout @param err stderr */
    public record Result(int exit, String out, String err) {
    }

    /** Runs {@code command} with stdin from {@code input} (or none), within {@code timeoutSec}. */
    public static Result run(List<String> command, Path input, int timeoutSec) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (input != null) {
            pb.redirectInput(input.toFile());
        }
        Path out = Files.createTempFile("itest-out", ".txt");
        Path err = Files.createTempFile("itest-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
        }
        Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1),
                Files.readString(err, StandardCharsets.ISO_8859_1));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    /**
     * Runs the operator's {@code handoff ARGS} (the {@code handoff.launcher} system property) in
     * network namespace {@code ns}, for at most {@code timeoutSec} seconds.
     */
    public static Result handoff(String ns, int timeoutSec, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("handoff.launcher")));
        cmd.addAll(List.of(args));
        return run(Topology.in(ns, cmd.toArray(String[]::new)), null, timeoutSec);
    }

    /** SHA-256 of a file, hex. */
    public static String sha256(Path file) throws IOException {
        return dev.handoff.cli.RandomFiles.sha256(file);
    }

    /** A file of {@code size} seeded random bytes. */
    public static Path randomFile(Path dir, String name, long size, long seed) throws IOException {
        return dev.handoff.cli.RandomFiles.write(dir.resolve(name), size, seed);
    }
}
