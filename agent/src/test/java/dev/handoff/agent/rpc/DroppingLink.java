package dev.handoff.agent.rpc;

import dev.handoff.agent.link.FrameReceiver;
import dev.handoff.agent.link.PacketLink;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** A test link that drops the received frames a predicate picks (none at first), counting them. */
final class DroppingLink implements PacketLink {
    /** The wrapped link. */
    private final PacketLink inner;
    /** Picks the frames to drop, given a copy of each; null drops none. */
    private volatile Predicate<byte[]> drop;
    /** Frames dropped so far. */
    final AtomicInteger dropped = new AtomicInteger();

    DroppingLink(PacketLink inner) {
        this.inner = inner;
    }

    /** Drops the frames received from now on that {@code which} picks (null: none). */
    void drop(Predicate<byte[]> which) {
        drop = which;
    }

    @Override
    public void send(byte[] frame, int off, int len) {
        inner.send(frame, off, len);
    }

    @Override
    public void receive(FrameReceiver receiver) {
        inner.receive((buf, off, len) -> {
            Predicate<byte[]> d = drop;
            if (d != null && d.test(java.util.Arrays.copyOfRange(buf, off, off + len))) {
                dropped.incrementAndGet();
                return;
            }
            receiver.frame(buf, off, len);
        });
    }

    @Override
    public void wakeup() {
        inner.wakeup();
    }

    @Override
    public long mac() {
        return inner.mac();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void close() {
        inner.close();
    }
}
