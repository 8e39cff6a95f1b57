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
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int code;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new Handoff()).execute("agent", "--name", "a", "--interface", "eth0", "--loop-nice", "20");
        } finally {
            System.setErr(saved);
        }
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--loop-nice must be -20..19, got 20"), err.toString());
    }
}
