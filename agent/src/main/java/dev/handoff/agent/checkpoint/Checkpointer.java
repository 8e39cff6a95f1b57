package dev.handoff.agent.checkpoint;

import dev.handoff.agent.host.Host;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.store.CheckpointStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * Checkpoints every connection of a host into a store, in rounds (issue 5 "Checkpointing").
 * A round captures, on the host's loop, what changed since the last one: each endpoint's
 * state without queues, and for strict applications the send bytes written since; a thread
 * of the loop's own (its sealer) tags the bytes and seals the states, and all of it goes to
 * the store as one batch (one group commit). Rounds follow each other without waiting for
 * the store's answers (a few in flight), and are finished in order. When the store
 * confirms, each endpoint may acknowledge up to the copied_seq captured and send what the
 * checkpoint covers (strict) or up to {@link CheckpointSettings#maxBytesBetween} beyond it
 * (deterministic). When the store does not confirm in time, an endpoint whose checkpoint
 * would pass the MSL stops sending new data, and says so.
 *
 * <p>A host with several event loops gets one part per loop ({@link LoopCheckpointer}), each
 * round of a part on its own loop; the store's group commit joins the parts' writes.
 */
public final class Checkpointer implements AutoCloseable {
    /** One part per event loop of the host, in loop order. */
    private final List<LoopCheckpointer> parts;
    /** Each part's sealer: a thread that seals its rounds and hands them to the store, in order. */
    private final List<ExecutorService> sealers;
    /** The host, for names in logs and errors. */
    private final Host host;
    /** Runs the rounds of every part, or null until {@link #start()} (driven by hand in tests). */
    private ScheduledExecutorService timer;

    /**
     * A checkpointer for {@code host}; {@link #start()} runs it. From construction on, the
     * host holds new and moved-in connections until their first checkpoint.
     */
    public Checkpointer(Host host, CheckpointStore store, CheckpointSettings settings, LeaseEpochs epochs, IciSeal seal,
                        LongSupplier clock, LongSupplier wallClock) {
        this.host = host;
        CheckpointSeal sealing = new CheckpointSeal(seal);
        this.sealers = host.loops().stream().map(l -> Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("checkpoint-seal-" + l.name()).daemon().factory())).toList();
        this.parts = java.util.stream.IntStream.range(0, sealers.size()).mapToObj(i -> new LoopCheckpointer(
                host.loops().get(i), store, settings, epochs, sealing, sealers.get(i), clock, wallClock)).toList();
    }

    /** One on the host's clock and the system's wall clock. */
    public Checkpointer(Host host, CheckpointStore store, CheckpointSettings settings, LeaseEpochs epochs, IciSeal seal) {
        this(host, store, settings, epochs, seal, host::now, System::currentTimeMillis);
    }

    /** Runs a round every interval on each of the host's loops. */
    public synchronized void start() {
        if (timer != null) {
            throw new IllegalStateException("checkpointer already started");
        }
        timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("checkpoint-" + host.name()).daemon().factory());
        for (LoopCheckpointer p : parts) {
            p.start(timer);
        }
    }

    /**
     * Checkpoints connection {@code id} now, changed or not; completes once durable (for
     * {@code handoff checkpoint}). Fails if there is no such connection.
     */
    public CompletableFuture<Void> checkpointNow(String id) {
        return parts.get(host.loopIndexOf(id)).checkpointNow(id);
    }

    /** One round of every part, on the calling thread: for a host with one loop, driven by hand on that loop (tests). */
    public void tick() {
        if (parts.size() != 1) {
            throw new IllegalStateException("rounds by hand need a host with one loop; host " + host.name() + " has "
                    + parts.size());
        }
        parts.getFirst().tick();
    }

    /** Rounds confirmed so far, all loops together. */
    public long rounds() {
        return sum(LoopCheckpointer::rounds);
    }

    /** Writes confirmed so far. */
    public long writes() {
        return sum(LoopCheckpointer::writes);
    }

    /** Send bytes confirmed so far. */
    public long bytesAppended() {
        return sum(LoopCheckpointer::bytesAppended);
    }

    private long sum(ToLongFunction<LoopCheckpointer> counter) {
        return parts.stream().mapToLong(counter).sum();
    }

    /** Stops the rounds (the store is the caller's to close); a round being sealed still goes to the store. */
    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
        sealers.forEach(ExecutorService::shutdown);
    }
}
