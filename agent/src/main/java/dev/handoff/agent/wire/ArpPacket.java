package dev.handoff.agent.wire;

import static dev.handoff.agent.wire.MalformedPacketException.Reason.BAD_HEADER;
import static dev.handoff.agent.wire.MalformedPacketException.Reason.TRUNCATED;

/**
 * ARP for IPv4 over Ethernet (RFC 826). Only that combination is accepted: hardware
 * type 1, protocol 0x0800, address lengths 6 and 4.
 */
public final class ArpPacket {
    /** Length of an Ethernet/IPv4 ARP packet. */
    public static final int LENGTH = 28;
    /** Operation: request. */
    public static final int OP_REQUEST = 1;
    /** Operation: reply. */
    public static final int OP_REPLY = 2;

    /** The packet's bytes. */
    private byte[] buf;
    /** Offset of the packet in {@link #buf}. */
    private int off;

    /** An empty view, to be filled by {@link #wrap}. */
    public ArpPacket() {
    }

    /** A checked view of {@code len} bytes at {@code off}. */
    public ArpPacket(byte[] buf, int off, int len) throws MalformedPacketException {
        wrap(buf, off, len);
    }

    /** Points this view at a packet, checking it; returns this view. */
    public ArpPacket wrap(byte[] buf, int off, int len) throws MalformedPacketException {
        if (len < LENGTH) {
            throw new MalformedPacketException(TRUNCATED, "ARP packet of " + len + " bytes, needs " + LENGTH);
        }
        if (Bytes.u16(buf, off) != 1 || Bytes.u16(buf, off + 2) != EthernetFrame.TYPE_IPV4
                || Bytes.u8(buf, off + 4) != 6 || Bytes.u8(buf, off + 5) != 4) {
            throw new MalformedPacketException(BAD_HEADER, "ARP is not Ethernet/IPv4 (htype, ptype, hlen, plen)");
        }
        int op = Bytes.u16(buf, off + 6);
        if (op != OP_REQUEST && op != OP_REPLY) {
            throw new MalformedPacketException(BAD_HEADER, "ARP operation " + op + " is neither request nor reply");
        }
        this.buf = buf;
        this.off = off;
        return this;
    }

    /** Operation: {@link #OP_REQUEST} or {@link #OP_REPLY}. */
    public int operation() {
        return Bytes.u16(buf, off + 6);
    }

    /** Sender hardware address. */
    public long senderMac() {
        return Bytes.u48(buf, off + 8);
    }

    /** Sender protocol address. */
    public int senderIp() {
        return Bytes.i32(buf, off + 14);
    }

    /** Target hardware address. */
    public long targetMac() {
        return Bytes.u48(buf, off + 18);
    }

    /** Target protocol address. */
    public int targetIp() {
        return Bytes.i32(buf, off + 24);
    }

    /** Writes an Ethernet/IPv4 ARP packet at {@code off}; returns the offset after it. */
    public static int write(byte[] buf, int off, int operation, long senderMac, int senderIp, long targetMac, int targetIp) {
        Bytes.put16(buf, off, 1);
        Bytes.put16(buf, off + 2, EthernetFrame.TYPE_IPV4);
        Bytes.put8(buf, off + 4, 6);
        Bytes.put8(buf, off + 5, 4);
        Bytes.put16(buf, off + 6, operation);
        Bytes.put48(buf, off + 8, senderMac);
        Bytes.put32(buf, off + 14, senderIp);
        Bytes.put48(buf, off + 18, targetMac);
        Bytes.put32(buf, off + 24, targetIp);
        return off + LENGTH;
    }
}
