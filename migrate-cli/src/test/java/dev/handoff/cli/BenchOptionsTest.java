package dev.handoff.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchOptionsTest {
    @Test
    void agentOptionsReachTheBenchmarksAsGivenInOrder() {
        FailoverBenchCommand failover = new FailoverBenchCommand();
        new CommandLine(failover).parseArgs("--agent-arg=--loop-realtime=10", "--agent-arg=--loop-nice=0");
        assertEquals(List.of("--loop-realtime=10", "--loop-nice=0"), failover.agentOptions);
        MigrationBenchCommand moves = new MigrationBenchCommand();
        new CommandLine(moves).parseArgs("--agent-arg=--loop-realtime=10");
        assertEquals(List.of("--loop-realtime=10"), moves.agentOptions);
    }

    @Test
    void withoutAgentOptionsTheAgentsKeepTheirDefaults() {
        FailoverBenchCommand failover = new FailoverBenchCommand();
        new CommandLine(failover).parseArgs();
        assertEquals(List.of(), failover.agentOptions);
    }
}
