package dev.handoff.agent.link;

/** A link that shows every frame sent and received to a tap (a capture file, an audit) before passing it on. */
public class TapLink extends LinkDecorator {
    /** Sees every frame, in order, on the link's thread. */
    private final FrameReceiver tap;

    /** Wraps {@code inner}; {@code tap} sees each frame before it is sent or delivered. */
    public TapLink(PacketLink inner, FrameReceiver tap) {
        super(inner);
        this.tap = tap;
    }

    @Override
    public void send(byte[] frame, int off, int len) {
        tap.frame(frame, off, len);
        inner.send(frame, off, len);
    }

    @Override
    public void receive(FrameReceiver receiver, long waitMillis) {
        inner.receive((buf, off, len) -> {
            tap.frame(buf, off, len);
            receiver.frame(buf, off, len);
        }, waitMillis);
    }
}
