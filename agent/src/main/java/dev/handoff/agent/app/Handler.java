package dev.handoff.agent.app;

/**
 * An application on one connection, driven by events on the connection's event loop (never
 * two at once, never concurrently with a move). Between two events its whole state is what
 * {@link #snapshot()} returns, so that a later issue can freeze it together with the
 * endpoint's ICI and {@link #restore} it on another agent.
 */
public interface Handler {
    /** The connection is open: accepted, or re-created after a move. */
    default void onOpen(Channel ch) {
    }

    /** Bytes can be read, or the peer closed its side ({@link Channel#read} returns -1). */
    void onReadable(Channel ch);

    /** There is room to write; called only while {@link Channel#wantWrite} is set. */
    default void onWritable(Channel ch) {
    }

    /** The connection is gone. */
    default void onClosed(Channel ch, String reason) {
    }

    /** The application's state as bytes, between two events. */
    byte[] snapshot();

    /**
     * A deterministic handler's state before it wrote its last {@code unsent} bytes, which it
     * then writes again identically; null when it cannot go back that far. Handlers that
     * keep the default (null) are checkpointed strictly: their bytes leave only once a
     * checkpoint holds them.
     */
    default byte[] snapshotBefore(long unsent) {
        return null;
    }

    /** Takes the state {@link #snapshot()} returned, on a fresh handler. */
    void restore(byte[] state);
}
