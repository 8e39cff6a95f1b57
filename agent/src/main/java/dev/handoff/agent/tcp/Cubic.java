package dev.handoff.agent.tcp;

/**
 * CUBIC congestion control, RFC 9438: the window follows a cubic function of the time
 * since the last reduction, with a Reno-friendly lower bound. Slow start as RFC 5681.
 */
final class Cubic implements CongestionControl {
    /** RFC 9438 §4.1: C = 0.4 (segments / s^3). */
    private static final double C = 0.4;
    /** RFC 9438 §4.6: multiplicative decrease factor beta_cubic = 0.7. */
    private static final double BETA = 0.7;
    /** RFC 9438 §4.3: alpha_cubic = 3 (1 - beta) / (1 + beta). */
    private static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);

    /** Congestion window, bytes, with the fraction accumulated by congestion avoidance. */
    private double cwnd;
    /** Slow-start threshold, bytes. */
    private int ssthresh = Integer.MAX_VALUE;
    /** W_max: window before the last reduction, bytes (RFC 9438 §4.1). */
    private double wMax;
    /** Start of the current congestion-avoidance epoch, ms, or -1 before it begins. */
    private long epochStart = -1;
    /** K: time to reach W_max again, seconds (RFC 9438 eq. 2). */
    private double k;
    /** W_est: the Reno-friendly estimate, bytes (RFC 9438 §4.3). */
    private double wEst;
    /** cwnd before the last reduction, for {@link #undo()}. */
    private double priorCwnd;
    /** ssthresh before the last reduction, for {@link #undo()}. */
    private int priorSsthresh = Integer.MAX_VALUE;
    /** W_max before the last reduction, for {@link #undo()}. */
    private double priorWMax;

    Cubic(int initialCwnd) {
        this.cwnd = initialCwnd;
    }

    @Override public int cwnd() { return (int) cwnd; }
    @Override public int ssthresh() { return ssthresh; }
    @Override public void setCwnd(int cwnd) { this.cwnd = cwnd; }
    @Override public void setSsthresh(int ssthresh) { this.ssthresh = ssthresh; }
    @Override public String name() { return "cubic"; }

    @Override
    public void onAck(long now, int acked, int mss, double srtt) {
        if (cwnd < ssthresh) {
            // RFC 9438 §4.10 defers to RFC 5681 slow start; byte counting with L = 2*SMSS (RFC 3465).
            cwnd = Math.min(Integer.MAX_VALUE / 2, cwnd + Math.min(acked, 2 * mss));
            return;
        }
        if (epochStart < 0) {
            epochStart = now;
            if (cwnd < wMax) {
                k = Math.cbrt((wMax - cwnd) / mss / C); // RFC 9438 eq. 2, in segments
            } else {
                k = 0;
                wMax = cwnd;
            }
            wEst = cwnd;
        }
        double rtt = srtt / 1000.0;
        double t = (now - epochStart) / 1000.0;
        // RFC 9438 §4.2: target = W_cubic(t + RTT), clamped to [cwnd, 1.5 cwnd].
        double target = Math.clamp(wCubic(t + rtt, mss), cwnd, 1.5 * cwnd);
        // RFC 9438 §4.3: W_est grows by alpha_cubic segments per window acknowledged;
        // alpha becomes 1 once W_est passes W_max.
        double alpha = wEst >= wMax ? 1.0 : ALPHA;
        wEst += alpha * mss * acked / cwnd;
        if (wCubic(t, mss) < wEst) {
            cwnd = wEst; // Reno-friendly region
        } else {
            cwnd += (target - cwnd) * acked / cwnd; // RFC 9438 §4.4: (target - cwnd) / cwnd per SMSS acked
        }
        cwnd = Math.min(cwnd, Integer.MAX_VALUE / 2);
    }

    /** W_cubic(t) in bytes (RFC 9438 eq. 1). */
    private double wCubic(double t, int mss) {
        double d = t - k;
        return C * d * d * d * mss + wMax;
    }

    @Override
    public void onCongestion(long now, int flight, int mss) {
        reduce(mss);
        cwnd = ssthresh;
    }

    @Override
    public void onTimeout(long now, int flight, int mss) {
        reduce(mss);
        cwnd = mss; // RFC 9438 §4.8 + RFC 5681 §3.1: loss window of one segment
    }

    private void reduce(int mss) {
        priorCwnd = cwnd;
        priorSsthresh = ssthresh;
        priorWMax = wMax;
        // RFC 9438 §4.7 fast convergence: release bandwidth when W_max keeps falling.
        wMax = cwnd < wMax ? cwnd * (1 + BETA) / 2 : cwnd;
        ssthresh = (int) Math.max(cwnd * BETA, 2.0 * mss); // RFC 9438 §4.6
        epochStart = -1;
    }

    @Override
    public void undo() {
        // RFC 9438 §4.9 (spurious congestion events) with RFC 4015 §3.2: the state before the reduction.
        cwnd = Math.max(cwnd, priorCwnd);
        ssthresh = Math.max(ssthresh, priorSsthresh);
        wMax = priorWMax;
        epochStart = -1;
    }
}
