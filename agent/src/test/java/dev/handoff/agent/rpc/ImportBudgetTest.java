package dev.handoff.agent.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImportBudgetTest {
    @Test
    void importsAndBytesAreBoundedAndGivenBack() {
        ImportBudget b = new ImportBudget(2, 100);
        assertNull(b.begin());
        assertNull(b.begin());
        String third = b.begin();
        assertTrue(third.contains("2 imports are already in progress"), third);
        assertNull(b.take(60));
        String over = b.take(41);
        assertTrue(over.contains("more than 100 bytes"), over);
        assertNull(b.take(40));
        b.end(100);
        assertEquals(1, b.inProgress());
        assertEquals(0, b.held());
        assertNull(b.begin(), "a slot is free again");
    }
}
