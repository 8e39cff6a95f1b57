package dev.handoff.agent.cluster;

import dev.handoff.agent.host.HostEvent;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.store.StaleEpochException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Automatic fail-over (issue 5): a VIP that a member served and that no live member serves
 * now is orphaned (its agent died, or fell silent for it when its lease lapsed). Exactly one
 * survivor is chosen for it, the same by every member's reckoning: of the live members that
 * reach the store, the one whose name hashes highest with the VIP (rendezvous hashing, so
 * the VIPs of a dead agent spread over the survivors). The chosen one takes the VIP over as
 * soon as the store grants its lease, that is once the old owner's lease has run out.
 */
public final class Failover implements AutoCloseable {
    /** Time between tries while the old owner's lease runs, ms. */
    static final long LEASE_RETRY_MS = 20;
    /** Time before trying again after a take-over failed for another reason, ms. */
    static final long FAILURE_BACKOFF_MS = 1000;
    /** The longest a resurrection may take once the lease is held, ms. */
    static final long RESURRECT_TIMEOUT_MS = 30_000;

    /** Takes a VIP over here: its lease, then its connections from their checkpoints. */
    @FunctionalInterface
    public interface VipTaker {
        /**
         * Takes {@code vip} over; throws {@link StaleEpochException} while another lease on it
         * runs. Completes with the number of connections resurrected.
         */
        CompletableFuture<Integer> takeOver(int vip);
    }

    /** This agent's name. */
    private final String self;
    /** Takes VIPs over. */
    private final VipTaker taker;
    /** Where take-overs are reported. */
    private final EventSink events;
    /** Monotonic clock, ms. */
    private final LongSupplier clock;
    /** The member last seen serving each VIP ever seen (heartbeat thread only). */
    private final Map<Integer, String> lastServer = new HashMap<>();
    /** VIPs being taken over here now. */
    private final Set<Integer> taking = ConcurrentHashMap.newKeySet();
    /** Local time before which a VIP whose take-over failed is not tried again, ms. */
    private final Map<Integer, Long> backoffUntil = new ConcurrentHashMap<>();
    /** The latest view of the live members. */
    private volatile List<MemberStatus> live = List.of();
    /** Runs the take-overs, one at a time. */
    private final ExecutorService worker;

    public Failover(String self, VipTaker taker, EventSink events, LongSupplier clock) {
        this.self = self;
        this.taker = taker;
        this.events = events;
        this.clock = clock;
        this.worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("failover-" + self).daemon().factory());
    }

    /** The live members changed (or not): takes over each orphaned VIP this agent is chosen for. */
    public void onView(List<MemberStatus> members) {
        live = members;
        for (MemberStatus m : members) {
            for (int vip : m.vips()) {
                lastServer.put(vip, m.name());
            }
        }
        long now = clock.getAsLong();
        for (Map.Entry<Integer, String> e : lastServer.entrySet()) {
            int vip = e.getKey();
            if (isOrphan(vip, members) && self.equals(survivor(vip, members))
                    && now >= backoffUntil.getOrDefault(vip, Long.MIN_VALUE) && taking.add(vip)) {
                String from = e.getValue();
                boolean fromAlive = members.stream().anyMatch(m -> m.name().equals(from));
                events.report(HostEvent.FAILOVER, Ipv4Address.format(vip), "served by " + from
                        + (fromAlive ? ", which fell silent for it" : ", which is dead") + ": taking it over here");
                worker.execute(() -> takeOver(vip));
            }
        }
    }

    /** Takes {@code vip} over once its lease is free, unless meanwhile someone serves it or another survivor is chosen. */
    private void takeOver(int vip) {
        long start = clock.getAsLong();
        String name = Ipv4Address.format(vip);
        try {
            while (true) {
                List<MemberStatus> members = live;
                if (!isOrphan(vip, members) || !self.equals(survivor(vip, members))) {
                    events.report(HostEvent.FAILOVER, name, "left to " + server(vip, members));
                    return;
                }
                try {
                    long attempt = clock.getAsLong();
                    int connections = taker.takeOver(vip).get(RESURRECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    long now = clock.getAsLong();
                    events.report(HostEvent.FAILOVER, name, "taken over with " + connections + " connections in "
                            + (now - attempt) + " ms, " + (now - start) + " ms after it was found orphaned");
                    return;
                } catch (StaleEpochException e) {
                    Thread.sleep(LEASE_RETRY_MS); // the old owner's lease still runs
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            backoffUntil.put(vip, clock.getAsLong() + FAILURE_BACKOFF_MS);
            events.report(HostEvent.ERROR, name, "taking it over failed: " + cause.getMessage() + "; trying again in "
                    + FAILURE_BACKOFF_MS + " ms");
        } finally {
            taking.remove(vip);
        }
    }

    private static String server(int vip, List<MemberStatus> members) {
        return members.stream().filter(m -> m.serves(vip)).map(MemberStatus::name).findFirst().orElse("another survivor");
    }

    private static boolean isOrphan(int vip, List<MemberStatus> members) {
        return members.stream().noneMatch(m -> m.serves(vip));
    }

    /**
     * The member that takes {@code vip} over: of those that reach the store, the one whose
     * name scores highest with the VIP (ties, which need equal hashes, by name); null if none.
     */
    static String survivor(int vip, List<MemberStatus> members) {
        String best = null;
        long bestScore = 0;
        for (MemberStatus m : members) {
            if (!m.storeReachable()) {
                continue;
            }
            long score = mix(((long) vip << 32) ^ (m.name().hashCode() & 0xffffffffL));
            if (best == null || Long.compareUnsigned(score, bestScore) > 0
                    || (score == bestScore && m.name().compareTo(best) < 0)) {
                best = m.name();
                bestScore = score;
            }
        }
        return best;
    }

    /** SplitMix64's finalizer: every input bit moves every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
