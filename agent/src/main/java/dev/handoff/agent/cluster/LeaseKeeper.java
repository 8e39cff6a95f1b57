package dev.handoff.agent.cluster;

import dev.handoff.agent.checkpoint.LeaseEpochs;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.store.CheckpointStore;
import dev.handoff.store.Lease;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Holds this agent's leases on its VIPs in the checkpoint store and renews them every third
 * of their time. A lease counts as held only until a quarter of its time before it could run
 * out at the store (measured from before the request was sent), so that this agent stops
 * speaking for a VIP before anybody else may start.
 */
public final class LeaseKeeper implements LeaseEpochs, AutoCloseable {
    /** The store granting leases. */
    private final CheckpointStore store;
    /** This agent's name, the leases' owner. */
    private final String owner;
    /** Lease time, ms. */
    private final long ttlMs;
    /** Monotonic clock, ms. */
    private final LongSupplier clock;
    /** Told (from the renewal thread) when a renewal fails. */
    private final Consumer<String> onTrouble;
    /** Leases held, by VIP. */
    private final Map<Integer, Held> held = new ConcurrentHashMap<>();
    /** Renews the leases, once started. */
    private ScheduledExecutorService renewer;

    /** A lease as this agent counts it. @param epoch its epoch @param validUntil local time after which it no longer counts */
    private record Held(long epoch, long validUntil) {
    }

    public LeaseKeeper(CheckpointStore store, String owner, long ttlMs, LongSupplier clock, Consumer<String> onTrouble) {
        checkTtl(ttlMs);
        this.store = store;
        this.owner = owner;
        this.ttlMs = ttlMs;
        this.clock = clock;
        this.onTrouble = onTrouble;
    }

    /** Refuses a lease time outside 100 ms .. 10 min, naming it. */
    public static void checkTtl(long ttlMs) {
        if (ttlMs < 100 || ttlMs > 600_000) {
            throw new IllegalArgumentException("lease time " + ttlMs + " ms is outside 100..600000 ms");
        }
    }

    /**
     * Takes (or renews) the lease on {@code vip}; throws {@code StaleEpochException} while
     * another agent's lease on it runs.
     */
    public Lease take(int vip) {
        long sentAt = clock.getAsLong();
        Lease l = store.acquire(vip, owner, ttlMs);
        held.put(vip, new Held(l.epoch(), sentAt + ttlMs - ttlMs / 4));
        return l;
    }

    /** Stops renewing {@code vip}'s lease (it runs out at the store by itself). */
    public void drop(int vip) {
        held.remove(vip);
    }

    @Override
    public long epochFor(int vip) {
        Held h = held.get(vip);
        return h == null || clock.getAsLong() > h.validUntil() ? NONE : h.epoch();
    }

    /** Renews every held lease every third of the lease time. */
    public synchronized void start() {
        renewer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("lease-" + owner).daemon().factory());
        renewer.scheduleWithFixedDelay(this::renewAll, ttlMs / 3, ttlMs / 3, TimeUnit.MILLISECONDS);
    }

    private void renewAll() {
        for (Integer vip : held.keySet()) {
            try {
                take(vip);
            } catch (RuntimeException e) {
                onTrouble.accept("cannot renew the lease on " + Ipv4Address.format(vip) + ": "
                        + e.getMessage());
            }
        }
    }

    /** Lease time, ms. */
    public long ttlMs() {
        return ttlMs;
    }

    @Override
    public synchronized void close() {
        if (renewer != null) {
            renewer.shutdownNow();
        }
    }
}
