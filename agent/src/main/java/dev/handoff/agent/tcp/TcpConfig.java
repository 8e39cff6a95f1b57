package dev.handoff.agent.tcp;

/**
 * Settings of a stack and its connections. Build with {@link #builder()}; every value is
 * checked there, and {@link #defaults()} works for a LAN.
 *
 * @param mss                 MSS we announce: link MTU minus 40 (RFC 9293 §3.7.1)
 * @param sendBufferSize      per-connection send buffer, bytes
 * @param receiveBufferSize   per-connection receive buffer (the most we ever advertise), bytes
 * @param windowScaling       offer/accept window scaling (RFC 7323 §2)
 * @param sack                offer/accept SACK (RFC 2018)
 * @param timestamps          offer/accept timestamps (RFC 7323 §3)
 * @param nagle               Nagle's algorithm (RFC 9293 §3.7.4); off by default
 * @param delayedAckMs        longest delay of an ACK, ms (RFC 9293 §3.8.6.3: under 0.5 s; Linux: 40 ms)
 * @param initialRtoMs        RTO before the first RTT sample, ms (RFC 6298 §2.1: 1 s)
 * @param minRtoMs            smallest RTO, ms (RFC 6298 §2.4 says 1 s; Linux uses 200 ms)
 * @param maxRtoMs            largest RTO, ms (RFC 6298 §2.5: at least 60 s)
 * @param maxRetransmissions  consecutive timeouts before a connection is aborted (RFC 9293 §3.8.3 R2)
 * @param maxSynRetransmissions consecutive SYN timeouts before an open fails
 * @param timeWaitMs          time in TIME-WAIT, ms (2*MSL; Linux: 60 s)
 * @param synBacklog          half-open connections a listener keeps
 * @param maxConnections      connections a stack keeps (all states but LISTEN)
 * @param maxOutOfOrderRanges holes the reassembly queue tracks per connection
 * @param challengeAcksPerSecond challenge ACKs a connection may send per second (RFC 5961 §7)
 * @param initialWindowSegments initial congestion window in segments (RFC 6928: 10)
 * @param congestionControl   "cubic" (RFC 9438, default), "newreno" (RFC 5681) or "bbr" (BBR v1, window only)
 */
