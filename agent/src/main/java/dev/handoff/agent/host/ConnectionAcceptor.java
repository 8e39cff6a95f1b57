package dev.handoff.agent.host;

/** Serves a port: gives each accepted connection its driver. */
@FunctionalInterface
public interface ConnectionAcceptor {
    /** Returns the driver of a newly established connection. */
    ConnectionDriver accept(Connection c);
}
