package dev.handoff.agent.app;

/**
 * A deterministic pseudorandom byte stream that can be read at any offset: byte {@code i}
 * depends only on the seed and {@code i}. Lets a receiver or an audit check any byte
 * without keeping what was sent.
 */
public final class PatternStream {
    /** Seed of the stream. */
    private final long seed;

    public PatternStream(long seed) {
        this.seed = seed;
    }

    /** Byte at {@code index}. */
    public byte byteAt(long index) {
        return (byte) (word(index >>> 3) >>> ((index & 7) * 8));
    }

    /** Fills {@code len} bytes of {@code dst} at {@code off} with the stream from {@code index}. */
    public void fill(long index, byte[] dst, int off, int len) {
        int i = 0;
        while (i < len && ((index + i) & 7) != 0) {
            dst[off + i] = byteAt(index + i);
            i++;
        }
        for (; i + 8 <= len; i += 8) {
            long w = word((index + i) >>> 3);
            for (int k = 0; k < 8; k++) {
                dst[off + i + k] = (byte) (w >>> (k * 8));
            }
        }
        for (; i < len; i++) {
            dst[off + i] = byteAt(index + i);
        }
    }

    /** Offset of the first byte in {@code b[off, off+len)} that differs from the stream at {@code index}, or -1. */
    public int mismatch(long index, byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (b[off + i] != byteAt(index + i)) {
                return i;
            }
        }
        return -1;
    }

    private long word(long n) {
        // SplitMix64 finaliser: a good bijective mix.
        long z = seed + n * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
