package dev.handoff.store;

import dev.handoff.proto.v1.CheckpointStoreServiceGrpc;
import dev.handoff.proto.v1.WriteRequest;
import dev.handoff.proto.v1.WriteResult;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A remote store's {@link CheckpointStore.OrderedWriter}: writes go on one WriteStream call,
 * each sent at once, without waiting for the answers to the ones before (the store applies
 * and answers them in the order sent), so that a write crosses the network while the one
 * before is being forced to disk. A stream lasts at most {@link #STREAM_MS} (its deadline,
 * which bounds the wait for any answer); a write after half of it opens a new stream, whose
 * first request goes once the old stream's writes are answered, so that the order holds
 * across streams. When a stream fails, every write unanswered on it fails.
 */
final class StreamedWriter implements CheckpointStore.OrderedWriter {
    /** Deadline of one stream, ms. */
    static final long STREAM_MS = RemoteCheckpointStore.DEADLINE_MS;

    /** The store's channel. */
    private final Channel channel;
    /** The stream writes go on, or null (guarded by this). */
    private Stream current;

    StreamedWriter(Channel channel) {
        this.channel = channel;
    }

    /** One WriteStream call and the writes unanswered on it. */
    private final class Stream implements StreamObserver<WriteResult> {
        /** When it was opened, ns. */
        final long openedAt = System.nanoTime();
        /** Answers awaited, oldest first (guarded by the writer). */
        final ArrayDeque<CompletableFuture<Void>> pending = new ArrayDeque<>();
        /** Done once it ended, every write on it answered or failed. */
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        /** Requests are sent once this is done: the stream before has ended (guarded by the writer). */
        CompletableFuture<Void> sending;
        /** Where requests go. */
        final StreamObserver<WriteRequest> requests;
        /** It failed or was half-closed: no more requests on it (guarded by the writer). */
        boolean closed;

        Stream(CompletableFuture<Void> after) {
            this.sending = after;
            this.requests = CheckpointStoreServiceGrpc.newStub(channel).withDeadlineAfter(STREAM_MS, TimeUnit.MILLISECONDS)
                    .writeStream(this);
        }

        /** Sends {@code r} once the streams before have ended; {@code answer} completes with the store's answer. */
        void send(WriteRequest r, CompletableFuture<Void> answer) {
            pending.add(answer);
            if (sending.isDone()) {
                requests.onNext(r);
            } else {
                sending = sending.thenRun(() -> {
                    synchronized (StreamedWriter.this) {
                        requests.onNext(r);
                    }
                });
            }
        }

        /** No more requests: the store answers those sent, then ends the call. */
        void halfClose() {
            closed = true;
            sending = sending.thenRun(() -> {
                synchronized (StreamedWriter.this) {
                    requests.onCompleted();
                }
            });
        }

        @Override
        public void onNext(WriteResult r) {
            CompletableFuture<Void> answer;
            synchronized (StreamedWriter.this) {
                answer = pending.poll();
            }
            if (answer == null) {
                return; // more answers than requests: the stream fails on its own
            }
            if (r.getCode() == 0) {
                answer.complete(null);
            } else {
                answer.completeExceptionally(RemoteCheckpointStore.translate(Status.fromCodeValue(r.getCode())
                        .withDescription(r.getDescription()).asRuntimeException()));
            }
        }

        @Override
        public void onError(Throwable t) {
            end(RemoteCheckpointStore.translate(t));
        }

        @Override
        public void onCompleted() {
            end(new IllegalStateException("checkpoint store: the write stream ended with writes unanswered"));
        }

        private void end(RuntimeException error) {
            List<CompletableFuture<Void>> failed;
            synchronized (StreamedWriter.this) {
                closed = true;
                failed = new ArrayList<>(pending);
                pending.clear();
                if (current == this) {
                    current = null;
                }
            }
            failed.forEach(f -> f.completeExceptionally(error));
            ended.complete(null);
        }
    }

    @Override
    public CompletableFuture<Void> write(List<CheckpointWrite> writes) {
        List<WriteRequest> requests = RemoteCheckpointStore.batches(writes);
        List<CompletableFuture<Void>> answers = new ArrayList<>(requests.size());
        synchronized (this) {
            if (current != null && !current.closed
                    && System.nanoTime() - current.openedAt > TimeUnit.MILLISECONDS.toNanos(STREAM_MS / 2)) {
                current.halfClose(); // before its deadline can fail a write on it
            }
            if (current == null || current.closed) {
                current = new Stream(current == null ? CompletableFuture.completedFuture(null) : current.ended);
            }
            for (WriteRequest r : requests) {
                CompletableFuture<Void> answer = new CompletableFuture<>();
                answers.add(answer);
                current.send(r, answer);
            }
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture<?>[]::new));
    }
}
