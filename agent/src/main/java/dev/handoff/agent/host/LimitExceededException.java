package dev.handoff.agent.host;

/** A request refused because it would pass one of the limits that keep a caller from exhausting the agent. */
public final class LimitExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LimitExceededException(String message) {
        super(message);
    }
}
