package dev.handoff.agent.tcp;

/**
 * BBR congestion control, version 1 (draft-cardwell-iccrg-bbr-congestion-control-00),
 * window-only: the engine does not pace, so the window carries BBR's model alone. The
 * window follows the path's bandwidth-delay product, the largest delivery rate of the last
 * {@link #BW_ROUNDS} rounds times the smallest RTT of the last {@link #RTPROP_MS}, not the
 * losses: random loss (a lossy link, not a full queue) costs retransmissions, not rate.
 *
 * <p>States (draft §4.3): STARTUP grows the window by what is delivered, as slow start,
 * until the delivery rate stops rising by 25 % for 3 rounds; DRAIN holds one round at one
 * BDP; PROBE_BW keeps {@link #CWND_GAIN} BDPs in flight; PROBE_RTT drops to 4 segments for
 * {@link #PROBE_RTT_MS} when the minimum RTT has not been seen again for 10 s. Rounds are
 * timed (one minimum RTT, at least the engine's 1 ms tick) rather than counted in
 * sequence numbers. Loss recovery is the engine's: a loss does not shrink the window; a
 * timeout restarts from 4 segments and grows back by what is delivered.
 */
final class Bbr implements CongestionControl {
    /** Startup gain 2/ln 2 (draft §4.3.1.1). */
    static final double HIGH_GAIN = 2.885;
    /** Window gain in PROBE_BW (draft §4.3.3). */
    static final double CWND_GAIN = 2.0;
    /** Rounds the bandwidth filter spans (draft §4.1.1.1). */
    static final int BW_ROUNDS = 10;
    /** How long a minimum RTT stays valid, ms (draft §4.1.2.1). */
    static final long RTPROP_MS = 10_000;
    /** Time spent at the minimum window to measure the RTT again, ms (draft §4.3.4). */
    static final long PROBE_RTT_MS = 200;
    /** Smallest window, segments (draft §4.2.3.1). */
    static final int MIN_SEGMENTS = 4;
    /** Rounds without 25 % more bandwidth that end STARTUP (draft §4.3.2). */
    static final int PLATEAU_ROUNDS = 3;

    /** The state machine's states. */
    enum Mode { STARTUP, DRAIN, PROBE_BW, PROBE_RTT }

    /** Current state. */
    private Mode mode = Mode.STARTUP;
    /** Congestion window, bytes. */
    private double cwnd;
    /** Kept so that the engine's recovery, which sets cwnd = ssthresh, leaves the window as it is. */
    private int ssthresh = Integer.MAX_VALUE;
    /** The window before the last timeout, for {@link #undo()}. */
    private double priorCwnd;
    /** Largest segment seen, bytes (for the minimum window). */
    private int mss = 1448;
    /** Delivery rate of each of the last rounds, bytes per ms (a ring). */
    private final double[] rates = new double[BW_ROUNDS];
    /** Rounds completed. */
    private long rounds;
    /** Start of the current round, ms. */
    private long roundStart = -1;
    /** Bytes delivered in the current round. */
    private long roundDelivered;
    /** Smallest RTT sample within {@link #RTPROP_MS}, ms, or -1 before the first. */
    private long minRtt = -1;
    /** When {@link #minRtt} was last set or confirmed, ms. */
    private long minRttAt;
    /** Bandwidth when STARTUP last saw it grow by 25 %, bytes per ms. */
    private double fullBw;
    /** Rounds since it last did. */
    private int plateau;
    /** The path is full: STARTUP is over. */
    private boolean filled;
    /** When the current PROBE_RTT ends, ms. */
    private long probeRttEnd;

    Bbr(int initialCwnd) {
        this.cwnd = initialCwnd;
    }

    @Override public int cwnd() { return (int) Math.max(cwnd, MIN_SEGMENTS * mss); }
    @Override public int ssthresh() { return ssthresh; }
    @Override public void setCwnd(int cwnd) { this.cwnd = cwnd; }
    @Override public void setSsthresh(int ssthresh) { this.ssthresh = ssthresh; }
    @Override public String name() { return "bbr"; }

