package dev.handoff.agent.wire;

import static dev.handoff.agent.wire.MalformedPacketException.Reason.BAD_CHECKSUM;
import static dev.handoff.agent.wire.MalformedPacketException.Reason.BAD_HEADER;
import static dev.handoff.agent.wire.MalformedPacketException.Reason.BAD_OPTION;
import static dev.handoff.agent.wire.MalformedPacketException.Reason.TRUNCATED;

/**
 * A TCP segment (RFC 9293 §3.1) with its options parsed: MSS, window scale,
 * SACK-permitted, SACK blocks and timestamps; EOL and NOP honoured, unknown options
 * skipped by their length. {@link #wrap} verifies the checksum over the pseudo-header
 * and checks every length; after it no accessor can fail.
 */
public final class TcpSegment {
    /** Header length without options. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Header length with the most options (data offset 15). */
    public static final int MAX_HEADER_LENGTH = 60;
    /** Flag: no more data from sender. */
    public static final int FIN = 0x01;
    /** Flag: synchronize sequence numbers. */
    public static final int SYN = 0x02;
    /** Flag: reset the connection. */
    public static final int RST = 0x04;
    /** Flag: push function. */
    public static final int PSH = 0x08;
    /** Flag: acknowledgment field is significant. */
    public static final int ACK = 0x10;
    /** Flag: urgent pointer field is significant. */
    public static final int URG = 0x20;
    /** Option kind: end of option list. */
    public static final int OPT_EOL = 0;
    /** Option kind: no operation. */
    public static final int OPT_NOP = 1;
    /** Option kind: maximum segment size (RFC 9293 §3.7.1). */
    public static final int OPT_MSS = 2;
    /** Option kind: window scale (RFC 7323 §2). */
    public static final int OPT_WSCALE = 3;
    /** Option kind: SACK permitted (RFC 2018 §2). */
    public static final int OPT_SACK_PERMITTED = 4;
    /** Option kind: SACK blocks (RFC 2018 §3). */
    public static final int OPT_SACK = 5;
    /** Option kind: timestamps (RFC 7323 §3). */
    public static final int OPT_TIMESTAMPS = 8;
    /** Most SACK blocks one option can hold (40 bytes of options). */
    public static final int MAX_SACK_BLOCKS = 4;

    /** The segment's bytes. */
    private byte[] buf;
    /** Offset of the segment in {@link #buf}. */
    private int off;
    /** Length of the segment, header and payload. */
    private int len;
    /** Header length in bytes (data offset * 4). */
    private int headerLength;
    /** Source address from the IP header (for the pseudo-header and for demux). */
    private int sourceIp;
    /** Destination address from the IP header. */
    private int destinationIp;
    /** MSS option value, or -1 when absent. */
    private int mss;
    /** Window scale option shift as sent (not clamped), or -1 when absent. */
    private int windowScale;
    /** The SACK-permitted option is present. */
    private boolean sackPermitted;
    /** The timestamps option is present. */
    private boolean hasTimestamps;
    /** TSval of the timestamps option. */
    private int tsVal;
    /** TSecr of the timestamps option. */
    private int tsEcr;
    /** Number of SACK blocks present. */
    private int sackCount;
    /** SACK blocks as left, right pairs. */
    private final int[] sackBlocks = new int[2 * MAX_SACK_BLOCKS];

    /** An empty view, to be filled by {@link #wrap}. */
    public TcpSegment() {
    }

    /** A checked view of {@code len} bytes at {@code off}, carried from {@code sourceIp} to {@code destinationIp}. */
    public TcpSegment(byte[] buf, int off, int len, int sourceIp, int destinationIp) throws MalformedPacketException {
        wrap(buf, off, len, sourceIp, destinationIp);
    }

    /** Points this view at a segment, checking lengths, options and checksum; returns this view. */
    public TcpSegment wrap(byte[] buf, int off, int len, int sourceIp, int destinationIp) throws MalformedPacketException {
        return wrap(buf, off, len, sourceIp, destinationIp, true);
    }

