package dev.handoff.agent.host;

/** Re-creates the driver of a connection moved here, from the application state in its ICI. */
@FunctionalInterface
public interface ConnectionRestorer {
    /** The driver of {@code c}, its application restored from {@code state}; throws IllegalArgumentException for a bad state. */
    ConnectionDriver restore(Connection c, byte[] state);
}
