package dev.handoff.agent.wire;

import static dev.handoff.agent.wire.MalformedPacketException.Reason.TRUNCATED;

/**
 * Ethernet II frame (IEEE 802.3 with an EtherType), without the FCS that captures omit.
 * A flyweight view: {@link #wrap} checks the length once; the accessors then cannot fail.
 */
public final class EthernetFrame {
    /** Destination MAC, source MAC, EtherType. */
    public static final int HEADER_LENGTH = 14;
    /** EtherType of IPv4 (RFC 894). */
    public static final int TYPE_IPV4 = 0x0800;
    /** EtherType of ARP (RFC 826). */
    public static final int TYPE_ARP = 0x0806;

    /** The frame's bytes. */
    private byte[] buf;
    /** Offset of the frame in {@link #buf}. */
    private int off;
    /** Length of the frame. */
    private int len;

    /** An empty view, to be filled by {@link #wrap}. */
    public EthernetFrame() {
    }

    /** A checked view of {@code len} bytes at {@code off}. */
    public EthernetFrame(byte[] buf, int off, int len) throws MalformedPacketException {
        wrap(buf, off, len);
    }

    /** Points this view at a frame, checking it; returns this view. */
    public EthernetFrame wrap(byte[] buf, int off, int len) throws MalformedPacketException {
        if (len < HEADER_LENGTH) {
            throw new MalformedPacketException(TRUNCATED, "Ethernet frame of " + len + " bytes, header needs " + HEADER_LENGTH);
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /** Destination MAC address. */
    public long destination() {
        return Bytes.u48(buf, off);
    }

    /** Source MAC address. */
    public long source() {
        return Bytes.u48(buf, off + 6);
    }

    /** EtherType. */
    public int etherType() {
        return Bytes.u16(buf, off + 12);
    }

    /** The frame's bytes. */
    public byte[] buffer() {
        return buf;
    }

    /** Offset of the payload in {@link #buffer()}. */
    public int payloadOffset() {
        return off + HEADER_LENGTH;
    }

    /** Length of the payload (may include trailing padding on short frames). */
    public int payloadLength() {
        return len - HEADER_LENGTH;
    }

    /** Whether the {@code len} bytes at {@code off} are an ARP frame (read before, or without, a checked view). */
    public static boolean isArp(byte[] buf, int off, int len) {
        return len >= HEADER_LENGTH && Bytes.u16(buf, off + 12) == TYPE_ARP;
    }

    /** Writes an Ethernet II header at {@code off}; returns the payload offset. */
    public static int writeHeader(byte[] buf, int off, long destination, long source, int etherType) {
        Bytes.put48(buf, off, destination);
        Bytes.put48(buf, off + 6, source);
        Bytes.put16(buf, off + 12, etherType);
        return off + HEADER_LENGTH;
    }
}
