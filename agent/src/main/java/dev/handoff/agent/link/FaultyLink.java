package dev.handoff.agent.link;

import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Injects seeded faults into the frames a link sends: loss, duplication, reordering,
 * delay and corruption ({@code tc netem} is not available here). Delayed frames are sent
 * later from one scheduler thread, so the wrapped link's {@code send} must be callable
 * from another thread (PcapLink's and MemorySwitch's are).
 */
public final class FaultyLink extends LinkDecorator {
    /** What to do to frames. */
    private final Faults faults;
    /** Seeded decisions. */
    private final SplittableRandom random;
    /** Sends delayed frames. */
    private final ScheduledExecutorService later;

    public FaultyLink(PacketLink inner, Faults faults, long seed) {
        super(inner);
        this.faults = faults;
        this.random = new SplittableRandom(seed);
        this.later = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "faulty-link-" + inner.name());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized void send(byte[] frame, int off, int len) {
        if (random.nextDouble() < faults.loss()) {
            return;
        }
        int copies = random.nextDouble() < faults.duplicate() ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            byte[] copy = java.util.Arrays.copyOfRange(frame, off, off + len);
            if (random.nextDouble() < faults.corrupt()) {
                // Corrupt past the Ethernet header so the frame still reaches its host.
                int at = Math.min(len - 1, 14 + random.nextInt(Math.max(1, len - 14)));
                copy[at] ^= (byte) (1 + random.nextInt(255));
            }
            long delay = faults.delayMs();
            if (faults.jitterMs() > 0 && random.nextDouble() < faults.reorder()) {
                delay += 1 + random.nextLong(faults.jitterMs());
            }
            if (delay == 0) {
                inner.send(copy, 0, copy.length);
            } else {
                later.schedule(() -> inner.send(copy, 0, copy.length), delay, TimeUnit.MILLISECONDS);
            }
        }
    }

    @Override
    public void close() {
        later.shutdownNow();
        inner.close();
    }
}
