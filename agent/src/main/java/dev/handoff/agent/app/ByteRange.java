package dev.handoff.agent.app;

/**
 * One byte range of a Range header (RFC 9110 §14.1.2) resolved against a size.
 *
 * @param first first byte, inclusive
 * @param last  last byte, inclusive
 */
public record ByteRange(long first, long last) {

    /** What a Range header asks of a representation of {@code size} bytes. */
    public sealed interface Result permits Whole, Partial, Unsatisfiable {
    }

    /** Serve everything (no Range, or one the server may ignore: several ranges, other units). */
    public record Whole() implements Result {
    }

    /** Serve one range with 206. */
    public record Partial(ByteRange range) implements Result {
    }

    /** Answer 416 (RFC 9110 §15.5.17). */
    public record Unsatisfiable() implements Result {
    }

    /** Resolves a Range header value (null when absent). */
    public static Result resolve(String header, long size) {
        if (header == null) {
            return new Whole();
        }
        String h = header.strip();
        if (!h.startsWith("bytes=") || h.indexOf(',') >= 0) {
            return new Whole(); // RFC 9110 §14.2: a server MAY ignore Range; we do for other units and multiranges
        }
        String spec = h.substring(6).strip();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return new Whole();
        }
        try {
            String a = spec.substring(0, dash).strip();
            String b = spec.substring(dash + 1).strip();
            if (a.isEmpty()) {
                long suffix = Long.parseLong(b); // bytes=-N: the last N bytes
                if (suffix <= 0 || size == 0) {
                    return new Unsatisfiable();
                }
                return new Partial(new ByteRange(Math.max(0, size - suffix), size - 1));
            }
            long first = Long.parseLong(a);
            long last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            if (first < 0 || (!b.isEmpty() && Long.parseLong(b) < first)) {
                return new Whole(); // invalid range-spec: ignore the header (RFC 9110 §14.1.1)
            }
            if (first >= size) {
                return new Unsatisfiable();
            }
            return new Partial(new ByteRange(first, last));
        } catch (NumberFormatException e) {
            return new Whole();
        }
    }

    /** Bytes in the range. */
    public long length() {
        return last - first + 1;
    }
}
