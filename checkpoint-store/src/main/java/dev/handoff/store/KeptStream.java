package dev.handoff.store;

import java.util.ArrayDeque;

/**
 * The send bytes kept for one connection, from stream offset {@link #start()} on: the
 * appended arrays themselves, in order, never copied on append or trim (a strict
 * application's checkpoints carry every byte it sends, at up to a gigabyte a second). Only a
 * read assembles them into one array.
 */
final class KeptStream {
    /** Bytes [from, to) of an appended array. */
    private static final class Chunk {
        /** The array as appended (never changed). */
        final byte[] bytes;
        /** First byte of it still kept. */
        int from;
        /** End of the bytes of it kept. */
        final int to;

        Chunk(byte[] bytes, int from, int to) {
            this.bytes = bytes;
            this.from = from;
            this.to = to;
        }
    }

    /** The chunks, oldest first. */
    private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
    /** Stream offset of the first byte kept. */
    private long start;
    /** Bytes kept. */
    private long length;

    /** Stream offset of the first byte kept. */
    long start() {
        return start;
    }

    /** Stream offset after the last byte kept. */
    long end() {
        return start + length;
    }

    /** Bytes kept. */
    long length() {
        return length;
    }

    /**
     * Keeps {@code bytes} (the caller gives the array up) at stream offset {@code offset},
     * contiguous with what is kept or overlapping it (a retried write: the overlap is
     * skipped). An empty stream starts at {@code offset}; so does one it would leave a gap
     * in (writes are checked for gaps first: only a log that lost records replays one).
     */
    void append(long offset, byte[] bytes) {
        if (length == 0 || offset > end()) {
            chunks.clear();
            start = offset;
            length = 0;
        }
        long skip = Math.max(0, end() - offset);
        if (skip >= bytes.length) {
            return;
        }
        chunks.addLast(new Chunk(bytes, (int) skip, bytes.length));
        length += bytes.length - skip;
    }

    /** Drops the bytes below stream offset {@code offset} (acknowledged by the peer). */
    void trim(long offset) {
        long drop = Math.min(length, offset - start);
        if (drop <= 0) {
            return;
        }
        start += drop;
        length -= drop;
        while (drop > 0) {
            Chunk c = chunks.peekFirst();
            int n = (int) Math.min(drop, c.to - c.from);
            c.from += n;
            drop -= n;
            if (c.from == c.to) {
                chunks.removeFirst();
            }
        }
    }

    /** A copy of every byte kept. */
    byte[] toArray() {
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(length + " send bytes kept for one connection: more than an array holds");
        }
        byte[] out = new byte[(int) length];
        int at = 0;
        for (Chunk c : chunks) {
            System.arraycopy(c.bytes, c.from, out, at, c.to - c.from);
            at += c.to - c.from;
        }
        return out;
    }
}
