package dev.handoff.agent.tcp;

/**
 * Counters of a stack: every drop, refusal and notable event has one. Plain fields,
 * written by the single thread that drives the stack; read by others only as statistics.
 */
public final class TcpCounters {
    /** Segments handed to the stack. */
    public long segmentsIn;
    /** Segments the stack emitted. */
    public long segmentsOut;
    /** Data segments retransmitted (timeout, fast retransmit or partial ACK). */
    public long retransmits;
    /** Retransmission timeouts that fired. */
    public long timeouts;
    /** Fast retransmits (RFC 5681 §3.2). */
    public long fastRetransmits;
    /** Retransmissions found lost (the peer SACKed data sent after them) and sent again. */
    public long lostRetransmits;
    /** Tail-loss probes sent (RFC 8985 §7). */
    public long lossProbes;
    /** Tail-loss probes that repaired a loss, answered with a window reduction (RFC 8985 §7.4). */
    public long lossProbeRepairs;
    /** Recoveries found spurious by their timestamps and undone (RFC 3522, RFC 4015). */
    public long spuriousRecoveries;
    /** Segments dropped because they fell outside the receive window (RFC 9293 §3.10.7.4). */
    public long outOfWindow;
    /** Segments dropped by PAWS (RFC 7323 §5). */
    public long pawsDrops;
    /** Segments dropped because timestamps were negotiated but the segment had none (RFC 7323 §3.2). */
    public long missingTimestamp;
    /** Challenge ACKs sent (RFC 5961). */
    public long challengeAcks;
    /** Challenge ACKs suppressed by the rate limit (RFC 5961 §7). */
    public long challengeAcksLimited;
    /** Resets received that closed a connection. */
    public long resetsReceived;
    /** Resets received that were ignored or challenged (not exactly at RCV.NXT, or out of window). */
    public long resetsIgnored;
    /** Resets sent for segments that matched no connection. */
    public long resetsSent;
    /** Resets dropped because the reset queue was full. */
    public long resetQueueDrops;
    /** SYNs dropped because the listener's SYN backlog was full. */
    public long synBacklogDrops;
    /** SYNs and connects refused because the connection limit was reached. */
    public long connectionLimitDrops;
    /** Out-of-order segments dropped because the reassembly queue had no room for another hole. */
    public long reassemblyDrops;
    /** Out-of-order segments queued for reassembly. */
    public long outOfOrderQueued;
    /** Segments whose ACK acknowledged data not yet sent (RFC 9293 §3.10.7.4), answered with an ACK. */
    public long ackTooNew;
    /** Resurrected endpoints that learned from the peer's first ACK how far it got (paper §6.1). */
    public long resurrectionCatchUps;
    /** Segments without ACK in a synchronized state, dropped. */
    public long noAckDrops;
    /** Times the peer closed its window (advertised zero after a non-zero window). */
    public long zeroWindows;
    /** Zero-window probes sent. */
    public long windowProbes;
    /** Connections aborted after too many retransmissions. */
    public long retransmitAborts;
    /** Connections established. */
    public long established;
    /** Malformed segments dropped before they reached the engine (counted by the caller). */
    public long malformed;
    /** Send rings of connections that moved away given to connections whose buffers filled (no allocation). */
    public long ringsReused;

    /** Every counter as name=value, for logs. */
    @Override
    public String toString() {
        return Counters.describe(this);
    }
}
