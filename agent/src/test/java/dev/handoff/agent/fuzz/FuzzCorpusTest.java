package dev.handoff.agent.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Replays every input of every fuzz corpus (seeds, interesting inputs and past findings): none may fail. */
class FuzzCorpusTest {
    @Test
    void everyCorpusInputPasses() throws Exception {
        for (FuzzTargets.Target t : FuzzTargets.ALL) {
            int n = 0;
            for (Path input : t.inputs()) {
                try {
                    t.run().accept(Files.readAllBytes(input));
                } catch (RuntimeException | AssertionError e) {
                    fail(t.name() + " fails on " + input.getFileName() + ": " + e, e);
                }
                n++;
            }
            assertTrue(n >= 3, t.name() + " has a corpus (seeds at least): " + n + " inputs");
            System.out.println("fuzz corpus " + t.name() + ": " + n + " inputs pass");
        }
    }
}
