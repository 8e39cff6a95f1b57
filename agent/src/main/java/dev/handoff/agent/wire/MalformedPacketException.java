package dev.handoff.agent.wire;

/**
 * A frame or packet that cannot be parsed. The only exception a parser in this package
 * throws; it carries a {@link Reason} so that callers can count drops by cause.
 * It records no stack trace: malformed input is an expected event on the data path.
 */
public final class MalformedPacketException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a packet was rejected. */
    public enum Reason {
        /** Fewer bytes than the header or the declared length needs. */
        TRUNCATED,
        /** A version, type or length field holds a value the format forbids. */
        BAD_HEADER,
        /** The Internet checksum does not verify. */
        BAD_CHECKSUM,
        /** An IPv4 fragment: not reassembled, dropped (DESIGN.md: wire). */
        FRAGMENT,
        /** A TCP option whose length runs past the header or is invalid. */
        BAD_OPTION
    }

    /** The cause, for drop counters. */
    private final Reason reason;

    /** Creates the exception; {@code detail} says which field is wrong and how. */
    public MalformedPacketException(Reason reason, String detail) {
        super(reason + ": " + detail, null, false, false);
        this.reason = reason;
    }

    /** The cause, for drop counters. */
    public Reason reason() {
        return reason;
    }
}
