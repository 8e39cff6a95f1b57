package dev.handoff.agent.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Big-endian reads and writes on byte arrays; the callers have checked the bounds. */
public final class Bytes {
    /** Big-endian int view of a byte array. */
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    /** Big-endian long view of a byte array. */
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    /** Big-endian short view of a byte array. */
    private static final VarHandle SHORT_BE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);

    private Bytes() {
    }

    /** Unsigned 8-bit value at {@code off}. */
    public static int u8(byte[] b, int off) {
        return b[off] & 0xff;
    }

    /** Unsigned 16-bit big-endian value at {@code off}. */
    public static int u16(byte[] b, int off) {
        return (short) SHORT_BE.get(b, off) & 0xffff;
    }

    /** 32-bit big-endian value at {@code off}. */
    public static int i32(byte[] b, int off) {
        return (int) INT_BE.get(b, off);
    }

    /** 64-bit big-endian value at {@code off}. */
    public static long i64(byte[] b, int off) {
        return (long) LONG_BE.get(b, off);
    }

    /** 48-bit big-endian value (a MAC address) at {@code off}. */
    public static long u48(byte[] b, int off) {
        return ((long) u16(b, off) << 32) | (i32(b, off + 2) & 0xffffffffL);
    }

    /** Writes the low 8 bits of {@code v} at {@code off}. */
    public static void put8(byte[] b, int off, int v) {
        b[off] = (byte) v;
    }

    /** Writes the low 16 bits of {@code v} big-endian at {@code off}. */
    public static void put16(byte[] b, int off, int v) {
        SHORT_BE.set(b, off, (short) v);
    }

    /** Writes {@code v} big-endian at {@code off}. */
    public static void put32(byte[] b, int off, int v) {
        INT_BE.set(b, off, v);
    }

    /** Writes the low 48 bits of {@code v} (a MAC address) big-endian at {@code off}. */
    public static void put48(byte[] b, int off, long v) {
        put16(b, off, (int) (v >>> 32));
        put32(b, off + 2, (int) v);
    }
}
