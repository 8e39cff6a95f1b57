package dev.handoff.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.handoff.proto.v1.CheckpointStoreServiceGrpc;
import dev.handoff.proto.v1.StreamAppend;
import dev.handoff.proto.v1.WriteOp;
import dev.handoff.proto.v1.WriteRequest;
import dev.handoff.proto.v1.WriteResult;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's gRPC API in process: the remote client behaves as the embedded store, errors keep their meaning. */
class RemoteCheckpointStoreTest {
    static final int VIP = 0x0a4d0064;

    @TempDir
    Path dir;
    final AtomicLong clock = new AtomicLong(5_000);
    FileCheckpointStore file;
    StoreServer server;
    ManagedChannel channel;
    RemoteCheckpointStore remote;

    @BeforeEach
    void start() throws Exception {
        file = FileCheckpointStore.open(dir, clock::get);
        server = StoreServer.start(InProcessServerBuilder.forName("store-test"), file);
        channel = InProcessChannelBuilder.forName("store-test").build();
        remote = new RemoteCheckpointStore(channel);
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.close();
        file.close();
    }

    @Test
    void writesReadsAndLeasesGoThroughTheApi() {
        Lease a = remote.acquire(VIP, "a", 1000);
        assertEquals(1, a.epoch());
        remote.putState("c1", VIP, 1, "s".getBytes()).join();
        remote.appendStream("c1", VIP, 1, 100, "hello world".getBytes()).join();
        remote.trimStream("c1", VIP, 1, 106).join();
        Checkpoint c = remote.read("c1").orElseThrow();
        assertEquals("world", new String(c.stream()));
        assertEquals(106, c.streamStart());
        assertEquals(List.of("c1"), remote.connectionsOf(VIP));
        remote.putState("c2", VIP, 1, "t".getBytes()).join();
        List<Checkpoint> all = remote.readAll(VIP);
        assertEquals(List.of("c1", "c2"), all.stream().map(Checkpoint::connectionId).toList(), "one streamed call");
        assertEquals("world", new String(all.getFirst().stream()));
        assertTrue(remote.readAll(VIP + 1).isEmpty());
        assertTrue(remote.read("nothing").isEmpty());
        assertTrue(remote.lease(VIP + 1).isEmpty());
        assertEquals(a, remote.lease(VIP).orElseThrow());

        clock.addAndGet(2000);
        remote.acquire(VIP, "b", 1000);
        CompletionException stale = assertThrows(CompletionException.class, () -> remote.putState("c1", VIP, 1, "x".getBytes()).join());
        assertTrue(stale.getCause() instanceof StaleEpochException, stale.getCause().toString());
        assertThrows(StaleEpochException.class, () -> remote.acquire(VIP, "a", 1000));
        CompletionException gap = assertThrows(CompletionException.class,
                () -> remote.appendStream("c1", VIP, 2, 500, "x".getBytes()).join());
        assertTrue(gap.getCause() instanceof IllegalArgumentException, gap.getCause().toString());
        CompletionException missing = assertThrows(CompletionException.class,
                () -> remote.putState("c1", VIP, 2, "lists 0..500".getBytes(), 0, 500).join());
        assertTrue(missing.getCause().getMessage().contains("needs send bytes [0, 500)"), missing.getCause().toString());
    }

    /** A store service that hands each streamed write to the test, which answers when it likes. */
    static final class HeldStreams extends CheckpointStoreServiceGrpc.CheckpointStoreServiceImplBase {
        /** Requests received, on every stream, in order. */
        final LinkedBlockingQueue<WriteRequest> received = new LinkedBlockingQueue<>();
        /** Answers of the last stream opened. */
        volatile StreamObserver<WriteResult> answers;
        /** Streams opened. */
        final AtomicInteger streams = new AtomicInteger();

