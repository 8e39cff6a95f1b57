package dev.handoff.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ThreadSchedulingTest {
    @Test
    void valuesOutOfLinuxsRangesAreRefusedByName() {
        assertEquals("a nice value must be -20..19, got -21",
                assertThrows(IllegalArgumentException.class, () -> new ThreadScheduling(-21, 0)).getMessage());
        assertEquals("a nice value must be -20..19, got 20",
                assertThrows(IllegalArgumentException.class, () -> new ThreadScheduling(20, 0)).getMessage());
        assertEquals("a real-time priority must be 1..99 (0: off), got 100",
                assertThrows(IllegalArgumentException.class, () -> new ThreadScheduling(0, 100)).getMessage());
        assertEquals("a real-time priority must be 1..99 (0: off), got -1",
                assertThrows(IllegalArgumentException.class, () -> new ThreadScheduling(0, -1)).getMessage());
        assertEquals("a slice must be 100..100000 microseconds (0: the kernel's), got 99",
                assertThrows(IllegalArgumentException.class, () -> new ThreadScheduling(0, 0, 99)).getMessage());
        assertEquals("a slice must be 100..100000 microseconds (0: the kernel's), got 100001",
                assertThrows(IllegalArgumentException.class, () -> new ThreadScheduling(0, 0, 100_001)).getMessage());
    }

    @Test
    void logsSayWhichPolicy() {
        assertEquals("nice -5", new ThreadScheduling(-5, 0).toString());
        assertEquals("SCHED_FIFO priority 10", new ThreadScheduling(-5, 10).toString());
        assertEquals("nice -5, slice 100 us", new ThreadScheduling(-5, 0, 100).toString());
        assertEquals("SCHED_FIFO priority 10", new ThreadScheduling(-5, 10, 100).toString());
    }

    /** Linux 6.12 on (CI's kernel is newer): the fair scheduler takes the slice asked for, and the default back. */
    @Test
    void aFairThreadCanAskForAShortSliceAndGiveItBack() throws Exception {
        String[] answers = new String[2];
        long[] seen = new long[3];
        Thread t = Thread.ofPlatform().start(() -> {
            seen[0] = slice();
            answers[0] = new ThreadScheduling(0, 0, 250).applyToCurrentThread();
            seen[1] = slice();
            answers[1] = ThreadScheduling.NORMAL.applyToCurrentThread();
            seen[2] = slice();
        });
        t.join();
        assertEquals(null, answers[0]);
        assertEquals(250_000, seen[1], "the slice asked for, in nanoseconds");
        assertEquals(null, answers[1]);
        assertEquals(seen[0], seen[2], "the kernel's slice again");
    }

    /** The calling thread's slice under the fair scheduler in nanoseconds. */
    private static long slice() {
        try {
            return slice(java.nio.file.Path.of("/proc/thread-self"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The fair scheduler's slice, in nanoseconds, of the thread whose /proc directory is {@code task} (se.slice in its sched file). */
    static long slice(java.nio.file.Path task) throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(task.resolve("sched"))) {
            if (line.startsWith("se.slice")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        throw new AssertionError("no se.slice in " + task.resolve("sched") + ": a kernel without EEVDF (before 6.6)?");
    }

    /** Runs on a thread of its own, which it leaves at the fair scheduler; needs root (CI runs as root). */
    @Test
    void aThreadCanGoRealTimeAndBack() throws Exception {
        String[] answers = new String[2];
        int[][] seen = new int[2][];
        Thread t = Thread.ofPlatform().start(() -> {
            answers[0] = new ThreadScheduling(0, 5).applyToCurrentThread();
            seen[0] = policyAndPriority();
            answers[1] = ThreadScheduling.NORMAL.applyToCurrentThread();
            seen[1] = policyAndPriority();
        });
        t.join();
        assertEquals(null, answers[0]);
        assertEquals(1, seen[0][0], "SCHED_FIFO");
        assertEquals(5, seen[0][1]);
        assertEquals(null, answers[1]);
        assertEquals(0, seen[1][0], "SCHED_OTHER");
        assertEquals(0, seen[1][1]);
    }

    /** The calling thread's policy and real-time priority (fields 41 and 40 of its stat). */
    private static int[] policyAndPriority() {
        try {
            java.nio.file.Path self = java.nio.file.Path.of("/proc/thread-self");
            return new int[] {statField(self, 41), statField(self, 40)};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Field {@code field} (numbered from 1, as proc(5) does) of the stat of the thread whose /proc directory is {@code task}. */
    static int statField(java.nio.file.Path task, int field) throws java.io.IOException {
        String stat = java.nio.file.Files.readString(task.resolve("stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[field - 3]);
    }
}
