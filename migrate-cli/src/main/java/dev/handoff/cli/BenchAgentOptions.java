package dev.handoff.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * What the network benchmarks take about the agents they start (a picocli mixin): options
 * to pass each one, and where to keep their logs when the bench deletes its working directory.
 */
final class BenchAgentOptions {
    @Option(names = "--agent-arg", paramLabel = "ARG", description = "An option for every agent the bench starts,"
            + " repeatable, e.g. --agent-arg=--loop-realtime=10 (default: none, the agents' defaults).")
    List<String> options = List.of();

    @Option(names = "--keep-logs", paramLabel = "DIR", description = "Copy the logs of every process the bench started"
            + " (agents and, where it has them, the store and the audit) to DIR before its working directory is deleted"
            + " (default: not kept).")
    Path keepLogs;

    /** Ends a bench run: keeps the logs in {@code dir} if asked, then deletes {@code dir} whatever happened. */
    void cleanUp(Path dir) throws IOException {
        try {
            if (keepLogs != null) {
                HandoffProcess.keepLogs(dir, keepLogs);
            }
        } finally {
            RandomFiles.deleteTree(dir);
        }
    }
}
