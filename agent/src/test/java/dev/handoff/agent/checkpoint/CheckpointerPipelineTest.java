package dev.handoff.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.store.BatchedCheckpointStore;
import dev.handoff.store.Checkpoint;
import dev.handoff.store.FileCheckpointStore;
import dev.handoff.store.CheckpointWrite;
import dev.handoff.store.Lease;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rounds in flight together: a strict application's bytes are captured while earlier rounds
 * await the store, but what a round covers opens only once it and every round before it are
 * durable; a failed round fails the rounds sent after it, and the next starts over from
 * SND.UNA. The store here answers each round when the test says.
 */
class CheckpointerPipelineTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT = Ipv4Address.parse("10.9.0.2");

    /** A store that hands each round to the test, to be answered in any order. */
    static final class HeldStore implements BatchedCheckpointStore {
        /** A round and its answer. */
        record Held(List<CheckpointWrite> writes, CompletableFuture<Void> answer) {
            void ok() {
                answer.complete(null);
            }

            <T extends CheckpointWrite> T only(Class<T> kind) {
                List<T> found = writes.stream().filter(kind::isInstance).map(kind::cast).toList();
                assertEquals(1, found.size(), writes.toString());
                return found.getFirst();
            }

            String appended() {
                return new String(only(CheckpointWrite.Append.class).bytes(), StandardCharsets.US_ASCII);
            }
        }

        /** Rounds sent and not yet taken by the test, in order. */
        final LinkedBlockingQueue<Held> rounds = new LinkedBlockingQueue<>();
        /** Every round sent, in order. */
        final List<Held> sent = new CopyOnWriteArrayList<>();

        Held next() throws InterruptedException {
            Held h = rounds.poll(5, TimeUnit.SECONDS);
            assertNotNull(h, "no round reached the store");
            return h;
        }

        @Override
        public CompletableFuture<Void> write(List<CheckpointWrite> writes) {
            Held h = new Held(List.copyOf(writes), new CompletableFuture<>());
            sent.add(h);
            rounds.add(h);
            return h.answer();
        }

        @Override
        public Optional<Checkpoint> read(String id) {
            throw new UnsupportedOperationException("rounds only");
        }

        @Override
        public List<String> connectionsOf(int vip) {
            throw new UnsupportedOperationException("rounds only");
        }

        @Override
        public Lease acquire(int vip, String owner, long ttlMs) {
            throw new UnsupportedOperationException("rounds only");
        }

        @Override
        public Lease acquireFresh(int vip, String owner, long ttlMs) {
            throw new UnsupportedOperationException("rounds only");
        }

        @Override
        public Lease handOver(int vip, String owner, String successor, long ttlMs) {
            throw new UnsupportedOperationException("rounds only");
        }

        @Override
        public Optional<Lease> lease(int vip) {
            throw new UnsupportedOperationException("rounds only");
        }

        @Override
        public void close() {
        }
    }

    final HeldStore store = new HeldStore();
    final List<String> events = new CopyOnWriteArrayList<>();
    /** What the client read back. */
    final StringBuffer echoed = new StringBuffer();
    Host server;
    Host client;
    Checkpointer checkpointer;
    TcpSocket socket;

    @BeforeEach
    void start() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        server = new Host("server", sw.port("server", MacAddress.parse("02:00:00:00:00:01")), TcpConfig.defaults(),
                new SplittableRandom(1), e -> events.add(e.toString()));
        server.addVip(VIP);
        server.serve(7, HandlerDriver.acceptor(EchoHandler.FACTORY));
        server.start();
        client = new Host("client", sw.port("client", MacAddress.parse("02:00:00:00:00:02")), TcpConfig.defaults(),
                new SplittableRandom(2), e -> { });
        client.addVip(CLIENT);
        client.start();
        checkpointer = new Checkpointer(server, store, CheckpointSettings.defaults(), vip -> vip == VIP ? 1 : LeaseEpochs.NONE,
                CheckpointSealTest.SEAL, () -> 1_000, System::currentTimeMillis);
        socket = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[256];
            try (InputStream in = socket.getInputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    echoed.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
                }
            } catch (Exception e) {
                events.add("client: " + e);
            }
        });
        Thread.sleep(50);
        tick();
        store.next().ok(); // the connection's first checkpoint
    }

    @AfterEach
    void stop() {
        client.shutdown(0);
        server.shutdown(0);
    }

    /** One round, driven by hand on the server's loop. */
    void tick() throws Exception {
        server.call(() -> {
            checkpointer.tick();
            return null;
        }).get();
    }

    /** Sends {@code text}, lets the echo handler read it, and captures it in a round. */
    HeldStore.Held send(String text) throws Exception {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        Thread.sleep(50);
        tick();
        HeldStore.Held round = store.next();
        assertEquals(text, round.appended(), "a round carries only what was written since the last one sent");
        return round;
    }

    /** What the client has after the answers went through the server's loop. */
    String settled() throws Exception {
        Thread.sleep(50);
        server.call(() -> null).get();
        Thread.sleep(50);
        return echoed.toString();
    }

    @Test
    @Timeout(30)
    void aRoundIsSentWhileEarlierOnesAwaitTheStoreAndOpensOnlyAfterThem() throws Exception {
        HeldStore.Held a = send("a");
        HeldStore.Held b = send("b");
        b.ok();
        assertEquals("", settled(), "the second round is durable, the first not yet: nothing goes out");
        a.ok();
        assertEquals("ab", settled(), "both durable, in order: both go out");

        List<HeldStore.Held> full = List.of(send("c"), send("d"), send("e"), send("f"));
        socket.getOutputStream().write("g".getBytes(StandardCharsets.US_ASCII));
        Thread.sleep(50);
        tick();
        Thread.sleep(50);
        assertTrue(store.rounds.isEmpty(), "at most " + LoopCheckpointer.MAX_IN_FLIGHT + " rounds await the store");
        full.forEach(HeldStore.Held::ok);
        assertEquals("abcdef", settled());
        tick();
        HeldStore.Held g = store.next();
        assertEquals("g", g.appended());
        g.ok();
        assertEquals("abcdefg", settled());
    }

    @Test
    @Timeout(30)
    void aFailedRoundFailsTheRoundsSentAfterItAndTheNextStartsOverFromSndUna() throws Exception {
        HeldStore.Held c = send("c");
        HeldStore.Held d = send("d");
        HeldStore.Held e = send("e");
        d.ok();
        c.answer().completeExceptionally(new IllegalStateException("disk gone (test)"));
        e.ok();
        assertEquals("", settled(), "the rounds after a failed one build on it: none of them opens anything");
        assertEquals(1, events.stream().filter(x -> x.startsWith("checkpoint-stalled")).count(), events.toString());

        tick();
        HeldStore.Held again = store.next();
        CheckpointWrite.Append append = again.only(CheckpointWrite.Append.class);
        assertEquals("cde", again.appended(), "every byte from SND.UNA again");
        assertEquals(append.offset(), again.only(CheckpointWrite.Trim.class).offset());
        CheckpointWrite.State state = again.only(CheckpointWrite.State.class);
        assertEquals(append.offset(), state.needsFrom(), "the state needs the bytes its pieces list");
        assertEquals(append.offset() + 3, state.needsTo());
        again.ok();
        assertEquals("cde", settled());
        assertTrue(events.stream().anyMatch(x -> x.startsWith("checkpoint-resumed")), events.toString());
    }

    @Test
    @Timeout(30)
    void aCrashAfterAnyPartOfARoundLeavesACheckpointThatOpens(@TempDir Path dir) throws Exception {
        send("a").ok();
        assertEquals("a", settled(), "sent and acknowledged by the client");
        HeldStore.Held b = send("b"); // no longer lists "a": the store may drop it
        CheckpointSeal seal = new CheckpointSeal(CheckpointSealTest.SEAL);
        for (int written = 0; written <= b.writes().size(); written++) {
            try (FileCheckpointStore disk = FileCheckpointStore.open(dir.resolve("crash-after-" + written),
                    System::currentTimeMillis)) {
                for (HeldStore.Held earlier : store.sent.subList(0, store.sent.size() - 1)) {
                    disk.write(earlier.writes()).join();
                }
                // A crash (of the store or the machine) in the middle of the round's commit
                // keeps the records before the tear and replays none after it.
                disk.write(b.writes().subList(0, written)).join();
                String id = b.only(CheckpointWrite.State.class).connectionId();
                Checkpoint last = disk.read(id).orElseThrow();
                assertDoesNotThrow(() -> seal.open(last), "after " + written + " of the round's writes " + b.writes());
            }
        }
    }
}
