package dev.handoff.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A helper process (server, client, load) in the background, its output in a file, killed with its children on close. */
public final class Background implements AutoCloseable {
    /** The running command. */
    private final Process process;
    /** Its stdout and stderr. */
    private final Path output;

    private Background(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    /** Starts {@code command}. */
    public static Background start(List<String> command) throws IOException {
        Path out = Files.createTempFile("bench-bg", ".log");
        Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        return new Background(p, out);
    }

    /** Everything it printed so far (bytes that are not UTF-8 replaced, not refused). */
    public String output() throws IOException {
        return new String(Files.readAllBytes(output), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Writes {@code line} to its standard input. */
    public void println(String line) throws IOException {
        process.getOutputStream().write((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    /** Waits until it has exited (or {@code seconds} passed); true if it has. */
    public boolean waitFor(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    /** Its exit code; IllegalThreadStateException while it runs. */
    public int exitValue() {
        return process.exitValue();
    }

    /** Whether it is still running. */
    public boolean running() {
        return process.isAlive();
    }

    /** Waits until its output contains {@code text}; fails if it exits or {@code seconds} pass first. */
    public void awaitOutput(String text, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!output().contains(text)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("background command did not print '" + text + "':\n" + output());
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() throws IOException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(output);
    }
}