        @Override
        public StreamObserver<WriteRequest> writeStream(StreamObserver<WriteResult> out) {
            answers = out;
            streams.incrementAndGet();
            return new StreamObserver<>() {
                @Override
                public void onNext(WriteRequest r) {
                    received.add(r);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }

        String next() throws InterruptedException {
            WriteRequest r = received.poll(5, TimeUnit.SECONDS);
            assertTrue(r != null, "no write reached the store");
            return r.getOps(0).getState().toStringUtf8();
        }

        void ok() {
            answers.onNext(WriteResult.getDefaultInstance());
        }
    }

    static List<CheckpointWrite> state(String text) {
        return List.of(new CheckpointWrite.State("c1", VIP, 1, text.getBytes()));
    }

    @Test
    void anOrderedWriterSendsEachWriteAtOnceAndAFailedStreamFailsEveryWriteUnansweredOnIt() throws Exception {
        HeldStreams service = new HeldStreams();
        io.grpc.Server held = InProcessServerBuilder.forName("held-writes").addService(service).build().start();
        ManagedChannel ch = InProcessChannelBuilder.forName("held-writes").build();
        try {
            CheckpointStore.OrderedWriter store = new RemoteCheckpointStore(ch).orderedWriter();
            var first = store.write(state("1"));
            var second = store.write(state("2"));
            assertEquals("1", service.next());
            assertEquals("2", service.next(), "sent without waiting for the first's answer");
            service.ok();
            first.join();
            assertTrue(!second.isDone(), "answered in order: the second's answer is still to come");
            service.ok();
            second.join();

            var third = store.write(state("3"));
            var fourth = store.write(state("4"));
            assertEquals("3", service.next());
            assertEquals("4", service.next());
            service.answers.onError(Status.UNAVAILABLE.withDescription("disk gone (test)").asRuntimeException());
            for (var f : List.of(third, fourth)) {
                CompletionException e = assertThrows(CompletionException.class, f::join);
                assertTrue(e.getCause().getMessage().contains("disk gone"), e.getCause().getMessage());
            }

            var fifth = store.write(state("5"));
            assertEquals("5", service.next());
            assertEquals(2, service.streams.get(), "a new stream after the failed one");
            service.ok();
            fifth.join();
        } finally {
            ch.shutdownNow();
            held.shutdownNow();
        }
    }

    @Test
    void streamedWritesAreAppliedInTheOrderSentAndAStateWithoutItsBytesIsRefused() {
        CheckpointStore.OrderedWriter writer = remote.orderedWriter();
        List<java.util.concurrent.CompletableFuture<Void>> all = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) { // each builds on the one before: a gap if any came first
            all.add(writer.write(List.of(new CheckpointWrite.Append("c9", VIP, 0, i * 1000L, new byte[1000]),
                    new CheckpointWrite.State("c9", VIP, 0, ("s" + i).getBytes(), 0, (i + 1) * 1000L))));
        }
        all.forEach(java.util.concurrent.CompletableFuture::join);
        Checkpoint c = remote.read("c9").orElseThrow();
        assertEquals("s49", new String(c.state()));
        assertEquals(50_000, c.stream().length);
        CompletionException missing = assertThrows(CompletionException.class, () -> writer.write(List.of(
                new CheckpointWrite.State("c9", VIP, 0, "lists more".getBytes(), 0, 60_000))).join());
        assertTrue(missing.getCause() instanceof IllegalArgumentException, missing.getCause().toString());
        assertEquals("s49", new String(remote.read("c9").orElseThrow().state()), "refused: the state before stays");
    }

    @Test
    void aBatchIsOneWriteAndBadRequestsAreRefused() {
        var stub = CheckpointStoreServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
        WriteRequest.Builder batch = WriteRequest.newBuilder();
        for (int i = 0; i < 100; i++) {
            batch.addOps(WriteOp.newBuilder().setConnectionId("c" + i).setVip(VIP).setAppend(StreamAppend.newBuilder()
                    .setOffset(0).setData(ByteString.copyFromUtf8("data " + i))));
        }
        long before = file.commits();
        stub.write(batch.build());
        assertTrue(file.commits() - before < 100, "the batch shared commits: " + (file.commits() - before));
        assertArrayEquals("data 42".getBytes(), remote.read("c42").orElseThrow().stream());

        StatusRuntimeException empty = assertThrows(StatusRuntimeException.class, () -> stub.write(WriteRequest.newBuilder()
                .addOps(WriteOp.newBuilder().setConnectionId("c1").setVip(VIP)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
        assertTrue(empty.getStatus().getDescription().contains("names no operation"), empty.getStatus().getDescription());

        HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
    }
}
