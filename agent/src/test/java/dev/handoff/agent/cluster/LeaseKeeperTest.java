package dev.handoff.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.checkpoint.LeaseEpochs;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.store.FileCheckpointStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases count only while they surely run at the store; a lapse is told at once. */
class LeaseKeeperTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");

    @TempDir
    Path dir;
    FileCheckpointStore store;
    final AtomicLong clock = new AtomicLong(1_000);
    final List<Integer> lapsed = new CopyOnWriteArrayList<>();
    final List<String> trouble = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() {
        store = FileCheckpointStore.open(dir, System::currentTimeMillis);
    }

    @AfterEach
    void close() {
        store.close();
    }

    LeaseKeeper keeper(String owner, long ttl, java.util.function.LongSupplier time) {
        return new LeaseKeeper(store, owner, ttl, time, trouble::add, lapsed::add);
    }

    @Test
    void aLeaseStopsCountingAQuarterBeforeItCanRunOutAndItsLapseIsToldOnce() {
        LeaseKeeper k = keeper("a", 1000, clock::get);
        assertFalse(k.storeReachable(), "never heard from the store yet");
        long epoch = k.take(VIP).epoch();
        assertTrue(k.storeReachable());
        assertArrayEquals(new int[] {VIP}, k.heldVips());
        clock.addAndGet(750);
        assertEquals(epoch, k.epochFor(VIP), "still counts 750 ms after it was asked for");
        k.watch();
        assertTrue(lapsed.isEmpty());
        clock.addAndGet(1);
        assertEquals(LeaseEpochs.NONE, k.epochFor(VIP), "no longer counts: the store may let it run out 250 ms later");
        k.watch();
        k.watch();
        assertEquals(List.of(VIP), lapsed, "told once");
        assertEquals(0, k.heldVips().length);
        clock.addAndGet(1000);
        assertFalse(k.storeReachable(), "not heard from the store for a whole lease time");
    }

    @Test
    void aClaimedVipIsTakenOnceThePreviousOwnersLeaseRanOut() throws Exception {
        keeper("a", 200, clock::get).take(VIP); // a moved the VIP away and stops renewing
        try (LeaseKeeper b = keeper("b", 300, () -> System.nanoTime() / 1_000_000)) {
            b.claim(VIP);
            assertEquals(LeaseEpochs.NONE, b.epochFor(VIP), "a's lease still runs");
            b.start();
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (b.epochFor(VIP) == LeaseEpochs.NONE) {
                assertTrue(System.nanoTime() < deadline, "b never took the lease: " + trouble);
                Thread.sleep(10);
            }
            assertNotEquals(LeaseEpochs.NONE, b.epochFor(VIP));
            assertTrue(trouble.isEmpty(), "waiting for a lease to run out is no trouble: " + trouble);
        }
    }
}
