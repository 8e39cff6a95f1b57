package dev.handoff.agent.host;

/** Drives one connection on the host's event loop (package {@code app} adapts handlers to it). */
public interface ConnectionDriver {
    /** Something may have changed: data arrived, room was freed, the state changed. */
    void onActivity(Connection c);

    /** The connection is gone ({@code reason} says why); no more calls follow. */
    void onClosed(Connection c, String reason);

    /** Name of the application, carried in the ICI so the destination can restore it. */
    default String application() {
        return "";
    }

    /** The application's state between two events, for a move; empty when it has none. */
    default byte[] snapshot() {
        return new byte[0];
    }

    /**
     * For a deterministic application: its state as it was before it wrote its last
     * {@code unsent} bytes, from which it writes exactly those bytes again (issue 5
     * "Outbound: deterministic"); null when it cannot go back that far. The default, null,
     * makes the application strict: its bytes go out only once a checkpoint holds them.
     */
    default byte[] snapshotBefore(long unsent) {
        return null;
    }
}
