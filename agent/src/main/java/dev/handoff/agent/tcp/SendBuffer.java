package dev.handoff.agent.tcp;

/**
 * Bytes the application wrote and the peer has not acknowledged: a ring buffer whose
 * first byte is the one at SND.UNA (or just after our SYN). Retransmissions read from
 * here, so a retransmitted byte is always the byte first sent at that sequence number.
 */
final class SendBuffer {
    /** Storage; grows by doubling up to {@link #limit}. */
    private byte[] ring;
    /** Most bytes the buffer may hold. */
    private final int limit;
    /** Index in {@link #ring} of the first (oldest) byte. */
    private int head;
    /** Bytes held. */
    private int length;

    /** A buffer holding at most {@code capacity} bytes. */
    SendBuffer(int capacity) {
        this.limit = capacity;
        this.ring = Rings.EMPTY; // allocated on first write: idle connections cost no buffer
    }

    /** Most bytes the buffer can hold. */
    int capacity() {
        return limit;
    }

    /** Bytes held (unacknowledged plus not yet sent). */
    int length() {
        return length;
    }

    /** Room left for the application. */
    int free() {
        return limit - length;
    }

    /** Appends up to {@code len} bytes; returns how many fit. */
    int write(byte[] src, int off, int len) {
        int n = Math.min(len, free());
        if (n == 0) {
            return 0;
        }
        if (length + n > ring.length) {
            grow(length + n);
        }
        Rings.copyIn(src, off, ring, (head + length) % ring.length, n);
        length += n;
        return n;
    }

    /**
     * Makes {@code bytes} the content of this empty buffer, keeping the array as its storage
     * instead of copying it (a restore: 4 MB of a moved connection's send queue are not
     * copied again on the destination's loop). The caller gives the array up.
     */
    void adopt(byte[] bytes) {
        if (length != 0 || bytes.length > limit) {
            throw new IllegalStateException("a buffer holding " + length + " of " + limit + " bytes cannot adopt " + bytes.length);
        }
        if (bytes.length > 0) {
            ring = bytes;
            head = 0;
            length = bytes.length;
        }
    }

    private void grow(int needed) {
        ring = Rings.grow(ring, head, needed, limit);
        head = 0;
    }

    /** Copies {@code len} bytes starting {@code offset} bytes after the first into {@code dst}. */
    void copy(int offset, byte[] dst, int dstOff, int len) {
        if (offset < 0 || len < 0 || offset + len > length) {
            throw new IndexOutOfBoundsException("send buffer copy " + offset + "+" + len + " of " + length);
        }
        if (len == 0) {
            return;
        }
        Rings.copyOut(ring, (head + offset) % ring.length, dst, dstOff, len);
    }

    /** Drops the first {@code n} bytes (acknowledged by the peer). */
    void discard(int n) {
        if (n < 0 || n > length) {
            throw new IndexOutOfBoundsException("send buffer discard " + n + " of " + length);
        }
        if (n == 0) {
            return;
        }
        head = (head + n) % ring.length;
        length -= n;
    }

    /** A copy of every byte held, oldest first. */
    byte[] toArray() {
        byte[] out = new byte[length];
        copy(0, out, 0, length);
        return out;
    }
}
