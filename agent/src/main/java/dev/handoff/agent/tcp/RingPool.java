package dev.handoff.agent.tcp;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Send rings of connections that left a stack (moved away), kept for the next connection
 * whose send buffer fills: a connection moved every 100 ms otherwise made its destination
 * allocate its send ring anew, doubling up to 4 MB (~75 MB/s, and a young collection every
 * ~3 s whose pause lands in freezes). One stack's, loop thread only.
 */
final class RingPool {
    /** Most rings kept: the connections a loop may see arrive at once without allocating. */
    static final int MAX_KEPT = 4;
    /** The rings kept, most recently given first. */
    private final ArrayDeque<byte[]> kept = new ArrayDeque<>();
    /** Where rings given out again are counted ({@link TcpCounters#ringsReused}). */
    private final TcpCounters counters;

    /** A pool counting its reuses in {@code counters}. */
    RingPool(TcpCounters counters) {
        this.counters = counters;
    }

    /** A kept ring of exactly {@code size} bytes (its content is stale), or null. */
    byte[] take(int size) {
        for (Iterator<byte[]> it = kept.iterator(); it.hasNext(); ) {
            byte[] ring = it.next();
            if (ring.length == size) {
                it.remove();
                counters.ringsReused++;
                return ring;
            }
        }
        return null;
    }

    /** Keeps {@code ring}, which nothing else references any more, unless enough are kept. */
    void give(byte[] ring) {
        if (kept.size() < MAX_KEPT) {
            kept.push(ring);
        }
    }
}
