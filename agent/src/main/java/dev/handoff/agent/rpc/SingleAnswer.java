package dev.handoff.agent.rpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** Receives the one answer of a client-streaming call into a future (failed with the call's status on error). */
final class SingleAnswer<T> implements StreamObserver<T> {
    /** Completed by the answer or the error. */
    final CompletableFuture<T> future = new CompletableFuture<>();
    /** What the call was, for the error when it ends without an answer. */
    private final String call;

    SingleAnswer(String call) {
        this.call = call;
    }

    @Override
    public void onNext(T answer) {
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