    /**
     * Points this view at a segment, checking lengths and options, and the checksum when
     * {@code verifyChecksum} (a capture of a sender that offloads checksums sees partial
     * sums, so an observer turns it off); returns this view.
     */
    public TcpSegment wrap(byte[] buf, int off, int len, int sourceIp, int destinationIp, boolean verifyChecksum)
            throws MalformedPacketException {
        if (len < MIN_HEADER_LENGTH) {
            throw new MalformedPacketException(TRUNCATED, "TCP segment of " + len + " bytes, header needs " + MIN_HEADER_LENGTH);
        }
        int hl = (Bytes.u8(buf, off + 12) >>> 4) * 4;
        if (hl < MIN_HEADER_LENGTH) {
            throw new MalformedPacketException(BAD_HEADER, "TCP data offset " + hl + " < 20");
        }
        if (hl > len) {
            throw new MalformedPacketException(TRUNCATED, "TCP data offset " + hl + " > segment length " + len);
        }
        if (verifyChecksum && Checksum.finish(Checksum.add(
                Checksum.pseudoHeader(sourceIp, destinationIp, Ipv4Packet.PROTOCOL_TCP, len), buf, off, len)) != 0) {
            throw new MalformedPacketException(BAD_CHECKSUM, "TCP checksum does not verify");
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        this.headerLength = hl;
        this.sourceIp = sourceIp;
        this.destinationIp = destinationIp;
        parseOptions(buf, off + MIN_HEADER_LENGTH, off + hl);
        return this;
    }

    private void parseOptions(byte[] b, int i, int end) throws MalformedPacketException {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        hasTimestamps = false;
        sackCount = 0;
        while (i < end) {
            int kind = b[i] & 0xff;
            if (kind == OPT_EOL) {
                return;
            }
            if (kind == OPT_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                throw new MalformedPacketException(BAD_OPTION, "TCP option " + kind + " has no length byte");
            }
            int optLen = b[i + 1] & 0xff;
            if (optLen < 2 || i + optLen > end) {
                throw new MalformedPacketException(BAD_OPTION, "TCP option " + kind + " length " + optLen + " runs past the header");
            }
            // A known option with the wrong length is ignored like an unknown one (Linux does the same).
            switch (kind) {
                case OPT_MSS -> {
                    if (optLen == 4) {
                        mss = Bytes.u16(b, i + 2);
                    }
                }
                case OPT_WSCALE -> {
                    if (optLen == 3) {
                        windowScale = b[i + 2] & 0xff;
                    }
                }
                case OPT_SACK_PERMITTED -> {
                    if (optLen == 2) {
                        sackPermitted = true;
                    }
                }
                case OPT_TIMESTAMPS -> {
                    if (optLen == 10) {
                        hasTimestamps = true;
                        tsVal = Bytes.i32(b, i + 2);
                        tsEcr = Bytes.i32(b, i + 6);
                    }
                }
                case OPT_SACK -> {
                    int n = (optLen - 2) / 8;
                    if ((optLen - 2) % 8 == 0 && n >= 1 && n <= MAX_SACK_BLOCKS) {
                        for (int k = 0; k < n; k++) {
                            sackBlocks[2 * k] = Bytes.i32(b, i + 2 + 8 * k);
                            sackBlocks[2 * k + 1] = Bytes.i32(b, i + 6 + 8 * k);
                        }
                        sackCount = n;
                    }
                }
                default -> {
                    // RFC 9293 §3.1: unknown options are skipped by their length.
                }
            }
            i += optLen;
        }
    }

    /** Source port. */
    public int sourcePort() {
        return Bytes.u16(buf, off);
    }

    /** Destination port. */
    public int destinationPort() {
        return Bytes.u16(buf, off + 2);
    }

    /** Sequence number. */
    public int seq() {
        return Bytes.i32(buf, off + 4);
    }

    /** Acknowledgment number (meaningful when ACK is set). */
    public int ack() {
        return Bytes.i32(buf, off + 8);
    }

    /** Control bits (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR). */
    public int flags() {
        return Bytes.u8(buf, off + 13);
    }

    /** The given flag(s) are all set. */
    public boolean has(int flag) {
        return (flags() & flag) == flag;
    }

    /** Window field, unscaled. */
    public int window() {
        return Bytes.u16(buf, off + 14);
    }

    /** Urgent pointer. */
    public int urgentPointer() {
        return Bytes.u16(buf, off + 18);
    }

    /** Header length with options. */
    public int headerLength() {
        return headerLength;
    }

    /** Source address from the IP header. */
    public int sourceIp() {
        return sourceIp;
    }

    /** Destination address from the IP header. */
    public int destinationIp() {
        return destinationIp;
    }

    /** MSS option, or -1 when absent. */
    public int mss() {
        return mss;
    }

    /** Window scale option shift, or -1 when absent. */
    public int windowScale() {
        return windowScale;
    }

    /** The SACK-permitted option is present. */
    public boolean sackPermitted() {
        return sackPermitted;
    }

    /** The timestamps option is present. */
    public boolean hasTimestamps() {
        return hasTimestamps;
    }

    /** TSval (meaningful when {@link #hasTimestamps()}). */
    public int tsVal() {
        return tsVal;
    }

    /** TSecr (meaningful when {@link #hasTimestamps()}). */
    public int tsEcr() {
        return tsEcr;
    }

    /** Number of SACK blocks. */
    public int sackCount() {
        return sackCount;
    }

    /** Left edge of SACK block {@code i} (0 <= i < sackCount). */
    public int sackLeft(int i) {
        return sackBlocks[2 * i];
    }

    /** Right edge (exclusive) of SACK block {@code i}. */
    public int sackRight(int i) {
        return sackBlocks[2 * i + 1];
    }

    /** The segment's bytes. */
    public byte[] buffer() {
        return buf;
    }

    /** Offset of the payload in {@link #buffer()}. */
    public int payloadOffset() {
        return off + headerLength;
    }

    /** Payload length. */
    public int payloadLength() {
        return len - headerLength;
    }

    /** Sequence space the segment occupies: payload plus one for SYN and one for FIN. */
    public int segmentLength() {
        int f = flags();
        return payloadLength() + ((f & SYN) != 0 ? 1 : 0) + ((f & FIN) != 0 ? 1 : 0);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(sourcePort()).append('>').append(destinationPort()).append(' ');
        int f = flags();
        if ((f & SYN) != 0) sb.append('S');
        if ((f & FIN) != 0) sb.append('F');
        if ((f & RST) != 0) sb.append('R');
        if ((f & PSH) != 0) sb.append('P');
        if ((f & ACK) != 0) sb.append('.');
        sb.append(" seq=").append(Integer.toUnsignedString(seq()));
        if ((f & ACK) != 0) sb.append(" ack=").append(Integer.toUnsignedString(ack()));
        sb.append(" win=").append(window()).append(" len=").append(payloadLength());
        if (mss >= 0) sb.append(" mss=").append(mss);
        if (windowScale >= 0) sb.append(" ws=").append(windowScale);
        if (sackPermitted) sb.append(" sackOK");
        if (hasTimestamps) sb.append(" ts=").append(Integer.toUnsignedString(tsVal)).append('/').append(Integer.toUnsignedString(tsEcr));
        for (int i = 0; i < sackCount; i++) {
            sb.append(" sack=").append(Integer.toUnsignedString(sackLeft(i))).append('-').append(Integer.toUnsignedString(sackRight(i)));
        }
        return sb.toString();
    }
}
