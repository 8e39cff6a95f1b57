package dev.handoff.agent.tcp;

/**
 * Where a stack puts the segments it emits. The bytes are a complete TCP segment,
 * checksum included, valid only during the call: copy them to keep them.
 */
@FunctionalInterface
public interface SegmentSink {
    /** Sends the TCP segment of {@code len} bytes at {@code off} from {@code sourceIp} to {@code destinationIp}. */
    void send(int sourceIp, int destinationIp, byte[] segment, int off, int len);
}
