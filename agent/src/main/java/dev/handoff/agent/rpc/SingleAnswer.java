package dev.handoff.agent.rpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Receives the one answer of a call made on an async stub into a future (failed with the call's status on error). */
final class SingleAnswer<T> implements StreamObserver<T> {
    /** Completed by the answer or the error. */
    final CompletableFuture<T> future = new CompletableFuture<>();
    /** What the call was, for the error when it ends without an answer. */
    private final String call;
    /** When the answer arrived ({@link System#nanoTime}), on the transport's thread; 0 before. */
    private volatile long answeredAt;

    SingleAnswer(String call) {
        this.call = call;
    }

    /** When the answer arrived ({@link System#nanoTime}), not when a thread waiting for it woke; 0 before. */
    long answeredAt() {
        return answeredAt;
    }

    /** The answer, waited for up to {@code ms}; else the call's status, or DEADLINE_EXCEEDED, thrown. */
    T await(long ms) {
        try {
            return future.get(ms, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StatusRuntimeException s ? s
                    : Status.INTERNAL.withDescription(call + ": " + e.getCause()).asRuntimeException();
        } catch (TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("no answer to " + call + " in " + ms + " ms").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted while waiting for " + call).asRuntimeException();
        }
    }

    @Override
    public void onNext(T answer) {
        answeredAt = System.nanoTime();
        future.complete(answer);
    }

    @Override
    public void onError(Throwable t) {
        future.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
        future.completeExceptionally(Status.INTERNAL.withDescription(call + " ended without an answer").asRuntimeException());
    }
}
