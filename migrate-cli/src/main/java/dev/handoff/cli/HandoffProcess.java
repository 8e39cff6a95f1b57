package dev.handoff.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real {@code handoff} process (an agent, an audit) in a namespace, its output in a log file. */
public final class HandoffProcess implements AutoCloseable {
    /** The running process. */
    private final Process process;
    /** Its stdout and stderr. */
    private final Path log;

    private HandoffProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code handoff agent ARGS} in {@code ns} and waits until it serves. */
    public static HandoffProcess start(String ns, Path logDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("agent"));
        cmd.addAll(List.of(args));
        return launch(ns, logDir, " serving ", cmd.toArray(String[]::new));
    }

    /**
     * Starts {@code handoff ARGS} in namespace {@code ns} (null: this one) and waits until its
     * output shows {@code ready}.
     * The launcher is the {@code handoff.launcher} system property, else the script beside
     * the running jar.
     */
    public static HandoffProcess launch(String ns, Path logDir, String ready, String... args)
            throws IOException, InterruptedException {
        String launcher = launcher();
        if (launcher == null || !Files.isExecutable(Path.of(launcher))) {
            throw new IllegalStateException("the handoff launcher is missing (" + launcher + "): build it with"
                    + " ./mvnw -DskipTests package (it is migrate-cli/target/handoff)");
        }
        List<String> cmd = new ArrayList<>(List.of(launcher));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(logDir, args[0] + "-", ".log");
        Process p = new ProcessBuilder(ns == null ? cmd : Topology.in(ns, cmd.toArray(String[]::new)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HandoffProcess a = new HandoffProcess(p, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!a.log().contains(ready)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("handoff " + args[0] + " did not start:\n" + a.log());
            }
            Thread.sleep(50);
        }
        return a;
    }

    /** The handoff launcher: the {@code handoff.launcher} system property, else the script beside the running jar. */
    static String launcher() {
        return System.getProperty("handoff.launcher", besideThisJar());
    }

    private static String besideThisJar() {
        try {
            Path jar = Path.of(HandoffProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.resolveSibling("handoff").toString();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** Process id (the launcher execs java, so it is the JVM's). */
    public long pid() {
        return process.pid();
    }

    /** SIGKILL, as a crash: no shutdown hook runs. Waits until it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Everything the process printed so far. */
    public String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** Waits until the log shows {@code text}; IllegalStateException with the log after {@code seconds}. */
    public void awaitLog(String text, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!log().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("never logged '" + text + "' in " + seconds + " s:\n" + log());
            }
            Thread.sleep(10);
        }
    }

    /** Lines of the log that contain {@code text}. */
    public List<String> lines(String text) throws IOException {
        return log().lines().filter(l -> l.contains(text)).toList();
    }

    /** SIGTERM, then waits for a clean exit; returns the exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    /**
     * Copies the top-level {@code .log} and {@code .txt} files of {@code dir} (the logs of the
     * processes started there, audit reports) into {@code to}, created if needed, and says so.
     */
    static void keepLogs(Path dir, Path to) throws IOException {
        Files.createDirectories(to);
        int kept = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.{log,txt}")) {
            for (Path f : files) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                kept++;
            }
        }
        System.out.println("kept " + kept + " logs in " + to);
    }
}
