package dev.handoff.agent.wire;

/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement
 * sum. Sums are kept in a {@code long} and folded once at the end.
 */
public final class Checksum {
    private Checksum() {
    }

    /** Adds {@code len} bytes at {@code off} to a running sum, as 16-bit big-endian words. */
    public static long add(long sum, byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        // 8 bytes per step, added as two 32-bit halves: the one's complement sum of 32-bit
        // words folds to the same 16-bit result (RFC 1071 §2(B)), and a long cannot
        // overflow before 2^31 steps. Two accumulators let the adds overlap.
        long even = 0;
        long odd = 0;
        for (; i + 16 <= end; i += 16) {
            long w0 = Bytes.i64(b, i);
            long w1 = Bytes.i64(b, i + 8);
            even += (w0 >>> 32) + (w0 & 0xffffffffL);
            odd += (w1 >>> 32) + (w1 & 0xffffffffL);
        }
        sum += fold32(even) + fold32(odd);
        for (; i + 4 <= end; i += 4) {
            sum += Bytes.i32(b, i) & 0xffffffffL;
        }
        if (i + 2 <= end) {
            sum += Bytes.u16(b, i);
            i += 2;
        }
        if (i < end) {
            sum += (b[i] & 0xff) << 8; // RFC 1071: an odd byte is padded with zero
        }
        return sum;
    }

    /** Folds a sum of 32-bit words to a value below 2^33, keeping its one's complement meaning. */
    private static long fold32(long s) {
        return (s & 0xffffffffL) + (s >>> 32);
    }

    /** The TCP/UDP pseudo-header sum (RFC 9293 §3.1): addresses, protocol, length. */
    public static long pseudoHeader(int srcIp, int dstIp, int protocol, int length) {
        return (srcIp & 0xffffffffL) + (dstIp & 0xffffffffL) + protocol + length;
    }

    /** Folds a running sum to 16 bits and complements it: the value to put on the wire. */
    public static int finish(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** The checksum of {@code len} bytes at {@code off}. */
    public static int of(byte[] b, int off, int len) {
        return finish(add(0, b, off, len));
    }
}
