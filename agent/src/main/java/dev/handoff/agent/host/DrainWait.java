package dev.handoff.agent.host;

import dev.handoff.agent.tcp.TcpConnection;

import java.util.concurrent.CompletableFuture;

/**
 * A move waiting for the moment to freeze connection {@code c} ({@link HostLoop#drainTo}): its
 * send buffer drained to at most {@code most} bytes, the application's writes held, and a pause
 * in the peer's sending, or {@code lullBy} (loop clock, ms) passed; {@code done} gets the send
 * bytes left.
 *
 * <p>Why the pause: what the peer sends during a freeze reaches the origin, goes on to the
 * destination and is acknowledged only after the activation there. A Linux peer with two or more
 * segments unacknowledged sends a tail-loss probe (a retransmission) after about 2 SRTT + 2 ms,
 * so a freeze that begins in the middle of one of its writes and takes a few ms costs it one.
 * Begun in a pause between its writes, the freeze finds nothing of the peer's in flight (a
 * single unacknowledged segment waits for the peer's 200 ms floor, not 2 ms). A peer that never
 * pauses, a bulk upload, is frozen when {@code lullBy} passes.
 */
record DrainWait(Connection c, int most, long lullBy, CompletableFuture<Integer> done) {
    /** Quiet the peer's data must have kept, ms of the loop's clock (so more than 1 ms): a write's segments come closer than that. */
    static final long LULL_MS = 2;
    /** Longest a drained move waits for that pause, ms. */
    static final long LULL_WAIT_MS = 10;

    /** Whether the freeze may begin at {@code now}: the buffer holds at most {@code most} of {@code sendUsed} bytes and the peer paused, or the wait for a pause is over. */
    static boolean ready(int sendUsed, int most, long lastDataAt, long now, long lullBy) {
        boolean paused = lastDataAt == TcpConnection.NO_DATA_YET || now - lastDataAt >= LULL_MS;
        return sendUsed <= most && (paused || now >= lullBy);
    }

    /** {@link #ready} for this wait's connection at {@code now}. */
    boolean ready(long now) {
        TcpConnection t = c.tcp();
        return ready(t.sendBufferUsed(), most, t.lastDataAt(), now, lullBy);
    }
}
