package dev.handoff.agent.app;

import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.ConnectionAcceptor;
import dev.handoff.agent.host.ConnectionDriver;
import dev.handoff.agent.host.ConnectionRestorer;

/** Turns the host's activity calls into handler events. */
public final class HandlerDriver implements ConnectionDriver {
    /** The handler. */
    private final Handler handler;
    /** Its channel. */
    private final Channel channel;
    /** onOpen was delivered. */
    private boolean opened;

    HandlerDriver(Handler handler, Connection c) {
        this.handler = handler;
        this.channel = new Channel(c);
    }

    /** An acceptor that gives every connection a fresh handler from {@code factory}. */
    public static ConnectionAcceptor acceptor(HandlerFactory factory) {
        return c -> {
            HandlerDriver d = new HandlerDriver(factory.create(), c);
            d.application = factory.name();
            return d;
        };
    }

    @Override
    public void onActivity(Connection c) {
        if (!opened) {
            opened = true;
            handler.onOpen(channel);
        }
        if (c.readable() > 0 || c.isEndOfStream()) {
            handler.onReadable(channel);
        }
        if (channel.wantsWrite() && c.writable() > 0 && !c.isOutputShutdown()) {
            handler.onWritable(channel);
        }
    }

    @Override
    public void onClosed(Connection c, String reason) {
        handler.onClosed(channel, reason);
    }

    /** The handler driven. */
    public Handler handler() {
        return handler;
    }

    /** Name of the handler's application. */
    private String application = "";

    @Override
    public String application() {
        return application;
    }

    @Override
    public byte[] snapshot() {
        return handler.snapshot();
    }

    @Override
    public byte[] snapshotBefore(long unsent) {
        return handler.snapshotBefore(unsent);
    }

    /** Re-creates handlers of {@code factory} from moved state; the restored handler gets onOpen again. */
    public static ConnectionRestorer restorer(HandlerFactory factory) {
        return (c, state) -> {
            Handler h = factory.create();
            h.restore(state);
            HandlerDriver d = new HandlerDriver(h, c);
            d.application = factory.name();
            // Whether the handler was waiting for room is not part of its state: offer it
            // room once; a handler with nothing to write turns the calls off again.
            d.channel.wantWrite(true);
            return d;
        };
    }
}