public record TcpConfig(
        int mss,
        int sendBufferSize,
        int receiveBufferSize,
        boolean windowScaling,
        boolean sack,
        boolean timestamps,
        boolean nagle,
        long delayedAckMs,
        long initialRtoMs,
        long minRtoMs,
        long maxRtoMs,
        int maxRetransmissions,
        int maxSynRetransmissions,
        long timeWaitMs,
        int synBacklog,
        int maxConnections,
        int maxOutOfOrderRanges,
        int challengeAcksPerSecond,
        int initialWindowSegments,
        String congestionControl) {

    /** Largest receive buffer: the window can express at most 2^30 bytes (RFC 7323 §2.3). */
    public static final int MAX_BUFFER = 1 << 30;

    /** Checks every value; throws IllegalArgumentException naming the setting and its bounds. */
    public TcpConfig {
        check("mss", mss, 88, 65495);
        check("sendBufferSize", sendBufferSize, 1, MAX_BUFFER);
        check("receiveBufferSize", receiveBufferSize, 1, MAX_BUFFER);
        check("delayedAckMs", delayedAckMs, 0, 500);
        check("initialRtoMs", initialRtoMs, 1, 600_000);
        check("minRtoMs", minRtoMs, 1, 600_000);
        check("maxRtoMs", maxRtoMs, minRtoMs, 600_000);
        check("maxRetransmissions", maxRetransmissions, 1, 100);
        check("maxSynRetransmissions", maxSynRetransmissions, 1, 100);
        check("timeWaitMs", timeWaitMs, 0, 600_000);
        check("synBacklog", synBacklog, 1, 1 << 20);
        check("maxConnections", maxConnections, 1, 1 << 24);
        check("maxOutOfOrderRanges", maxOutOfOrderRanges, 1, 1024);
        check("challengeAcksPerSecond", challengeAcksPerSecond, 1, 1_000_000);
        check("initialWindowSegments", initialWindowSegments, 1, 100);
        CongestionControl.create(congestionControl, 1); // validates the name
    }

    private static void check(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("TCP setting " + name + " = " + value + " is outside " + min + ".." + max);
        }
    }

    /** Settings that suit a LAN. */
    public static TcpConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.mss = mss;
        b.sendBufferSize = sendBufferSize;
        b.receiveBufferSize = receiveBufferSize;
        b.windowScaling = windowScaling;
        b.sack = sack;
        b.timestamps = timestamps;
        b.nagle = nagle;
        b.delayedAckMs = delayedAckMs;
        b.initialRtoMs = initialRtoMs;
        b.minRtoMs = minRtoMs;
        b.maxRtoMs = maxRtoMs;
        b.maxRetransmissions = maxRetransmissions;
        b.maxSynRetransmissions = maxSynRetransmissions;
        b.timeWaitMs = timeWaitMs;
        b.synBacklog = synBacklog;
        b.maxConnections = maxConnections;
        b.maxOutOfOrderRanges = maxOutOfOrderRanges;
        b.challengeAcksPerSecond = challengeAcksPerSecond;
        b.initialWindowSegments = initialWindowSegments;
        b.congestionControl = congestionControl;
        return b;
    }

    /** Builder of {@link TcpConfig}; fields start at the defaults. */
    public static final class Builder {
        private int mss = 1460;
        private int sendBufferSize = 4 << 20;
        private int receiveBufferSize = 4 << 20;
        private boolean windowScaling = true;
        private boolean sack = true;
        private boolean timestamps = true;
        private boolean nagle = false;
        private long delayedAckMs = 40;
        private long initialRtoMs = 1000;
        private long minRtoMs = 200;
        private long maxRtoMs = 60_000;
        private int maxRetransmissions = 15;
        private int maxSynRetransmissions = 6;
        private long timeWaitMs = 60_000;
        private int synBacklog = 128;
        private int maxConnections = 65_536;
        private int maxOutOfOrderRanges = 64;
        private int challengeAcksPerSecond = 100;
        private int initialWindowSegments = 10;
        private String congestionControl = "cubic";

        private Builder() {
        }

        /** See {@link TcpConfig#mss()}. */
        public Builder mss(int v) { mss = v; return this; }
        /** See {@link TcpConfig#sendBufferSize()}. */
        public Builder sendBufferSize(int v) { sendBufferSize = v; return this; }
        /** See {@link TcpConfig#receiveBufferSize()}. */
        public Builder receiveBufferSize(int v) { receiveBufferSize = v; return this; }
        /** See {@link TcpConfig#windowScaling()}. */
        public Builder windowScaling(boolean v) { windowScaling = v; return this; }
        /** See {@link TcpConfig#sack()}. */
        public Builder sack(boolean v) { sack = v; return this; }
        /** See {@link TcpConfig#timestamps()}. */
        public Builder timestamps(boolean v) { timestamps = v; return this; }
        /** See {@link TcpConfig#nagle()}. */
        public Builder nagle(boolean v) { nagle = v; return this; }
        /** See {@link TcpConfig#delayedAckMs()}. */
        public Builder delayedAckMs(long v) { delayedAckMs = v; return this; }
        /** See {@link TcpConfig#initialRtoMs()}. */
        public Builder initialRtoMs(long v) { initialRtoMs = v; return this; }
        /** See {@link TcpConfig#minRtoMs()}. */
        public Builder minRtoMs(long v) { minRtoMs = v; return this; }
        /** See {@link TcpConfig#maxRtoMs()}. */
        public Builder maxRtoMs(long v) { maxRtoMs = v; return this; }
        /** See {@link TcpConfig#maxRetransmissions()}. */
        public Builder maxRetransmissions(int v) { maxRetransmissions = v; return this; }
        /** See {@link TcpConfig#maxSynRetransmissions()}. */
        public Builder maxSynRetransmissions(int v) { maxSynRetransmissions = v; return this; }
        /** See {@link TcpConfig#timeWaitMs()}. */
        public Builder timeWaitMs(long v) { timeWaitMs = v; return this; }
        /** See {@link TcpConfig#synBacklog()}. */
        public Builder synBacklog(int v) { synBacklog = v; return this; }
        /** See {@link TcpConfig#maxConnections()}. */
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        /** See {@link TcpConfig#maxOutOfOrderRanges()}. */
        public Builder maxOutOfOrderRanges(int v) { maxOutOfOrderRanges = v; return this; }
        /** See {@link TcpConfig#challengeAcksPerSecond()}. */
        public Builder challengeAcksPerSecond(int v) { challengeAcksPerSecond = v; return this; }
        /** See {@link TcpConfig#initialWindowSegments()}. */
        public Builder initialWindowSegments(int v) { initialWindowSegments = v; return this; }
        /** See {@link TcpConfig#congestionControl()}. */
        public Builder congestionControl(String v) { congestionControl = v; return this; }

        /** The checked settings. */
        public TcpConfig build() {
            return new TcpConfig(mss, sendBufferSize, receiveBufferSize, windowScaling, sack, timestamps, nagle,
                    delayedAckMs, initialRtoMs, minRtoMs, maxRtoMs, maxRetransmissions, maxSynRetransmissions,
                    timeWaitMs, synBacklog, maxConnections, maxOutOfOrderRanges, challengeAcksPerSecond,
                    initialWindowSegments, congestionControl);
        }
    }
}
