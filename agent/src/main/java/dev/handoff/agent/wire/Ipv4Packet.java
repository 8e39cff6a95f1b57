package dev.handoff.agent.wire;

import static dev.handoff.agent.wire.MalformedPacketException.Reason.BAD_CHECKSUM;
import static dev.handoff.agent.wire.MalformedPacketException.Reason.BAD_HEADER;
import static dev.handoff.agent.wire.MalformedPacketException.Reason.FRAGMENT;
import static dev.handoff.agent.wire.MalformedPacketException.Reason.TRUNCATED;

/**
 * IPv4 packet (RFC 791). {@link #wrap} checks version, header length (options are
 * length-checked and skipped), total length and header checksum, and rejects fragments
 * (they are not reassembled; callers count them).
 */
public final class Ipv4Packet {
    /** Header length without options. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Protocol number of TCP. */
    public static final int PROTOCOL_TCP = 6;
    /** TTL we send with (RFC 1700 recommends 64). */
    public static final int DEFAULT_TTL = 64;

    /** The packet's bytes. */
    private byte[] buf;
    /** Offset of the packet in {@link #buf}. */
    private int off;
    /** Header length in bytes (IHL * 4). */
    private int headerLength;
    /** Total length from the header (not counting link padding). */
    private int totalLength;

    /** An empty view, to be filled by {@link #wrap}. */
    public Ipv4Packet() {
    }

    /** A checked view of {@code len} bytes at {@code off}. */
    public Ipv4Packet(byte[] buf, int off, int len) throws MalformedPacketException {
        wrap(buf, off, len);
    }

    /** Points this view at a packet, checking it; returns this view. */
    public Ipv4Packet wrap(byte[] buf, int off, int len) throws MalformedPacketException {
        if (len < MIN_HEADER_LENGTH) {
            throw new MalformedPacketException(TRUNCATED, "IPv4 packet of " + len + " bytes, header needs " + MIN_HEADER_LENGTH);
        }
        int versionIhl = Bytes.u8(buf, off);
        if ((versionIhl >>> 4) != 4) {
            throw new MalformedPacketException(BAD_HEADER, "IP version " + (versionIhl >>> 4) + ", want 4");
        }
        int ihl = (versionIhl & 0xf) * 4;
        if (ihl < MIN_HEADER_LENGTH) {
            throw new MalformedPacketException(BAD_HEADER, "IPv4 header length " + ihl + " < 20");
        }
        int total = Bytes.u16(buf, off + 2);
        if (total < ihl) {
            throw new MalformedPacketException(BAD_HEADER, "IPv4 total length " + total + " < header length " + ihl);
        }
        if (total > len) {
            throw new MalformedPacketException(TRUNCATED, "IPv4 total length " + total + " > " + len + " bytes captured");
        }
        if (Checksum.of(buf, off, ihl) != 0) {
            throw new MalformedPacketException(BAD_CHECKSUM, "IPv4 header checksum does not verify");
        }
        int flagsFragment = Bytes.u16(buf, off + 6);
        // RFC 791: MF flag set or a non-zero fragment offset means a fragment.
        if ((flagsFragment & 0x2000) != 0 || (flagsFragment & 0x1fff) != 0) {
            throw new MalformedPacketException(FRAGMENT, "IPv4 fragment (offset " + (flagsFragment & 0x1fff) * 8 + ")");
        }
        this.buf = buf;
        this.off = off;
        this.headerLength = ihl;
        this.totalLength = total;
        return this;
    }

    /** Source address. */
    public int source() {
        return Bytes.i32(buf, off + 12);
    }

    /** Destination address. */
    public int destination() {
        return Bytes.i32(buf, off + 16);
    }

    /** Protocol of the payload. */
    public int protocol() {
        return Bytes.u8(buf, off + 9);
    }

    /** Time to live. */
    public int ttl() {
        return Bytes.u8(buf, off + 8);
    }

    /** Header length in bytes, options included. */
    public int headerLength() {
        return headerLength;
    }

    /** The packet's bytes. */
    public byte[] buffer() {
        return buf;
    }

    /** Offset of the payload in {@link #buffer()}. */
    public int payloadOffset() {
        return off + headerLength;
    }

    /** Length of the payload. */
    public int payloadLength() {
        return totalLength - headerLength;
    }

    /**
     * Writes a 20-byte IPv4 header (no options, DF set, id 0 as RFC 6864 allows for
     * atomic datagrams) with its checksum at {@code off}; returns the payload offset.
     */
    public static int writeHeader(byte[] buf, int off, int source, int destination, int protocol, int payloadLength) {
        Bytes.put8(buf, off, 0x45);
        Bytes.put8(buf, off + 1, 0);
        Bytes.put16(buf, off + 2, MIN_HEADER_LENGTH + payloadLength);
        Bytes.put16(buf, off + 4, 0);
        Bytes.put16(buf, off + 6, 0x4000);
        Bytes.put8(buf, off + 8, DEFAULT_TTL);
        Bytes.put8(buf, off + 9, protocol);
        Bytes.put16(buf, off + 10, 0);
        Bytes.put32(buf, off + 12, source);
        Bytes.put32(buf, off + 16, destination);
        Bytes.put16(buf, off + 10, Checksum.of(buf, off, MIN_HEADER_LENGTH));
        return off + MIN_HEADER_LENGTH;
    }
}