    /** The state (for tests and diagnostics). */
    Mode mode() {
        return mode;
    }

    /** The bandwidth estimate, bytes per ms: the filter's maximum. */
    double bandwidth() {
        double max = 0;
        for (double r : rates) {
            max = Math.max(max, r);
        }
        return max;
    }

    /** One bandwidth-delay product, bytes (0 before both estimates exist). */
    double bdp() {
        return minRtt < 0 ? 0 : bandwidth() * Math.max(minRtt, 1);
    }

    @Override
    public void onRttSample(long now, long rttMs) {
        if (rttMs < 0) {
            return;
        }
        if (minRtt < 0 || rttMs <= minRtt || now - minRttAt > RTPROP_MS && mode == Mode.PROBE_RTT) {
            minRtt = rttMs;
            minRttAt = now;
        }
    }

    @Override
    public void onDelivered(long now, int bytes, int mss) {
        this.mss = mss;
        if (roundStart < 0) {
            roundStart = now; // the first delivery starts the first round; rates count what follows it
        } else {
            roundDelivered += bytes;
        }
        long round = Math.max(minRtt, 1);
        if (now - roundStart >= round) {
            endRound(now);
        }
        if (mode != Mode.PROBE_RTT && minRtt >= 0 && now - minRttAt > RTPROP_MS) {
            mode = Mode.PROBE_RTT; // draft §4.3.4: the minimum RTT is stale; drain the queue to see it again
            probeRttEnd = now + PROBE_RTT_MS;
            priorCwnd = cwnd;
        }
        if (mode == Mode.PROBE_RTT) {
            cwnd = MIN_SEGMENTS * mss;
            if (now >= probeRttEnd) {
                minRttAt = now; // the samples of the probe set minRtt; keep what was seen
                mode = filled ? Mode.PROBE_BW : Mode.STARTUP;
                cwnd = Math.max(priorCwnd, cwnd);
            }
            return;
        }
        double target = (mode == Mode.STARTUP ? HIGH_GAIN : mode == Mode.DRAIN ? 1.0 : CWND_GAIN) * bdp()
                + 3.0 * mss; // draft §4.2.3.2: room for delayed and stretched ACKs
        // Draft §4.2.3.4: before the pipe is full the window grows by what was delivered; after,
        // towards the target and no further.
        cwnd = filled ? Math.min(cwnd + bytes, target) : cwnd + bytes;
        cwnd = Math.min(cwnd, Integer.MAX_VALUE / 2.0);
    }

    /** A round ended: a bandwidth sample, and the state changes that happen once per round. */
    private void endRound(long now) {
        double elapsed = now - roundStart;
        rates[(int) (rounds % BW_ROUNDS)] = roundDelivered / elapsed;
        rounds++;
        roundStart = now;
        roundDelivered = 0;
        switch (mode) {
            case STARTUP -> {
                double bw = bandwidth();
                if (bw >= fullBw * 1.25) { // draft §4.3.2: still growing
                    fullBw = bw;
                    plateau = 0;
                } else if (++plateau >= PLATEAU_ROUNDS) {
                    filled = true;
                    mode = Mode.DRAIN;
                    cwnd = Math.min(cwnd, bdp() + 3.0 * mss);
                }
            }
            case DRAIN -> mode = Mode.PROBE_BW; // one round at one BDP lets the startup queue go
            default -> {
            }
        }
    }

    @Override
    public void onAck(long now, int acked, int mss, double srtt) {
        // The window moves in onDelivered, which sees every ACK, in recovery or not.
    }

    @Override
    public void onCongestion(long now, int flight, int mss) {
        ssthresh = cwnd(); // the engine sets cwnd = ssthresh: the window stays (BBR does not answer random loss)
    }

    @Override
    public void onTimeout(long now, int flight, int mss) {
        priorCwnd = cwnd;
        ssthresh = cwnd();
        cwnd = MIN_SEGMENTS * mss; // draft §4.2.3.4: after an RTO, grow back from the minimum by what is delivered
    }

    @Override
    public void undo() {
        cwnd = Math.max(cwnd, priorCwnd);
    }
}
