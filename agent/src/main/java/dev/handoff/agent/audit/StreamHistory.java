package dev.handoff.agent.audit;

/**
 * The most recent bytes of one direction of a TCP stream, by stream offset, so that a
 * retransmission can be compared with what was first sent. Grows on demand up to a bound;
 * an idle stream holds nothing.
 */
final class StreamHistory {
    /** Largest history kept, bytes (a power of two). */
    private final int maxCapacity;
    /** Ring of the bytes at offsets [{@link #end} - {@link #size}, {@link #end}); index = offset mod length. */
    private byte[] ring = new byte[0];
    /** Stream offset one past the highest byte recorded. */
    private long end;
    /** Bytes of history held below {@link #end}. */
    private int size;

    StreamHistory(int maxCapacity) {
        if (Integer.bitCount(maxCapacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two, got " + maxCapacity);
        }
        this.maxCapacity = maxCapacity;
    }

    /** Stream offset one past the highest byte seen. */
    long end() {
        return end;
    }

    /**
     * Takes {@code len} bytes sent at stream offset {@code at}: bytes below {@link #end()} are
     * compared with the history, the rest appended. Returns the first offset whose byte
     * differs, or -1; counts of checked and unverifiable bytes go to {@code tally}.
     */
    long record(long at, byte[] b, int off, int len, Tally tally) {
        long mismatch = -1;
        long overlapEnd = Math.min(at + len, end);
        for (long o = Math.max(at, end - size); o < overlapEnd; o++) {
            if (ring[index(o)] != b[off + (int) (o - at)] && mismatch < 0) {
                mismatch = o;
            }
        }
        if (overlapEnd > at) {
            long checkable = overlapEnd - Math.max(at, end - size);
            tally.checked += Math.max(0, checkable);
            tally.unverifiable += (overlapEnd - at) - Math.max(0, checkable);
        }
        long newEnd = at + len;
        if (newEnd > end) {
            long from = Math.max(at, end);
            if (from > end) {
                size = 0; // a gap: history restarts at the new data
            }
            ensure((int) Math.min(maxCapacity, Math.max(newEnd - from + size, 1)));
            for (long o = from; o < newEnd; o++) {
                ring[index(o)] = b[off + (int) (o - at)];
            }
            size = (int) Math.min(ring.length, size + (newEnd - from));
            end = newEnd;
        }
        return mismatch;
    }

    /** Starts the stream at {@code offset} (the first data byte's offset is 0 after a SYN). */
    void startAt(long offset) {
        end = offset;
        size = 0;
    }

    /** Grows the ring to hold at least {@code want} bytes (bounded), keeping what it holds. */
    private void ensure(int want) {
        if (want <= ring.length || ring.length == maxCapacity) {
            return;
        }
        int cap = Math.max(4096, ring.length);
        while (cap < want && cap < maxCapacity) {
            cap <<= 1;
        }
        byte[] next = new byte[cap];
        for (long o = end - size; o < end; o++) {
            next[(int) (o & (cap - 1))] = ring[index(o)];
        }
        ring = next;
    }

    private int index(long offset) {
        return (int) (offset & (ring.length - 1));
    }

    /** Counts of compared bytes. */
    static final class Tally {
        /** Retransmitted bytes compared with the original. */
        long checked;
        /** Retransmitted bytes older than the history: not compared. */
        long unverifiable;
    }
}
