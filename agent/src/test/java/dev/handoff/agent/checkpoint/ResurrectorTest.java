package dev.handoff.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.cluster.LeaseKeeper;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.proto.v1.Ici;
import dev.handoff.store.FileCheckpointStore;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A resurrection that cannot be done leaves the VIP's lease to others. */
class ResurrectorTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final String ID = "10.9.0.100:7-10.9.0.2:40000";

    @TempDir
    Path dir;
    /** The lease keeper's clock, ms: stepped by hand. */
    final java.util.concurrent.atomic.AtomicLong clockMs = new java.util.concurrent.atomic.AtomicLong(1_000_000);
    FileCheckpointStore store;
    Host host;
    LeaseKeeper leases;
    Resurrector resurrector;

    @BeforeEach
    void start() {
        store = FileCheckpointStore.open(dir, System::currentTimeMillis);
        host = new Host("b", new MemorySwitch().port("b", MacAddress.parse("02:00:00:00:00:0b")), TcpConfig.defaults(),
                new SplittableRandom(1), e -> { });
        host.start();
        leases = new LeaseKeeper(store, "b", 1000, clockMs::get, trouble -> { }, vip -> { });
        resurrector = new Resurrector(host, store, leases, CheckpointSettings.defaults(), CheckpointSealTest.SEAL);
    }

    @AfterEach
    void stop() {
        host.shutdown(0);
        store.close();
    }

    @Test
    void aCheckpointThatIsNoIciFailsAndTheLeaseIsGivenUp() {
        store.putState(ID, VIP, 1, "not an ICI".getBytes()).join();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resurrector.resurrect(VIP));
        assertTrue(e.getMessage().contains("checkpoint of " + ID + " refused"), e.getMessage());
        assertEquals(LeaseEpochs.NONE, leases.epochFor(VIP), "no lease kept on a VIP this agent does not serve");
    }

    @Test
    void anIciTheHostRefusesFailsAndTheLeaseIsGivenUp() {
        store.putState(ID, VIP, 1, new CheckpointSeal(CheckpointSealTest.SEAL).state(ID, VIP,
                Ici.newBuilder().setFormatVersion(99).setLeaseEpoch(1).build(), java.util.List.of())).join();
        ExecutionException e = assertThrows(ExecutionException.class, () -> resurrector.resurrect(VIP).get());
        assertTrue(e.getCause().getMessage().contains("format_version"), e.getCause().getMessage());
        assertEquals(LeaseEpochs.NONE, leases.epochFor(VIP), "no lease kept on a VIP this agent does not serve");
    }

    @Test
    void aTakeOverSlowerThanItsLeaseFallsSilentForTheVipAndFails() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        host.call(() -> { // the loop busy: the resurrection waits behind this
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        java.util.concurrent.CompletableFuture<?> done = resurrector.resurrect(VIP);
        clockMs.addAndGet(800); // past three quarters of the 1000 ms lease: it no longer counts here
        release.countDown();
        ExecutionException e = assertThrows(ExecutionException.class, () -> done.get(5, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("stopped counting before the take-over was done"),
                e.getCause().getMessage());
        assertTrue(!host.serves(VIP), "a VIP taken without a lease is not kept");
        assertEquals(LeaseEpochs.NONE, leases.epochFor(VIP));
    }

    @Test
    void aTakeOverWithinItsLeaseKeepsTheVip() throws Exception {
        resurrector.resurrect(VIP).get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(host.serves(VIP));
        assertTrue(leases.epochFor(VIP) != LeaseEpochs.NONE);
    }
}
