package dev.handoff.agent.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The timer heap against a plain map of deadlines: 100,000 random schedules and removals, same answers. */
class TimerHeapTest {
    @Test
    void agreesWithABruteForceReference() {
        TcpCounters counters = new TcpCounters();
        ResetQueue resets = new ResetQueue(4, counters);
        List<TcpConnection> conns = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            conns.add(TcpConnection.connect(TcpConfig.defaults(), counters, resets, 1, 1000 + i, 2, 80, 0, 0));
        }
        TimerHeap heap = new TimerHeap();
        Map<TcpConnection, Long> reference = new HashMap<>();
        SplittableRandom r = new SplittableRandom(7);
        for (int step = 0; step < 100_000; step++) {
            TcpConnection c = conns.get(r.nextInt(conns.size()));
            int op = r.nextInt(10);
            if (op == 0) {
                heap.remove(c);
                reference.remove(c);
            } else {
                long at = op == 1 ? TcpConnection.NEVER : r.nextLong(1_000_000);
                heap.schedule(c, at);
                if (at == TcpConnection.NEVER) {
                    reference.remove(c);
                } else {
                    reference.put(c, at);
                }
            }
            long min = reference.values().stream().mapToLong(Long::longValue).min().orElse(TcpConnection.NEVER);
            assertEquals(min, heap.next(), "earliest deadline at step " + step);
            assertEquals(reference.size(), heap.size());
            if (step % 1000 == 0) {
                long now = r.nextLong(1_000_000);
                List<TcpConnection> due = new ArrayList<>();
                heap.due(now, due);
                HashSet<TcpConnection> expected = new HashSet<>();
                reference.forEach((k, v) -> {
                    if (v <= now) {
                        expected.add(k);
                    }
                });
                assertEquals(expected, new HashSet<>(due), "due at " + now);
            }
        }
    }
}
