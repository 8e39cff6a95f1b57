package dev.handoff.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link CheckpointStore} that takes every write as a batch: each single write is a batch
 * of one, so an implementation gives {@link #write(List)} alone.
 */
public interface BatchedCheckpointStore extends CheckpointStore {
    @Override
    default CompletableFuture<Void> putState(String connectionId, int vip, long epoch, byte[] state, long needsFrom,
                                             long needsTo) {
        return write(List.of(new CheckpointWrite.State(connectionId, vip, epoch, state, needsFrom, needsTo)));
    }

    @Override
    default CompletableFuture<Void> appendStream(String connectionId, int vip, long epoch, long offset, byte[] bytes) {
        return write(List.of(new CheckpointWrite.Append(connectionId, vip, epoch, offset, bytes)));
    }

    @Override
    default CompletableFuture<Void> trimStream(String connectionId, int vip, long epoch, long offset) {
        return write(List.of(new CheckpointWrite.Trim(connectionId, vip, epoch, offset)));
    }

    @Override
    default CompletableFuture<Void> delete(String connectionId, int vip, long epoch) {
        return write(List.of(new CheckpointWrite.Delete(connectionId, vip, epoch)));
    }
}
