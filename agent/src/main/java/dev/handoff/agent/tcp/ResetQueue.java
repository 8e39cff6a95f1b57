package dev.handoff.agent.tcp;

/**
 * Resets waiting to be sent: answers to segments that match no connection or that a
 * connection must refuse (RFC 9293 §3.10.7.1, §3.10.7.3). Bounded; a full queue drops
 * and counts, so a flood of stray segments cannot grow memory.
 */
final class ResetQueue {
    /** Fields per entry: local ip, remote ip, local port, remote port, seq, ack, flags. */
    private static final int FIELDS = 7;
    /** Entries as consecutive groups of {@link #FIELDS} ints. */
    private final int[] entries;
    /** Index of the oldest entry. */
    private int head;
    /** Entries held. */
    private int size;
    /** Where drops are counted. */
    private final TcpCounters counters;

    ResetQueue(int capacity, TcpCounters counters) {
        this.entries = new int[capacity * FIELDS];
        this.counters = counters;
    }

    /** Queues a reset; drops and counts it when the queue is full. */
    void add(int localIp, int remoteIp, int localPort, int remotePort, int seq, int ack, int flags) {
        int capacity = entries.length / FIELDS;
        if (size == capacity) {
            counters.resetQueueDrops++;
            return;
        }
        int i = ((head + size) % capacity) * FIELDS;
        entries[i] = localIp;
        entries[i + 1] = remoteIp;
        entries[i + 2] = localPort;
        entries[i + 3] = remotePort;
        entries[i + 4] = seq;
        entries[i + 5] = ack;
        entries[i + 6] = flags;
        size++;
    }

    /** Resets are waiting. */
    boolean isEmpty() {
        return size == 0;
    }

    /** Sends every queued reset through {@code sink} and empties the queue. */
    void drain(SegmentSink sink, dev.handoff.agent.wire.TcpHeaderWriter hdr) {
        int capacity = entries.length / FIELDS;
        while (size > 0) {
            int i = head * FIELDS;
            hdr.reset();
            hdr.sourcePort = entries[i + 2];
            hdr.destinationPort = entries[i + 3];
            hdr.seq = entries[i + 4];
            hdr.ack = entries[i + 5];
            hdr.flags = entries[i + 6];
            byte[] buf = sink.buffer();
            int off = sink.offset();
            int len = hdr.write(buf, off);
            dev.handoff.agent.wire.TcpHeaderWriter.finishChecksum(buf, off, len, entries[i], entries[i + 1]);
            head = (head + 1) % capacity;
            size--;
            counters.segmentsOut++;
            sink.send(entries[i], entries[i + 1], len, 0);
        }
    }
}
