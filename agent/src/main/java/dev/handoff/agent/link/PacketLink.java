package dev.handoff.agent.link;

/**
 * A source and sink of Ethernet frames. One thread (the host's event loop) calls
 * {@link #send} and {@link #receive}; any thread may call {@link #wakeup} and {@link #close}.
 */
public interface PacketLink extends AutoCloseable {
    /** Sends one Ethernet frame (destination MAC first, no FCS). Throws LinkException if the link fails. */
    void send(byte[] frame, int off, int len);

    /**
     * Waits for frames and hands each to {@code receiver}; returns after a batch has been
     * handled, or when {@link #wakeup} was called (before or during the wait), or when the
     * link is closed.
     */
    void receive(FrameReceiver receiver);

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
