package dev.handoff.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * An agent's ahead-of-time cache ({@code --aot-cache}, JDK 25, JEP 483/514/515): the classes it
 * loads and links and the method profiles of a training run, so that the JIT compiles its
 * move and data paths from the start. The launcher hands the file to the JVM (it must be on
 * the JVM's command line); this checks the file's place and says what the JVM does with it.
 */
final class AotCache {
    private AotCache() {
    }

    /** What this JVM does with {@code file}, for the agent's log; IllegalArgumentException if it cannot be written. */
    static String describe(Path file) {
        return describe(file, ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    /** As {@link #describe(Path)}, for a JVM started with {@code jvmArguments}. */
    static String describe(Path file, List<String> jvmArguments) {
        Path absolute = file.toAbsolutePath().normalize();
        Path dir = absolute.getParent();
        if (Files.isDirectory(absolute) || dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new IllegalArgumentException("--aot-cache " + file + ": want a file in a writable directory (the agent"
                    + " writes it after a training run); create " + dir + " or give another path");
        }
        if (jvmArguments.stream().anyMatch(a -> names(a, "-XX:AOTCache=", absolute))) {
            return "AOT cache " + file + ": in use (classes linked and methods profiled ahead of time)";
        }
        if (jvmArguments.stream().anyMatch(a -> names(a, "-XX:AOTCacheOutput=", absolute))) {
            return "AOT cache " + file + ": training on this run; the JVM writes it when this agent stops on SIGTERM"
                    + " or SIGINT (not after kill -9), and the next start uses it";
        }
        return "AOT cache " + file + ": NOT applied: this JVM was started without it; start agents with the handoff"
                + " launcher, which hands it to the JVM";
    }

    /** Whether JVM argument {@code arg} is {@code flag} with a path naming {@code file}. */
    private static boolean names(String arg, String flag, Path file) {
        return arg.startsWith(flag) && Path.of(arg.substring(flag.length())).toAbsolutePath().normalize().equals(file);
    }
}
