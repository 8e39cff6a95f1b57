package dev.handoff.agent.app;

/**
 * A copy buffer per event-loop thread, shared by the handlers it drives: handlers run one
 * event at a time on their loop, so they need no buffer of their own while idle.
 */
final class Scratch {
    /** Size of the buffer. */
    static final int SIZE = 64 * 1024;
    /** One buffer per thread. */
    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[SIZE]);

    private Scratch() {
    }

    /** This thread's buffer; valid until the current event returns. */
    static byte[] buffer() {
        return BUFFER.get();
    }
}
