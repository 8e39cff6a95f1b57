package dev.handoff.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchOptionsTest {
    @Test
    void agentOptionsReachTheBenchmarksAsGivenInOrder() {
        FailoverBenchCommand failover = new FailoverBenchCommand();
        new CommandLine(failover).parseArgs("--agent-arg=--loop-realtime=10", "--agent-arg=--loop-nice=0");
        assertEquals(List.of("--loop-realtime=10", "--loop-nice=0"), failover.agents.options);
        MigrationBenchCommand moves = new MigrationBenchCommand();
        new CommandLine(moves).parseArgs("--agent-arg=--loop-realtime=10");
        assertEquals(List.of("--loop-realtime=10"), moves.agents.options);
    }

    @Test
    void withoutAgentOptionsTheAgentsKeepTheirDefaults() {
        FailoverBenchCommand failover = new FailoverBenchCommand();
        new CommandLine(failover).parseArgs();
        assertEquals(List.of(), failover.agents.options);
    }

    @Test
    void keptLogsAreTheProcessesLogsAndReportsNotTheDataFiles(@TempDir Path work) throws Exception {
        Files.writeString(work.resolve("agent-1.log"), "a serving");
        Files.writeString(work.resolve("audit.txt"), "frames=1");
        Files.write(work.resolve("paced.bin"), new byte[16]);
        Files.createDirectories(work.resolve("store"));
        Path kept = work.resolve("kept");
        HandoffProcess.keepLogs(work, kept);
        assertEquals("a serving", Files.readString(kept.resolve("agent-1.log")));
        assertEquals("frames=1", Files.readString(kept.resolve("audit.txt")));
        assertTrue(Files.notExists(kept.resolve("paced.bin")));
        assertTrue(Files.notExists(kept.resolve("store")));
    }
}
