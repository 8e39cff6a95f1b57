package dev.handoff.agent.tcp;

/**
 * Round-trip time estimation and retransmission timeout, RFC 6298. Times in
 * milliseconds, kept as doubles so small LAN RTTs are not rounded to zero.
 */
final class RttEstimator {
    /** RFC 6298 §2: alpha = 1/8. */
    private static final double ALPHA = 0.125;
    /** RFC 6298 §2: beta = 1/4. */
    private static final double BETA = 0.25;
    /** RFC 6298 §2: K = 4. */
    private static final double K = 4;
    /** Clock granularity G of RFC 6298 §2, in ms. */
    private static final double GRANULARITY_MS = 1;

    /** Smallest RTO, ms (RFC 6298 §2.4 says 1 s; Linux uses 200 ms; configurable). */
    private final long minRto;
    /** Largest RTO, ms (RFC 6298 §2.5: at least 60 s). */
    private final long maxRto;
    /** Smoothed RTT (SRTT), ms; meaningful once {@link #hasSample}. */
    private double srtt;
    /** RTT variation (RTTVAR), ms. */
    private double rttvar;
    /** Current RTO before backoff, ms. */
    private long rto;
    /** At least one RTT sample was taken. */
    private boolean hasSample;

    RttEstimator(long initialRto, long minRto, long maxRto) {
        this.minRto = minRto;
        this.maxRto = maxRto;
        this.rto = initialRto; // RFC 6298 §2.1: 1 s before the first sample
    }

    /** Feeds one RTT measurement in ms (RFC 6298 §2.2-2.3). */
    void sample(double r) {
        if (r < 0) {
            return;
        }
        if (!hasSample) {
            srtt = r;
            rttvar = r / 2;
            hasSample = true;
        } else {
            rttvar = (1 - BETA) * rttvar + BETA * Math.abs(srtt - r);
            srtt = (1 - ALPHA) * srtt + ALPHA * r;
        }
        long computed = (long) Math.ceil(srtt + Math.max(GRANULARITY_MS, K * rttvar));
        rto = Math.clamp(computed, minRto, maxRto);
    }

    /** Restores a carried estimate (same-LAN moves). */
    void restore(double srttMs, double rttvarMs) {
        srtt = srttMs;
        rttvar = rttvarMs;
        hasSample = true;
        rto = Math.clamp((long) Math.ceil(srtt + Math.max(GRANULARITY_MS, K * rttvar)), minRto, maxRto);
    }

    /** RTO after {@code backoff} doublings (RFC 6298 §5.5), capped at the maximum. */
    long rto(int backoff) {
        long r = rto;
        for (int i = 0; i < backoff && r < maxRto; i++) {
            r <<= 1;
        }
        return Math.min(r, maxRto);
    }

    /** SRTT in ms, or 0 before the first sample. */
    double srtt() {
        return hasSample ? srtt : 0;
    }

    /** RTTVAR in ms, or 0 before the first sample. */
    double rttvar() {
        return hasSample ? rttvar : 0;
    }

    /** At least one sample was taken. */
    boolean hasSample() {
        return hasSample;
    }
}
