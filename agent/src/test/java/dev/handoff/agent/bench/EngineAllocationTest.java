package dev.handoff.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.tcp.TcpConfig;
import org.junit.jupiter.api.Test;

/** The engine's steady-state bulk path allocates nothing per segment. */
class EngineAllocationTest {
    @Test
    void bulkTransferAllocatesNothingPerSegmentOnceWarm() {
        var bean = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        EnginePair pair = new EnginePair(TcpConfig.defaults());
        for (int i = 0; i < 20; i++) {
            pair.transfer(16L << 20); // warm up: JIT compiles and inlines the path
        }
        long segmentsBefore = pair.dataSegments;
        long before = bean.getCurrentThreadAllocatedBytes();
        pair.transfer(64L << 20);
        long allocated = bean.getCurrentThreadAllocatedBytes() - before;
        long segments = pair.dataSegments - segmentsBefore;
        assertTrue(segments > 40_000, "segments moved: " + segments);
        assertEquals(0, allocated / segments, "bytes allocated per segment (" + allocated + " in all)");
    }
}
