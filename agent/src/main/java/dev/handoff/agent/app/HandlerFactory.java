package dev.handoff.agent.app;

/** Makes a handler for each connection of a service. */
public interface HandlerFactory {
    /** Name of the application ("files", "echo", "stream"), carried in the ICI. */
    String name();

    /** A fresh handler. */
    Handler create();
}
