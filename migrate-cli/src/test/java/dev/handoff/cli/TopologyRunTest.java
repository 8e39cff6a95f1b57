package dev.handoff.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Topology#run}: output, failures, and a command that never ends (a transfer to a silent agent). */
class TopologyRunTest {
    @Test
    void returnsTheOutputOfACommandThatSucceeds() throws IOException {
        assertEquals("hello\n", Topology.run(List.of("sh", "-c", "echo hello")));
    }

    @Test
    void aFailedCommandThrowsWithItsExitCodeAndOutput() {
        IOException e = assertThrows(IOException.class, () -> Topology.run(List.of("sh", "-c", "echo no such file >&2; exit 3")));
        assertTrue(e.getMessage().contains("exit 3") && e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // fails, not hangs, when the limit does not hold
    void aCommandStillRunningAtItsLimitIsKilledWithEveryProcessItStarted() throws Exception {
        // The pipeline's reader keeps the output open, as `curl ... | wc -c` does while the
        // agent is silent: reading to the end would wait for it forever.
        IOException e = assertThrows(IOException.class,
                () -> Topology.run(List.of("sh", "-c", "echo started; sleep 300 | cat"), 1));
        assertTrue(e.getMessage().startsWith("timed out after 1 s: sh -c") && e.getMessage().contains("started"),
                e.getMessage());
        Thread.sleep(500);
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").equals("sleep 300")),
                "the pipeline's processes are gone");
    }
}
