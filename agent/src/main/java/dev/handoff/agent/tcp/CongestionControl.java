package dev.handoff.agent.tcp;

/**
 * A congestion controller: decides how the congestion window grows on ACKs and how it
 * shrinks on loss. Loss recovery itself (fast retransmit, NewReno partial ACKs, window
 * inflation) is the engine's, common to every controller. Windows are in bytes.
 */
public interface CongestionControl {
    /** Congestion window. */
    int cwnd();

    /** Slow-start threshold. */
    int ssthresh();

    /** Sets the congestion window (recovery inflation/deflation, restored state). */
    void setCwnd(int cwnd);

    /** Sets the slow-start threshold (restored state). */
    void setSsthresh(int ssthresh);

    /** New data acknowledged outside recovery: grow the window. {@code srtt} in ms, 0 if unknown. */
    void onAck(long now, int acked, int mss, double srtt);

    /** Loss detected by duplicate ACKs: set ssthresh and cwnd for recovery (RFC 5681 §3.2 step 2). */
    void onCongestion(long now, int flight, int mss);

    /** Retransmission timeout: ssthresh from the flight, cwnd to one segment (RFC 5681 §3.1). */
    void onTimeout(long now, int flight, int mss);

    /** An RTT sample, ms (a controller that models the path keeps its minimum). */
    default void onRttSample(long now, long rttMs) {
    }

    /**
     * {@code bytes} newly delivered to the peer (cumulatively acknowledged or SACKed), on
     * every ACK, in recovery or not (a controller that measures the delivery rate counts them).
     */
    default void onDelivered(long now, int bytes, int mss) {
    }

    /**
     * The last {@link #onCongestion} or {@link #onTimeout} answered a loss that was not one
     * (RFC 3522 detected it): restore the state from before it (RFC 4015 §3.2 step 2).
     */
    void undo();

    /** Name of the algorithm, for the ICI and diagnostics. */
    String name();

    /** Creates a controller by name: {@code cubic} (default), {@code newreno} or {@code bbr}. */
    static CongestionControl create(String name, int initialCwnd) {
        return switch (name) {
            case "cubic" -> new Cubic(initialCwnd);
            case "newreno" -> new NewReno(initialCwnd);
            case "bbr" -> new Bbr(initialCwnd);
            default -> throw new IllegalArgumentException(
                    "unknown congestion control '" + name + "': use cubic, newreno or bbr");
        };
    }
}
