package dev.handoff.agent.tcp;

/**
 * Where a stack puts the segments it emits, without an intermediate copy: the stack asks
 * for a buffer, writes a complete TCP segment (checksum included) at {@link #offset()},
 * then calls {@link #send}. Room before the offset is for lower-layer headers (IPv4,
 * Ethernet), so a link can send the frame in place.
 */
public interface SegmentSink {
    /** Buffer for the next segment; it must hold {@link #offset()} + 60 + MSS bytes. */
    byte[] buffer();

    /** Where in {@link #buffer()} the segment starts. */
    default int offset() {
        return 0;
    }

    /** The segment of {@code len} bytes at {@link #offset()} in {@link #buffer()} is complete: send it. */
    void send(int sourceIp, int destinationIp, int len);
}
