package dev.handoff.agent.link;

/**
 * What a faulty channel (simulated, or a {@link FaultyLink}) does to each packet, independently and seeded.
 *
 * @param loss      probability a packet is dropped
 * @param duplicate probability a packet is delivered twice
 * @param reorder   probability a packet is held back by up to {@code jitterMs} extra
 * @param corrupt   probability one byte of a packet is flipped (the checksum must catch it)
 * @param delayMs   one-way delay, ms
 * @param jitterMs  largest extra delay of a reordered packet, ms
 */
public record Faults(double loss, double duplicate, double reorder, double corrupt, long delayMs, long jitterMs) {
    /** A perfect channel with 1 ms of delay. */
    public static final Faults NONE = new Faults(0, 0, 0, 0, 1, 0);

    /** Checks the probabilities and times. */
    public Faults {
        for (double p : new double[] {loss, duplicate, reorder, corrupt}) {
            if (p < 0 || p > 1) {
                throw new IllegalArgumentException("fault probability " + p + " is outside 0..1");
            }
        }
        if (delayMs < 0 || jitterMs < 0) {
            throw new IllegalArgumentException("delay " + delayMs + " ms and jitter " + jitterMs + " ms must not be negative");
        }
    }
}
