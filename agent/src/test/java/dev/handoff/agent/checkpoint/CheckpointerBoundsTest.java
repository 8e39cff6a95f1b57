package dev.handoff.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.HttpFileHandler;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.store.Checkpoint;
import dev.handoff.store.CheckpointStore;
import dev.handoff.store.CheckpointWrite;
import dev.handoff.store.FileCheckpointStore;
import dev.handoff.store.Lease;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two bounds of issue 5, on a real host with the checkpointer's clock stepped by hand
 * and a store that stops confirming: a deterministic application (the file server) never
 * sends more than the byte bound beyond its last confirmed checkpoint, and nothing new once
 * that checkpoint is about to pass the MSL; both resume once the store confirms again.
 */
class CheckpointerBoundsTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT_IP = Ipv4Address.parse("10.9.0.2");
    static final int FILE_BYTES = 32 << 20;

    /** A durable store that can be told to fail every write, as one cut off would. */
    static final class FailingStore implements CheckpointStore {
        /** Where confirmed writes go. */
        final FileCheckpointStore durable;
        /** Refuse writes now. */
        volatile boolean failing;

        FailingStore(FileCheckpointStore durable) {
            this.durable = durable;
        }

        private CompletableFuture<Void> unlessFailing(java.util.function.Supplier<CompletableFuture<Void>> write) {
            return failing ? CompletableFuture.failedFuture(new IllegalStateException("store unreachable (test)")) : write.get();
        }

        @Override
        public CompletableFuture<Void> putState(String id, int vip, long epoch, byte[] state, long needsFrom, long needsTo) {
            return unlessFailing(() -> durable.putState(id, vip, epoch, state, needsFrom, needsTo));
        }

        @Override
        public CompletableFuture<Void> appendStream(String id, int vip, long epoch, long offset, byte[] bytes) {
            return unlessFailing(() -> durable.appendStream(id, vip, epoch, offset, bytes));
        }

        @Override
        public CompletableFuture<Void> trimStream(String id, int vip, long epoch, long offset) {
            return unlessFailing(() -> durable.trimStream(id, vip, epoch, offset));
        }

        @Override
        public CompletableFuture<Void> delete(String id, int vip, long epoch) {
            return unlessFailing(() -> durable.delete(id, vip, epoch));
        }

        @Override
        public CompletableFuture<Void> write(List<CheckpointWrite> writes) {
            return unlessFailing(() -> durable.write(writes));
        }

        @Override
        public Optional<Checkpoint> read(String id) {
            return durable.read(id);
        }

        @Override
        public List<String> connectionsOf(int vip) {
            return durable.connectionsOf(vip);
        }

        @Override
        public Lease acquire(int vip, String owner, long ttlMs) {
            return durable.acquire(vip, owner, ttlMs);
        }

        @Override
        public Lease acquireFresh(int vip, String owner, long ttlMs) {
            return durable.acquireFresh(vip, owner, ttlMs);
        }

        @Override
        public Lease handOver(int vip, String owner, String successor, long ttlMs) {
            return durable.handOver(vip, owner, successor, ttlMs);
        }

        @Override
        public Optional<Lease> lease(int vip) {
            return durable.lease(vip);
        }

        @Override
        public void close() {
            durable.close();
        }
    }

    @TempDir
    Path dir;
    FailingStore store;
    Host server;
    Host client;
    Checkpointer checkpointer;
    final AtomicLong clock = new AtomicLong(1_000);
    final List<String> events = new CopyOnWriteArrayList<>();
    /** Bytes the client received. */
    final AtomicLong received = new AtomicLong();
    /** The client reads only while this is set. */
    volatile boolean reading = true;

    @BeforeEach
    void start() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        byte[] body = new byte[FILE_BYTES];
        new SplittableRandom(3).nextBytes(body);
        Files.write(www.resolve("f.bin"), body);
        store = new FailingStore(FileCheckpointStore.open(dir.resolve("store"), System::currentTimeMillis));
        MemorySwitch sw = new MemorySwitch();
        server = new Host("server", sw.port("server", MacAddress.parse("02:00:00:00:00:01")), TcpConfig.defaults(),
                new SplittableRandom(1), e -> events.add(e.toString()));
        server.addVip(VIP);
        server.serve(80, HandlerDriver.acceptor(HttpFileHandler.factory(www)));
        server.start();
        client = new Host("client", sw.port("client", MacAddress.parse("02:00:00:00:00:02")), TcpConfig.defaults(),
                new SplittableRandom(2), e -> { });
        client.addVip(CLIENT_IP);
        client.start();
    }

    @AfterEach
    void stop() {
        client.shutdown(0);
        server.shutdown(0);
        store.close();
    }

    /** Starts checkpointing with {@code settings}, a lease of epoch 1 on the VIP, and the clock stepped by hand. */
    void checkpointing(CheckpointSettings settings) {
        checkpointer = new Checkpointer(server, store, settings, vip -> vip == VIP ? 1 : LeaseEpochs.NONE, CheckpointSealTest.SEAL, clock::get,
                System::currentTimeMillis);
    }

    /** One checkpoint round, on the server's loop; waits until the store answered. */
    void round() throws Exception {
        server.call(() -> {
            checkpointer.tick();
            return null;
        }).get();
        Thread.sleep(30); // the store's answer comes back through the loop
        server.call(() -> null).get();
    }

    /** Connects, asks for the file, and reads in the background while {@link #reading}. */
    void download() throws Exception {
        TcpSocket s = TcpSocket.connect(client, CLIENT_IP, VIP, 80, 5000);
        s.getOutputStream().write("GET /f.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[65536];
            try (InputStream in = s.getInputStream()) {
                while (true) {
                    if (!reading) {
                        Thread.sleep(1);
                        continue;
                    }
                    int n = in.read(buf);
                    if (n < 0) {
                        return;
                    }
                    received.addAndGet(n);
                }
            } catch (Exception e) {
                events.add("client: " + e);
            }
        });
    }

    /** Lets the client read until it got {@code bytes} more, then pauses it; fails after 5 s. */
    void readAtLeast(long bytes) throws InterruptedException {
        long target = received.get() + bytes;
        reading = true;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (received.get() < target) {
            assertTrue(System.nanoTime() < deadline, "the client got only " + received.get() + " of " + target + " bytes");
            Thread.sleep(1);
        }
        reading = false;
    }

    /** Waits until the client's count stays put for 300 ms; returns it. */
    long settled() throws InterruptedException {
        long last = -1;
        while (received.get() != last) {
            last = received.get();
            Thread.sleep(300);
        }
        return last;
    }

    @Test
    @Timeout(60)
    void aDeterministicApplicationSendsNoMoreThanTheByteBoundBeyondItsLastCheckpoint() throws Exception {
        int bound = 256 * 1024;
        checkpointing(new CheckpointSettings(20, 120_000, bound, 100));
        download();
        Thread.sleep(100); // established, request read: held until a checkpoint
        assertEquals(0, received.get(), "nothing is sent before the first checkpoint");
        round(); // confirmed: SND.UNA is the first byte of the response
        store.failing = true;
        round();
        assertEquals(bound, settled(), "exactly the bound beyond the confirmed checkpoint's SND.UNA, no more");
        assertTrue(events.stream().anyMatch(e -> e.startsWith("checkpoint-stalled")), events.toString());

        store.failing = false;
        long before = received.get();
        for (int i = 0; i < 400 && received.get() <= FILE_BYTES; i++) {
            clock.addAndGet(20);
            round();
        }
        assertTrue(received.get() > FILE_BYTES, "the whole response once checkpoints are confirmed again: "
                + received.get() + " after " + before);
        assertTrue(events.stream().anyMatch(e -> e.startsWith("checkpoint-resumed")), events.toString());
    }

    @Test
    @Timeout(60)
    void nothingNewIsSentOnceTheLastConfirmedCheckpointIsAboutToPassTheMsl() throws Exception {
        checkpointing(new CheckpointSettings(20, 1_000, CheckpointSettings.MAX_BYTES_BETWEEN, 100));
        reading = false;
        download();
        Thread.sleep(100);
        round(); // confirmed at clock 1000: the file server may run 2^31 bytes ahead
        store.failing = true;
        clock.addAndGet(1_000 - 20 - 1);
        round(); // fails, but the checkpoint is 979 ms old: within the MSL less one interval
        readAtLeast(1 << 20); // still sending 979 ms after the last confirmed checkpoint

        clock.addAndGet(1);
        round(); // 980 ms: the next round could not be confirmed before 1000 ms: stop
        reading = true;
        long stoppedAt = settled();
        assertTrue(stoppedAt < FILE_BYTES, "stopped short of the file: " + stoppedAt);
        assertTrue(events.stream().anyMatch(e -> e.contains("no checkpoint younger than 1000 ms")), events.toString());

        store.failing = false;
        for (int i = 0; i < 400 && received.get() <= FILE_BYTES; i++) {
            clock.addAndGet(20);
            round();
        }
        assertTrue(received.get() > FILE_BYTES, "the rest once checkpoints are confirmed again: " + received.get());
    }
}
