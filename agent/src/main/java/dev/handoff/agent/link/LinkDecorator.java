package dev.handoff.agent.link;

/** A link that wraps another and forwards what it does not change. */
abstract class LinkDecorator implements PacketLink {
    /** The wrapped link. */
    protected final PacketLink inner;

    protected LinkDecorator(PacketLink inner) {
        this.inner = inner;
    }

    @Override
    public void send(byte[] frame, int off, int len) {
        inner.send(frame, off, len);
    }

    @Override
    public void receive(FrameReceiver receiver, long waitMillis) {
        inner.receive(receiver, waitMillis);
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
