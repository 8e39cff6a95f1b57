package dev.handoff.agent.tcp;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Bytes the application wrote and the peer has not acknowledged, first byte at SND.UNA (or
 * just after our SYN). Retransmissions read from here, so a retransmitted byte is always the
 * byte first sent at that sequence number.
 *
 * <p>A restored endpoint's queue starts with the pieces it was restored from, kept as they
 * are ({@link #adopt}: 4 MB of a moved connection's send queue are not copied on the
 * destination's loop while the connection is frozen); what the application writes after them
 * goes into a ring buffer.
 */
final class SendBuffer {
    /** Storage of the bytes after the adopted pieces; grows by doubling up to {@link #limit}. */
    private byte[] ring;
    /** Most bytes the buffer may hold. */
    private final int limit;
    /** Index in {@link #ring} of the ring's first (oldest) byte. */
    private int head;
    /** Bytes held in the ring. */
    private int ringLength;
    /** {@link #pieces} of a buffer holding no adopted bytes (none adopted, or all acknowledged). */
    private static final ByteBuffer[] NO_PIECES = new ByteBuffer[0];
    /** {@link #ends} of a buffer holding no adopted bytes. */
    private static final int[] NO_ENDS = new int[0];
    /** Adopted read-only pieces, oldest first; a piece is dropped (null) once every byte of it is acknowledged. */
    private ByteBuffer[] pieces = NO_PIECES;
    /** {@code ends[i]}: bytes of the pieces 0..i together (their end in the adopted stretch). */
    private int[] ends = NO_ENDS;
    /** Index of the first piece not yet dropped. */
    private int firstPiece;
    /** Bytes of the adopted stretch acknowledged (discarded) already. */
    private int prefixStart;
    /** Bytes of the adopted stretch in all. */
    private int prefixLength;
    /** Where a ring grown past 1/{@link #POOLED_FROM_DIVISOR} of the limit comes from if it can; null: always allocated. */
    private RingPool pool;

    /** A buffer whose ring must grow past this fraction of the limit takes a whole ring from the pool. */
    static final int POOLED_FROM_DIVISOR = 8;

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
        return prefixLength - prefixStart + ringLength;
    }

    /** Room left for the application. */
    int free() {
        return limit - length();
    }

    /** Appends up to {@code len} bytes; returns how many fit. */
    int write(byte[] src, int off, int len) {
        int n = Math.min(len, free());
        if (n == 0) {
            return 0;
        }
        if (ringLength + n > ring.length) {
            byte[] pooled = pool != null && ringLength + n > limit / POOLED_FROM_DIVISOR ? pool.take(limit) : null;
            ring = pooled != null ? Rings.moveInto(ring, head, ringLength, pooled) : Rings.grow(ring, head, ringLength + n, limit);
            head = 0;
        }
        Rings.copyIn(src, off, ring, (head + ringLength) % ring.length, n);
        ringLength += n;
        return n;
    }

    /**
     * Makes {@code bytes} (in pieces, oldest first) the content of this empty buffer without
     * copying them: the buffer reads them where they are until the peer acknowledges them. The
     * caller guarantees that nothing writes to them any more.
     */
    void adopt(List<ByteBuffer> bytes) {
        ByteBuffer[] adopted = bytes.stream().filter(ByteBuffer::hasRemaining)
                .map(ByteBuffer::slice) // position 0 from here on: reads are absolute
                .toArray(ByteBuffer[]::new);
        int[] adoptedEnds = new int[adopted.length];
        long end = 0;
        for (int i = 0; i < adopted.length; i++) {
            end += adopted[i].remaining();
            adoptedEnds[i] = (int) end; // refused below if the total is beyond the limit
        }
        if (length() != 0 || end > limit) {
            throw new IllegalStateException("a buffer holding " + length() + " of " + limit + " bytes cannot adopt " + end);
        }
        pieces = adopted;
        ends = adoptedEnds;
        firstPiece = 0;
        prefixStart = 0;
        prefixLength = (int) end;
    }

    /** Copies {@code len} bytes starting {@code offset} bytes after the first into {@code dst}. */
    void copy(int offset, byte[] dst, int dstOff, int len) {
        if (offset < 0 || len < 0 || offset > length() - len) {
            throw new IndexOutOfBoundsException("send buffer copy " + offset + "+" + len + " of " + length());
        }
        int inPrefix = prefixLength - prefixStart;
        if (offset < inPrefix) {
            int n = Math.min(len, inPrefix - offset);
            copyFromPieces(prefixStart + offset, dst, dstOff, n);
            dstOff += n;
            len -= n;
            offset = inPrefix;
        }
        if (len > 0) {
            Rings.copyOut(ring, (head + offset - inPrefix) % ring.length, dst, dstOff, len);
        }
    }

    /** Copies {@code len} bytes of the adopted stretch from its byte {@code at} on. */
    private void copyFromPieces(int at, byte[] dst, int dstOff, int len) {
        int i = Arrays.binarySearch(ends, firstPiece, ends.length, at);
        i = i >= 0 ? i + 1 : -i - 1; // the piece whose end is beyond at
        while (len > 0) {
            int start = ends[i] - pieces[i].remaining();
            int n = Math.min(len, ends[i] - at);
            pieces[i].get(at - start, dst, dstOff, n);
            at += n;
            dstOff += n;
            len -= n;
            i++;
        }
    }

    /** Drops the first {@code n} bytes (acknowledged by the peer). */
    void discard(int n) {
        if (n < 0 || n > length()) {
            throw new IndexOutOfBoundsException("send buffer discard " + n + " of " + length());
        }
        int fromPrefix = Math.min(n, prefixLength - prefixStart);
        if (fromPrefix > 0) {
            prefixStart += fromPrefix;
            while (firstPiece < pieces.length && ends[firstPiece] <= prefixStart) {
                pieces[firstPiece++] = null; // acknowledged: its memory can go
            }
            if (prefixStart == prefixLength) {
                dropPieces();
            }
            n -= fromPrefix;
        }
        if (n > 0) {
            head = (head + n) % ring.length;
            ringLength -= n;
        }
    }

    /** Takes rings from {@code pool} when it grows large, and gives its own back there on {@link #release}. */
    void drawFrom(RingPool pool) {
        this.pool = pool;
    }

    /**
     * Empties the buffer for good (its connection left) and gives its ring to the pool it draws
     * from: nothing may read or write this buffer afterwards, and nothing else may still hold
     * its ring.
     */
    void release() {
        if (pool != null && ring.length == limit) {
            pool.give(ring);
        }
        ring = Rings.EMPTY;
        head = ringLength = 0;
        dropPieces();
    }

    /** Forgets the adopted stretch (all of it acknowledged, or the buffer released). */
    private void dropPieces() {
        pieces = NO_PIECES;
        ends = NO_ENDS;
        firstPiece = prefixStart = prefixLength = 0;
    }

    /** A copy of every byte held, oldest first. */
    byte[] toArray() {
        byte[] out = new byte[length()];
        copy(0, out, 0, out.length);
        return out;
    }
}
