package dev.handoff.agent.wire;

/**
 * Builds TCP headers with options into a caller's buffer. A reusable builder: set the
 * fields (or call {@link #reset}), {@link #write} the header, copy the payload after it,
 * then {@link #finishChecksum}. Options are laid out as Linux lays them out, so captures
 * read naturally: MSS, SACK-permitted + timestamps, NOP + window scale on SYNs;
 * NOP NOP timestamps, then NOP NOP SACK blocks on other segments.
 */
public final class TcpHeaderWriter {
    /** Source port. */
    public int sourcePort;
    /** Destination port. */
    public int destinationPort;
    /** Sequence number. */
    public int seq;
    /** Acknowledgment number. */
    public int ack;
    /** Control bits, {@link TcpSegment#SYN} and friends. */
    public int flags;
    /** Window field, already scaled down. */
    public int window;
    /** MSS option to send, or -1 for none. */
    public int mss = -1;
    /** Window scale option to send, or -1 for none. */
    public int windowScale = -1;
    /** Send the SACK-permitted option. */
    public boolean sackPermitted;
    /** Send the timestamps option. */
    public boolean timestamps;
    /** TSval to send. */
    public int tsVal;
    /** TSecr to send. */
    public int tsEcr;
    /** Number of SACK blocks to send. */
    public int sackCount;
    /** SACK blocks to send as left, right pairs. */
    public final int[] sackBlocks = new int[2 * TcpSegment.MAX_SACK_BLOCKS];

    /** Clears every field to "no options, no flags". */
    public TcpHeaderWriter reset() {
        sourcePort = 0;
        destinationPort = 0;
        seq = 0;
        ack = 0;
        flags = 0;
        window = 0;
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        timestamps = false;
        tsVal = 0;
        tsEcr = 0;
        sackCount = 0;
        return this;
    }

    /** Length of the header {@link #write} would produce. */
    public int headerLength() {
        int n = TcpSegment.MIN_HEADER_LENGTH;
        if (mss >= 0) n += 4;
        if (timestamps) n += sackPermitted ? 10 + 2 : 12;
        else if (sackPermitted) n += 4;
        if (windowScale >= 0) n += 4;
        if (sackCount > 0) n += 4 + 8 * sackCount;
        return n;
    }

    /** Writes the header at {@code off} with a zero checksum; returns its length. */
    public int write(byte[] b, int off) {
        int hl = headerLength();
        if (hl > TcpSegment.MAX_HEADER_LENGTH) {
            throw new IllegalStateException("TCP options need " + hl + " bytes of header, at most 60 fit: send fewer SACK blocks");
        }
        Bytes.put16(b, off, sourcePort);
        Bytes.put16(b, off + 2, destinationPort);
        Bytes.put32(b, off + 4, seq);
        Bytes.put32(b, off + 8, ack);
        Bytes.put8(b, off + 12, (hl / 4) << 4);
        Bytes.put8(b, off + 13, flags);
        Bytes.put16(b, off + 14, window);
        Bytes.put16(b, off + 16, 0);
        Bytes.put16(b, off + 18, 0);
        int i = off + TcpSegment.MIN_HEADER_LENGTH;
        if (mss >= 0) {
            b[i] = TcpSegment.OPT_MSS;
            b[i + 1] = 4;
            Bytes.put16(b, i + 2, mss);
            i += 4;
        }
        if (timestamps) {
            if (sackPermitted) {
                b[i] = TcpSegment.OPT_SACK_PERMITTED;
                b[i + 1] = 2;
                i += 2;
            } else {
                b[i] = TcpSegment.OPT_NOP;
                b[i + 1] = TcpSegment.OPT_NOP;
                i += 2;
            }
            b[i] = TcpSegment.OPT_TIMESTAMPS;
            b[i + 1] = 10;
            Bytes.put32(b, i + 2, tsVal);
            Bytes.put32(b, i + 6, tsEcr);
            i += 10;
        } else if (sackPermitted) {
            b[i] = TcpSegment.OPT_NOP;
            b[i + 1] = TcpSegment.OPT_NOP;
            b[i + 2] = TcpSegment.OPT_SACK_PERMITTED;
            b[i + 3] = 2;
            i += 4;
        }
        if (windowScale >= 0) {
            b[i] = TcpSegment.OPT_NOP;
            b[i + 1] = TcpSegment.OPT_WSCALE;
            b[i + 2] = 3;
            b[i + 3] = (byte) windowScale;
            i += 4;
        }
        if (sackCount > 0) {
            b[i] = TcpSegment.OPT_NOP;
            b[i + 1] = TcpSegment.OPT_NOP;
            b[i + 2] = TcpSegment.OPT_SACK;
            b[i + 3] = (byte) (2 + 8 * sackCount);
            i += 4;
            for (int k = 0; k < sackCount; k++) {
                Bytes.put32(b, i, sackBlocks[2 * k]);
                Bytes.put32(b, i + 4, sackBlocks[2 * k + 1]);
                i += 8;
            }
        }
        return hl;
    }

    /**
     * Stores only the pseudo-header sum (folded, not complemented) in the checksum field,
     * for a link that completes the checksum over the segment (CHECKSUM_PARTIAL; the
     * {@code virtio_net_hdr} NEEDS_CSUM convention).
     */
    public static void pseudoHeaderChecksum(byte[] b, int off, int len, int sourceIp, int destinationIp) {
        int folded = ~Checksum.finish(Checksum.pseudoHeader(sourceIp, destinationIp, Ipv4Packet.PROTOCOL_TCP, len)) & 0xffff;
        Bytes.put16(b, off + 16, folded);
    }

    /** Computes and stores the checksum of the segment of {@code len} bytes at {@code off}. */
    public static void finishChecksum(byte[] b, int off, int len, int sourceIp, int destinationIp) {
        Bytes.put16(b, off + 16, 0);
        long sum = Checksum.pseudoHeader(sourceIp, destinationIp, Ipv4Packet.PROTOCOL_TCP, len);
        Bytes.put16(b, off + 16, Checksum.finish(Checksum.add(sum, b, off, len)));
    }
}
