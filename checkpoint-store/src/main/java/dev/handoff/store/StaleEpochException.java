package dev.handoff.store;

/** A write or renewal from an owner whose lease epoch is no longer current: it must stop speaking for the VIP. */
public final class StaleEpochException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StaleEpochException(String message) {
        super(message);
    }
}
