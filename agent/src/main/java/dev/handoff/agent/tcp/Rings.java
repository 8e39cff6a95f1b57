package dev.handoff.agent.tcp;

/** Copies in and out of ring buffers (byte arrays whose end wraps to their start). */
final class Rings {
    /** Smallest storage once a buffer holds anything (an idle connection holds none). */
    static final int MIN_SIZE = 4096;
    /** Storage of an empty buffer that never held anything. */
    static final byte[] EMPTY = new byte[0];

    private Rings() {
    }

    /** Copies {@code len} bytes of {@code ring} from position {@code start} (wrapping) to {@code dst}. */
    static void copyOut(byte[] ring, int start, byte[] dst, int off, int len) {
        int first = Math.min(len, ring.length - start);
        System.arraycopy(ring, start, dst, off, first);
        System.arraycopy(ring, 0, dst, off + first, len - first);
    }

    /** Copies {@code len} bytes of {@code src} into {@code ring} from position {@code start} (wrapping). */
    static void copyIn(byte[] src, int off, byte[] ring, int start, int len) {
        int first = Math.min(len, ring.length - start);
        System.arraycopy(src, off, ring, start, first);
        System.arraycopy(src, off + first, ring, 0, len - first);
    }

    /** {@code target}, holding the {@code length} bytes of {@code ring} from {@code start} (wrapping) at position 0. */
    static byte[] moveInto(byte[] ring, int start, int length, byte[] target) {
        if (length > target.length) {
            throw new IllegalStateException("a ring of " + target.length + " bytes cannot hold " + length);
        }
        if (length > 0) {
            copyOut(ring, start, target, 0, length);
        }
        return target;
    }

    /**
     * A copy of {@code ring} doubled until it holds {@code needed} bytes (at most
     * {@code limit}), with the bytes from {@code start} moved, in order, to position 0.
     */
    static byte[] grow(byte[] ring, int start, int needed, int limit) {
        if (needed > limit) {
            throw new IllegalStateException("a ring of at most " + limit + " bytes cannot hold " + needed);
        }
        int size = Math.min(limit, Math.max(ring.length, MIN_SIZE));
        while (size < needed) {
            size = (int) Math.min(limit, 2L * size);
        }
        return moveInto(ring, start, ring.length, new byte[size]);
    }
}
