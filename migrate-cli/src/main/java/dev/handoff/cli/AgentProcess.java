package dev.handoff.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real {@code handoff agent} process in a namespace, its log in a file. */
public final class AgentProcess implements AutoCloseable {
    /** The running process. */
    private final Process process;
    /** Its stdout and stderr. */
    private final Path log;

    private AgentProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code handoff agent ARGS} in {@code ns} and waits until it serves. The
     * launcher is the {@code handoff.launcher} system property, else the script beside the
     * running jar.
     */
    public static AgentProcess start(String ns, Path logDir, String... args) throws IOException, InterruptedException {
        String launcher = System.getProperty("handoff.launcher", besideThisJar());
        if (launcher == null || !Files.isExecutable(Path.of(launcher))) {
            throw new IllegalStateException("the handoff launcher is missing (" + launcher + "): build it with"
                    + " ./mvnw -DskipTests package (it is migrate-cli/target/handoff)");
        }
        List<String> cmd = new ArrayList<>(List.of(launcher, "agent"));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(logDir, "agent-", ".log");
        Process p = new ProcessBuilder(Topology.in(ns, cmd.toArray(String[]::new)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        AgentProcess a = new AgentProcess(p, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!a.log().contains(" serving ")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("agent did not start:\n" + a.log());
            }
            Thread.sleep(50);
        }
        return a;
    }

    private static String besideThisJar() {
        try {
            Path jar = Path.of(AgentProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.resolveSibling("handoff").toString();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** Process id of the agent (the launcher execs java, so it is the JVM's). */
    public long pid() {
        return process.pid();
    }

    /** Everything the agent printed so far. */
    public String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
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
}
