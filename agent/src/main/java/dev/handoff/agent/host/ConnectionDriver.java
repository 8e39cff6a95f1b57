package dev.handoff.agent.host;

/** Drives one connection on the host's event loop (package {@code app} adapts handlers to it). */
public interface ConnectionDriver {
    /** Something may have changed: data arrived, room was freed, the state changed. */
    void onActivity(Connection c);

    /** The connection is gone ({@code reason} says why); no more calls follow. */
    void onClosed(Connection c, String reason);
}
