package dev.handoff.agent.link;

/**
 * A source and sink of Ethernet frames. One thread (the host's event loop) calls
 * {@link #send} and {@link #receive}; any thread may call {@link #wakeup} and {@link #close}.
 */
public interface PacketLink extends AutoCloseable {
    /** Sends one Ethernet frame (destination MAC first, no FCS). Throws LinkException if the link fails. */
    void send(byte[] frame, int off, int len);

    /** Longest a receive waits on any link, whatever it is asked: callers loop at least this often, ms. */
    long MAX_WAIT_MILLIS = 1000;

    /**
     * Waits for frames and hands each to {@code receiver}; returns after a batch has been
     * handled, or when {@link #wakeup} was called (before or during the wait), or when the
     * link is closed, or when {@code waitMillis} (0 and up; the caller's next timer) have
     * passed without a frame. It may return sooner (after {@link #MAX_WAIT_MILLIS} at most),
     * never much later: the event loop sleeps here until its next timer, with no thread of its
     * own to wake it (which would preempt the loop on its CPU each time a timer moves sooner).
     */
    void receive(FrameReceiver receiver, long waitMillis);

    /**
     * Largest TCP payload one {@link #sendTcp} frame may carry: above the MSS, the link
     * segments it (GSO/TSO). 0 when the link sends MTU-sized frames only.
     */
    default int maxTcpPayload() {
        return 0;
    }

    /** {@link #sendTcp} takes frames whose TCP checksum holds only the pseudo-header sum. */
    default boolean offloadsChecksum() {
        return false;
    }

    /**
     * Sends a frame carrying one TCP segment that starts at {@code l4Offset} in the frame,
     * to be split into segments of {@code gsoSize} payload bytes (0: send as it is). Links
     * without offloads get complete, MTU-sized frames and send them as they are.
     */
    default void sendTcp(byte[] frame, int off, int len, int l4Offset, int tcpHeaderLength, int gsoSize) {
        send(frame, off, len);
    }

    /** Makes the current or next {@link #receive} return soon. Callable from any thread. */
    void wakeup();

    /** The MAC address frames to this host carry. */
    long mac();

    /** A name for logs, e.g. the interface name. */
    String name();

    /** Releases the link; a blocked {@link #receive} returns. */
    @Override
    void close();
}
