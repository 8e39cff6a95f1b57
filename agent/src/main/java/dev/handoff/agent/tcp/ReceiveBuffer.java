package dev.handoff.agent.tcp;

import dev.handoff.agent.wire.SeqNum;

/**
 * Received bytes: the in-order bytes the application has not read yet, followed by the
 * window in which out-of-order segments are placed where they belong. A ring buffer plus
 * a small sorted list of out-of-order ranges (by sequence number); allocation-free.
 *
 * <p>Ring position of sequence number {@code s} is {@code readPos + unread + (s - rcvNxt)}.
 */
final class ReceiveBuffer {
    /** Storage; grows by doubling up to {@link #limit} as data arrives. */
    private byte[] ring;
    /** Most bytes the ring may hold: unread data plus the whole window. */
    private final int limit;
    /** Index in {@link #ring} of the first unread byte. */
    private int readPos;
    /** In-order bytes not yet read by the application. */
    private int unread;
    /** Out-of-order ranges held beyond RCV.NXT. */
    private final SeqRanges ranges;
    /** Index of the range that received the latest segment (RFC 2018 §4: first SACK block), or -1. */
    private int latest = -1;

    /** A buffer of {@code capacity} bytes keeping at most {@code maxRanges} out-of-order ranges. */
    ReceiveBuffer(int capacity, int maxRanges) {
        this.limit = capacity;
        this.ring = Rings.EMPTY; // allocated when data arrives: idle connections cost no buffer
        this.ranges = new SeqRanges(maxRanges);
    }

    /** Total storage, unread bytes and window together. */
    int capacity() {
        return limit;
    }

    /** In-order bytes waiting for the application. */
    int unread() {
        return unread;
    }

    /** Number of out-of-order ranges held. */
    int rangeCount() {
        return ranges.count();
    }

    /** Left edge of out-of-order range {@code i}. */
    int rangeLeft(int i) {
        return ranges.left(i);
    }

    /** Right edge (exclusive) of out-of-order range {@code i}. */
    int rangeRight(int i) {
        return ranges.right(i);
    }

    /** Index of the range holding the most recently received out-of-order bytes, or -1. */
    int latestRange() {
        return latest;
    }

    /**
     * Stores {@code len} bytes that start {@code seq - rcvNxt} bytes past RCV.NXT. The
     * caller has trimmed them to the window and checked they fit in the ring. Returns the
     * new RCV.NXT: advanced past the bytes and any out-of-order range they joined, or
     * unchanged for an out-of-order segment. Returns {@code rcvNxt} unchanged and stores
     * nothing if the segment would need more ranges than allowed; see {@link #wouldOverflow}.
     */
    int write(int rcvNxt, int seq, byte[] src, int off, int len) {
        if (len == 0) {
            return rcvNxt;
        }
        int delta = seq - rcvNxt;
        if (unread + delta + len > ring.length) {
            if (unread + delta + len > limit) {
                throw new IllegalStateException("segment [" + delta + ", +" + len + ") past RCV.NXT with " + unread
                        + " unread overflows the " + limit + "-byte buffer");
            }
            grow(unread + delta + len);
        }
        Rings.copyIn(src, off, ring, (readPos + unread + delta) % ring.length, len);
        if (delta == 0) {
            unread += len;
            int next = rcvNxt + len;
            // Join (and drop) every out-of-order range now reached.
            while (ranges.count() > 0 && SeqNum.le(ranges.left(0), next)) {
                if (SeqNum.gt(ranges.right(0), next)) {
                    unread += ranges.right(0) - next;
                    next = ranges.right(0);
                }
                ranges.remove(0);
            }
            latest = -1; // the newest bytes are in order: no SACK block holds them
            return next;
        }
        latest = ranges.add(seq, seq + len);
        return rcvNxt;
    }

    /** Doubles the ring until {@code needed} bytes fit, keeping every byte at its logical place. */
    private void grow(int needed) {
        ring = Rings.grow(ring, readPos, needed, limit);
        readPos = 0;
    }

    /** The range list cannot take a new disjoint range [seq, end) (the caller drops the segment). */
    boolean wouldOverflow(int seq, int end) {
        return ranges.wouldOverflow(seq, end);
    }

    /** Moves up to {@code len} unread bytes to {@code dst}; returns how many. */
    int read(byte[] dst, int off, int len) {
        int n = Math.min(len, unread);
        if (n == 0) {
            return 0;
        }
        Rings.copyOut(ring, readPos, dst, off, n);
        readPos = (readPos + n) % ring.length;
        unread -= n;
        return n;
    }

    /** Copies {@code len} bytes at sequence {@code seq} (unread or out-of-order) to {@code dst}. */
    void copyAt(int rcvNxt, int seq, byte[] dst, int off, int len) {
        if (len == 0) {
            return;
        }
        Rings.copyOut(ring, Math.floorMod(readPos + unread + (seq - rcvNxt), ring.length), dst, off, len);
    }

    /** A copy of the unread bytes, oldest first. */
    byte[] unreadBytes() {
        byte[] out = new byte[unread];
        if (unread > 0) {
            Rings.copyOut(ring, readPos, out, 0, unread);
        }
        return out;
    }
}
