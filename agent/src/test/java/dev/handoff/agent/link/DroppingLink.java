package dev.handoff.agent.link;

import java.util.Arrays;
import java.util.function.Predicate;

/** A test link that silently drops the outgoing frames a rule picks (the rule may be swapped at any time). */
public final class DroppingLink extends LinkDecorator {
    /** Frames to drop, shown a copy of each outgoing frame. */
    private volatile Predicate<byte[]> drop = f -> false;

    public DroppingLink(PacketLink inner) {
        super(inner);
    }

    /** Drops from now on what {@code rule} picks; {@code f -> false} stops dropping. */
    public void dropWhen(Predicate<byte[]> rule) {
        drop = rule;
    }

    @Override
    public void send(byte[] frame, int off, int len) {
        if (!drop.test(Arrays.copyOfRange(frame, off, off + len))) {
            inner.send(frame, off, len);
        }
    }
}
