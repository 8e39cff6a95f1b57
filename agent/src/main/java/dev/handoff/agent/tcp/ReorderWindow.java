package dev.handoff.agent.tcp;

/**
 * How long a hole may wait for reordered data before it counts as lost: RFC 8985 §6.2
 * step 4 (RACK.reo_wnd), adapted to a sender that knows the SRTT but not each segment's
 * transmit time. Zero until the path shows reordering (a recovery found spurious), then a
 * quarter of the SRTT per step, one step more for each spurious recovery, at most one SRTT
 * (RFC 8985's min_rtt/4 steps bounded by SRTT); after 16 recoveries in a row that were
 * real losses it is zero again (RFC 8985 §6.2 step 4, reo_wnd_persist).
 */
final class ReorderWindow {
    /** Steps that make one SRTT. */
    private static final int MAX_STEPS = 4;
    /** Real-loss recoveries after which the window is forgotten. */
    private static final int FORGET_AFTER = 16;

    /** Quarters of the SRTT to wait (0: the path has not reordered). */
    private int steps;
    /** Recoveries since the last spurious one that were real losses. */
    private int realLosses;

    /** A recovery turned out spurious: the data was reordered, not lost. */
    void spurious() {
        steps = Math.min(steps + 1, MAX_STEPS);
        realLosses = 0;
    }

    /** A recovery ended that repaired a real loss. */
    void realLoss() {
        if (steps > 0 && ++realLosses >= FORGET_AFTER) {
            steps = 0;
            realLosses = 0;
        }
    }

    /** The wait, ms, for a path whose smoothed RTT is {@code srtt} ms: 0 means "lost at once". */
    long millis(double srtt) {
        return steps == 0 ? 0 : Math.max(1, (long) Math.ceil(steps * srtt / MAX_STEPS));
    }
}
