package dev.handoff.agent.wire;

/**
 * A TCP sequence number: 32 bits in a circular space (RFC 9293 §3.4). Comparisons are
 * wrap-aware ("serial number arithmetic", RFC 1982): {@code a} is before {@code b} when
 * {@code b - a}, taken mod 2^32, is in (0, 2^31).
 *
 * <p>The static methods work on raw {@code int}s so that the engine's hot path allocates
 * nothing; never compare sequence numbers with {@code <} on raw ints, call these.
 *
 * @param raw the 32-bit value as sent on the wire
 */
public record SeqNum(int raw) {

    /** {@code a} is strictly before {@code b}. */
    public static boolean lt(int a, int b) {
        return (a - b) < 0;
    }

    /** {@code a} is before or equal to {@code b}. */
    public static boolean le(int a, int b) {
        return (a - b) <= 0;
    }

    /** {@code a} is strictly after {@code b}. */
    public static boolean gt(int a, int b) {
        return (a - b) > 0;
    }

    /** {@code a} is after or equal to {@code b}. */
    public static boolean ge(int a, int b) {
        return (a - b) >= 0;
    }

    /** The later of two sequence numbers. */
    public static int max(int a, int b) {
        return gt(a, b) ? a : b;
    }

    /** The earlier of two sequence numbers. */
    public static int min(int a, int b) {
        return lt(a, b) ? a : b;
    }

    /** Bytes from {@code from} to {@code to} (negative when {@code to} is before). */
    public static int diff(int to, int from) {
        return to - from;
    }

    /** {@code lo <= x < hi} in sequence space. */
    public static boolean inRange(int x, int lo, int hi) {
        return le(lo, x) && lt(x, hi);
    }

    /** This number advanced by {@code n} bytes. */
    public SeqNum plus(int n) {
        return new SeqNum(raw + n);
    }

    /** This number is strictly before {@code other}. */
    public boolean isBefore(SeqNum other) {
        return lt(raw, other.raw);
    }

    /** This number is strictly after {@code other}. */
    public boolean isAfter(SeqNum other) {
        return gt(raw, other.raw);
    }

    /** Bytes from {@code from} to this number. */
    public int minus(SeqNum from) {
        return raw - from.raw;
    }

    @Override
    public String toString() {
        return Integer.toUnsignedString(raw);
    }
}
