package dev.handoff.store;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Durable checkpoints of connections and leases on VIPs (DESIGN.md "Checkpointing",
 * "Fail-over"). A write completes only once it is on stable storage; writes carrying an
 * epoch older than the VIP's lease are refused with {@link StaleEpochException}.
 */
public interface CheckpointStore extends AutoCloseable {
    /** Records the full state of a connection (its ICI without the send queue), replacing the previous one. */
    default CompletableFuture<Void> putState(String connectionId, int vip, long epoch, byte[] state) {
        return putState(connectionId, vip, epoch, state, 0, 0);
    }

    /**
     * Like {@link #putState(String, int, long, byte[])} for a state that lists send bytes
     * [{@code needsFrom}, {@code needsTo}) of the stream: refused with
     * IllegalArgumentException unless the store keeps all of them, so that a state is never
     * stored without its bytes (an append it builds on may have failed).
     */
    CompletableFuture<Void> putState(String connectionId, int vip, long epoch, byte[] state, long needsFrom, long needsTo);

    /** Appends send bytes at stream offset {@code offset} (contiguous with what is kept, or overlapping it). */
    CompletableFuture<Void> appendStream(String connectionId, int vip, long epoch, long offset, byte[] bytes);

    /** Drops the send bytes below stream offset {@code offset}: the peer acknowledged them. */
    CompletableFuture<Void> trimStream(String connectionId, int vip, long epoch, long offset);

    /** Forgets a connection that ended. */
    CompletableFuture<Void> delete(String connectionId, int vip, long epoch);

    /**
     * Applies {@code writes} in order; completes once all are durable (one group commit for
     * a local store, one call for a remote one). Fails whole on the first refused write.
     * Calls at once may be applied in any order; see {@link #orderedWriter()}. The store may
     * keep the arrays of {@code writes} as they are: the caller must not change them after.
     */
    CompletableFuture<Void> write(List<CheckpointWrite> writes);

    /** Writes of one writer whose writes build on each other (a checkpointer's rounds, several in flight). */
    @FunctionalInterface
    interface OrderedWriter {
        /**
         * Like {@link CheckpointStore#write}, applied after every write made before through
         * this writer; it may fail unapplied if one of those fails.
         */
        CompletableFuture<Void> write(List<CheckpointWrite> writes);
    }

    /**
     * A writer whose writes are applied in the order of its calls, not held up by other
     * writers'. By default this store's own {@link #write}, for a store that applies every
     * write in call order (one queue).
     */
    default OrderedWriter orderedWriter() {
        return this::write;
    }

    /** The last durable checkpoint of a connection, if any. */
    Optional<Checkpoint> read(String connectionId);

    /** Connections checkpointed for {@code vip}. */
    List<String> connectionsOf(int vip);

    /** The last durable checkpoint of every connection of {@code vip} (what a resurrection reads). */
    default List<Checkpoint> readAll(int vip) {
        List<Checkpoint> all = new java.util.ArrayList<>();
        for (String id : connectionsOf(vip)) {
            read(id).ifPresent(all::add);
        }
        return all;
    }

    /**
     * Grants {@code owner} the lease on {@code vip} for {@code ttlMs}: a renewal when it holds
     * it (same epoch), a new epoch when the VIP is free or the previous lease has expired.
     * Refused with {@link StaleEpochException} while another owner's lease runs.
     */
    Lease acquire(int vip, String owner, long ttlMs);

    /**
     * Like {@link #acquire}, but only a new epoch will do: refused with
     * {@link StaleEpochException} while any lease on {@code vip} runs, {@code owner}'s own
     * included (a take-over must fence every earlier writer, itself too).
     */
    Lease acquireFresh(int vip, String owner, long ttlMs);

    /**
     * Hands {@code owner}'s running lease on {@code vip} over to {@code successor} at a new
     * epoch, for {@code ttlMs} (a VIP moved with its connections): the VIP is never free in
     * between, so no take-over can slip in. Refused with {@link StaleEpochException} unless
     * {@code owner} holds the lease now.
     */
    Lease handOver(int vip, String owner, String successor, long ttlMs);

    /** The lease on {@code vip}, if one was ever granted. */
    Optional<Lease> lease(int vip);

    @Override
    void close();
}
