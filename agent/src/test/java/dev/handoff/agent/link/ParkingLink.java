package dev.handoff.agent.link;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/** A test link that keeps back the outgoing frames a rule picks until the test lets them go, in order. */
public final class ParkingLink extends LinkDecorator {
    /** Frames to keep back, shown a copy of each outgoing frame. */
    private volatile Predicate<byte[]> park = f -> false;
    /** Frames kept back, oldest first. */
    private final List<byte[]> parked = new ArrayList<>();

    public ParkingLink(PacketLink inner) {
        super(inner);
    }

    /** Keeps back from now on what {@code rule} picks. */
    public void parkWhen(Predicate<byte[]> rule) {
        park = rule;
    }

    /** Frames kept back so far. */
    public synchronized int parked() {
        return parked.size();
    }

    /** Stops keeping frames back and sends those kept, in the order they came. */
    public void release() {
        park = f -> false;
        List<byte[]> out;
        synchronized (this) {
            out = new ArrayList<>(parked);
            parked.clear();
        }
        for (byte[] f : out) {
            inner.send(f, 0, f.length);
        }
    }

    @Override
    public void send(byte[] frame, int off, int len) {
        byte[] copy = Arrays.copyOfRange(frame, off, off + len);
        if (park.test(copy)) {
            synchronized (this) {
                parked.add(copy);
            }
            return;
        }
        inner.send(frame, off, len);
    }
}
