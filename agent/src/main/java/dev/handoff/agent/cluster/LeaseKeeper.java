package dev.handoff.agent.cluster;

import dev.handoff.agent.checkpoint.LeaseEpochs;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.store.CheckpointStore;
import dev.handoff.store.Lease;
import dev.handoff.store.StaleEpochException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * Holds this agent's leases on its VIPs in the checkpoint store and renews them every quarter
 * of their time. A lease counts as held only until a quarter of its time before it could run
 * out at the store (measured from before the request was sent), so that this agent stops
 * speaking for a VIP before anybody else may start: a watchdog, apart from the renewals (which
 * may hang on an unreachable store), tells the agent the moment a lease stops counting.
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
    /** Told (from the watchdog thread) of a VIP whose lease stopped counting: the agent must fall silent for it. */
    private final IntConsumer onLapse;
    /** Local time of the last answer from the store, ms; {@code Long.MIN_VALUE} before the first. */
    private volatile long lastContact = Long.MIN_VALUE;
    /** The last call to the store failed (not for want of a lease: it did not answer, or refused). */
    private volatile boolean storeFailing;
    /** Leases held, by VIP. */
    private final Map<Integer, Held> held = new ConcurrentHashMap<>();
    /** VIPs served here whose lease is to be taken as soon as the store grants it (moved here). */
    private final Set<Integer> wanted = ConcurrentHashMap.newKeySet();
    /** Renews the leases on one thread and watches them on another, once started. */
    private ScheduledExecutorService timers;

    /** A lease as this agent counts it. @param epoch its epoch @param validUntil local time after which it no longer counts */
    private record Held(long epoch, long validUntil) {
    }

    public LeaseKeeper(CheckpointStore store, String owner, long ttlMs, LongSupplier clock, Consumer<String> onTrouble,
                       IntConsumer onLapse) {
        checkTtl(ttlMs);
        this.store = store;
        this.owner = owner;
        this.ttlMs = ttlMs;
        this.clock = clock;
        this.onTrouble = onTrouble;
        this.onLapse = onLapse;
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
        return take(vip, false);
    }

    /**
     * Takes the lease on a VIP at a new epoch, for a take-over: refused (StaleEpochException)
     * while any lease on it runs, this agent's own included, so that every earlier writer,
     * this agent too if it fell silent for the VIP or just moved it away, is fenced.
     */
    public Lease takeFresh(int vip) {
        return take(vip, true);
    }

    private Lease take(int vip, boolean fresh) {
        long sentAt = clock.getAsLong();
        Lease l = fresh ? store.acquireFresh(vip, owner, ttlMs) : store.acquire(vip, owner, ttlMs);
        heard();
        held.put(vip, new Held(l.epoch(), validUntil(sentAt)));
        return l;
    }

    private long validUntil(long sentAt) {
        return sentAt + ttlMs - ttlMs / 4;
    }

    /** Stops renewing {@code vip}'s lease (it runs out at the store by itself). */
    public void drop(int vip) {
        wanted.remove(vip);
        held.remove(vip);
    }

    /**
     * Hands the lease on a VIP moved away with its connections over to {@code successor} (the
     * agent that took them), so that it checkpoints them at once and nobody else can take the
     * VIP in between; if the store refuses, the lease is only no longer renewed (it runs out).
     */
    public void handOver(int vip, String successor) {
        drop(vip);
        try {
            store.handOver(vip, owner, successor, ttlMs);
            heard();
        } catch (RuntimeException e) {
            onTrouble.accept("cannot hand the lease on " + Ipv4Address.format(vip) + " over to " + successor + ": "
                    + e.getMessage() + "; it runs out by itself");
        }
    }

    /** The epoch of {@code vip}'s lease at the store now, whoever holds it (0 when it has none); throws when the store does not answer. */
    public long storedEpoch(int vip) {
        return store.lease(vip).map(Lease::epoch).orElse(0L);
    }

    /**
     * Takes the lease on a VIP that came here with its connections (moved): at once if the
     * store grants it, else at each renewal until the previous owner's lease has run out.
     */
    public void claim(int vip) {
        wanted.add(vip);
        try {
            take(vip);
        } catch (StaleEpochException e) {
            // the origin's lease still runs: the renewals take it once it ran out
        }
    }

    @Override
    public long epochFor(int vip) {
        Held h = held.get(vip);
        return h == null || clock.getAsLong() > h.validUntil() ? NONE : h.epoch();
    }

    /** The VIPs whose leases count now. */
    public int[] heldVips() {
        long now = clock.getAsLong();
        return held.entrySet().stream().filter(e -> now <= e.getValue().validUntil()).mapToInt(Map.Entry::getKey).toArray();
    }

    /**
     * Whether the store answered within the lease time: an agent that cannot reach it must not
     * offer to take VIPs over.
     */
    public boolean storeReachable() {
        long last = lastContact;
        return !storeFailing && last != Long.MIN_VALUE && clock.getAsLong() - last <= ttlMs;
    }

    /** The store answered. */
    private void heard() {
        lastContact = clock.getAsLong();
        storeFailing = false;
    }

    /** The store did not answer: says so, and this agent no longer offers to take VIPs over. */
    private void failed(String what, RuntimeException e) {
        storeFailing = true;
        onTrouble.accept(what + ": " + e.getMessage());
    }

    /**
     * Renews every held lease every quarter of the lease time (asking the store for nothing else
     * when none is held, to know it is reachable), and checks every twentieth of it that each
     * still counts.
     */
    public synchronized void start() {
        ThreadFactory threads = Thread.ofPlatform().name("lease-" + owner + "-", 0).daemon().factory();
        timers = Executors.newScheduledThreadPool(2, threads);
        timers.scheduleWithFixedDelay(this::renewAll, 0, ttlMs / 4, TimeUnit.MILLISECONDS);
        long watch = Math.max(5, ttlMs / 20);
        timers.scheduleWithFixedDelay(this::watch, watch, watch, TimeUnit.MILLISECONDS);
    }

    private void renewAll() {
        for (Integer vip : wanted) {
            if (!held.containsKey(vip)) {
                try {
                    take(vip);
                } catch (StaleEpochException e) {
                    heard(); // another lease still runs
                } catch (RuntimeException e) {
                    failed("cannot take the lease on " + Ipv4Address.format(vip), e);
                }
            }
        }
        if (held.isEmpty()) {
            try {
                store.lease(0);
                heard();
            } catch (RuntimeException e) {
                failed("checkpoint store unreachable", e);
            }
            return;
        }
        for (Integer vip : held.keySet()) {
            try {
                renew(vip);
            } catch (StaleEpochException e) {
                heard();
                Held h = held.get(vip);
                if (h != null) {
                    giveUp(vip, h); // another agent holds it now: fall silent at once
                }
            } catch (RuntimeException e) {
                failed("cannot renew the lease on " + Ipv4Address.format(vip), e);
            }
        }
    }

    /** Renews a lease still held; one that lapsed meanwhile stays given up. */
    private void renew(int vip) {
        long sentAt = clock.getAsLong();
        Lease l = store.acquire(vip, owner, ttlMs);
        heard();
        held.computeIfPresent(vip, (k, h) -> new Held(l.epoch(), validUntil(sentAt)));
    }

    /** Gives up, and reports, every lease that no longer counts. */
    void watch() {
        long now = clock.getAsLong();
        for (var e : held.entrySet()) {
            if (now > e.getValue().validUntil()) {
                giveUp(e.getKey(), e.getValue());
            }
        }
    }

    /** Forgets lease {@code h} on {@code vip} unless renewed meanwhile, and tells the agent to fall silent for it. */
    private void giveUp(int vip, Held h) {
        if (held.remove(vip, h)) {
            wanted.remove(vip);
            onLapse.accept(vip);
        }
    }

    /** Lease time, ms. */
    public long ttlMs() {
        return ttlMs;
    }

    @Override
    public synchronized void close() {
        if (timers != null) {
            timers.shutdownNow();
        }
    }
}
