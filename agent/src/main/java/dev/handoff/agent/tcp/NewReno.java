package dev.handoff.agent.tcp;

/** Slow start and congestion avoidance of RFC 5681, halving on loss. */
final class NewReno implements CongestionControl {
    /** Congestion window, bytes. */
    private int cwnd;
    /** Slow-start threshold, bytes; "arbitrarily high" at first (RFC 5681 §3.1). */
    private int ssthresh = Integer.MAX_VALUE;
    /** Bytes acknowledged since cwnd last grew in congestion avoidance (RFC 5681 eq. 3 by counting). */
    private long ackedInAvoidance;
    /** cwnd before the last reduction, for {@link #undo()}. */
    private int priorCwnd;
    /** ssthresh before the last reduction, for {@link #undo()}. */
    private int priorSsthresh = Integer.MAX_VALUE;

    NewReno(int initialCwnd) {
        this.cwnd = initialCwnd;
    }

    @Override public int cwnd() { return cwnd; }
    @Override public int ssthresh() { return ssthresh; }
    @Override public void setCwnd(int cwnd) { this.cwnd = cwnd; }
    @Override public void setSsthresh(int ssthresh) { this.ssthresh = ssthresh; }
    @Override public String name() { return "newreno"; }

    @Override
    public void onAck(long now, int acked, int mss, double srtt) {
        if (cwnd < ssthresh) {
            // RFC 5681 §3.1 with appropriate byte counting (RFC 3465, L = 2*SMSS).
            cwnd = (int) Math.min(Integer.MAX_VALUE / 2, (long) cwnd + Math.min(acked, 2 * mss));
            return;
        }
        // RFC 5681 §3.1: about one SMSS per RTT, counted in acknowledged bytes.
        ackedInAvoidance += acked;
        if (ackedInAvoidance >= cwnd) {
            ackedInAvoidance -= cwnd;
            cwnd = (int) Math.min(Integer.MAX_VALUE / 2, (long) cwnd + mss);
        }
    }

    @Override
    public void onCongestion(long now, int flight, int mss) {
        remember();
        ssthresh = Math.max(flight / 2, 2 * mss); // RFC 5681 eq. 4
        cwnd = ssthresh;
        ackedInAvoidance = 0;
    }

    @Override
    public void onTimeout(long now, int flight, int mss) {
        remember();
        ssthresh = Math.max(flight / 2, 2 * mss); // RFC 5681 eq. 4
        cwnd = mss; // RFC 5681 §3.1: loss window LW = 1 SMSS
        ackedInAvoidance = 0;
    }

    private void remember() {
        priorCwnd = cwnd;
        priorSsthresh = ssthresh;
    }

    @Override
    public void undo() {
        // RFC 4015 §3.2 step 2: the window as it was; ssthresh back to its old value.
        cwnd = Math.max(cwnd, priorCwnd);
        ssthresh = Math.max(ssthresh, priorSsthresh);
    }
}
