package dev.handoff.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AgentOptionsTest {
    @Test
    void aLoopNiceValueOutsideLinuxsRangeIsRefusedBeforeAnythingStarts() {
        assertRefused("--loop-nice must be -20..19, got 20", "--loop-nice", "20");
    }

    @Test
    void aRealTimePriorityOutsideLinuxsRangeIsRefusedBeforeAnythingStarts() {
        assertRefused("--loop-realtime must be 1..99 (0: off), got 100", "--loop-realtime", "100");
        assertRefused("--loop-realtime must be 1..99 (0: off), got -1", "--loop-realtime", "-1");
    }

    @Test
    void aSliceLinuxWouldClampIsRefusedBeforeAnythingStarts() {
        assertRefused("--loop-slice must be 100..100000 microseconds (0: the kernel's), got 50", "--loop-slice", "50");
    }

    @Test
    void loopsDefaultToNiceMinusFiveWithAShortSliceAndNoRealTime() {
        AgentCommand agent = new AgentCommand();
        new CommandLine(agent).parseArgs("--name", "a", "--interface", "eth0");
        assertEquals(-5, agent.loopNice);
        assertEquals(100, agent.loopSlice);
        assertEquals(0, agent.loopRealtime);
    }

    /** `handoff agent` with {@code options} exits 2 before it opens anything, saying {@code why} on stderr. */
    private static void assertRefused(String why, String... options) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int code;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("agent", "--name", "a", "--interface",
                    "eth0"), java.util.Arrays.stream(options)).toArray(String[]::new);
            code = new CommandLine(new Handoff()).execute(args);
        } finally {
            System.setErr(saved);
        }
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains(why), err.toString());
    }
}
