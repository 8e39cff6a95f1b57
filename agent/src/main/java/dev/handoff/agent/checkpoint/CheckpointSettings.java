package dev.handoff.agent.checkpoint;

/**
 * How often and within which bounds connections are checkpointed.
 *
 * @param intervalMs       time between two checkpoint rounds, ms
 * @param mslMs            no checkpoint may be older than this (the MSL, RFC 9293: 120 s); sending stops first
 * @param maxBytesBetween  most bytes a deterministic application may send beyond its last checkpoint (below 2^31)
 * @param clockSkewMs      how far apart the hosts' wall clocks may be, added when a resurrection extrapolates TSval
 */
public record CheckpointSettings(long intervalMs, long mslMs, long maxBytesBetween, long clockSkewMs) {
    /** The MSL of RFC 9293 §3.4.2, ms. */
    public static final long MSL_MS = 120_000;
    /** Sequence numbers compare only within 2^31 (RFC 9293 §3.4): the bound on bytes between checkpoints. */
    public static final long MAX_BYTES_BETWEEN = (1L << 31) - 1;

    /** Checks every value, naming the setting and its bounds. */
    public CheckpointSettings {
        if (intervalMs < 1 || intervalMs > 10_000) {
            throw new IllegalArgumentException("checkpoint interval " + intervalMs + " ms is outside 1..10000 ms");
        }
        if (mslMs < 3 * intervalMs || mslMs > MSL_MS) {
            throw new IllegalArgumentException("checkpoint age bound (MSL) " + mslMs + " ms must be at least three intervals ("
                    + 3 * intervalMs + " ms) and at most " + MSL_MS + " ms");
        }
        if (maxBytesBetween < 1 || maxBytesBetween > MAX_BYTES_BETWEEN) {
            throw new IllegalArgumentException("bytes between checkpoints " + maxBytesBetween + " is outside 1..2^31-1");
        }
        if (clockSkewMs < 0 || clockSkewMs > 60_000) {
            throw new IllegalArgumentException("clock skew bound " + clockSkewMs + " ms is outside 0..60000 ms");
        }
    }

    /** Every 20 ms, the full MSL and 2^31 bounds, clocks within 100 ms. */
    public static CheckpointSettings defaults() {
        return new CheckpointSettings(20, MSL_MS, MAX_BYTES_BETWEEN, 100);
    }

    /** The same with another interval. */
    public CheckpointSettings withInterval(long ms) {
        return new CheckpointSettings(ms, Math.max(mslMs, 3 * ms), maxBytesBetween, clockSkewMs);
    }
}
