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

    /**
     * Largest payload of one emitted segment; above one MSS the sink splits it into
     * {@code gsoSize}-byte segments (TSO/GSO). 0: one MSS at most.
     */
    default int maxPayload() {
        return 0;
    }

    /** The sink completes TCP checksums: segments carry only the pseudo-header sum in the field. */
    default boolean partialChecksum() {
        return false;
    }

    /**
     * The segment of {@code len} bytes at {@link #offset()} in {@link #buffer()} is ready:
     * send it, split into segments of {@code gsoSize} payload bytes when that is not 0.
     */
    void send(int sourceIp, int destinationIp, int len, int gsoSize);
}
