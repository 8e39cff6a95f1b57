package dev.handoff.agent.app;

/**
 * Echo (RFC 862 over TCP): writes back what it reads. Reads only what it can write at
 * once, so a peer that stops reading closes its own window instead of filling our memory.
 * Stateless between events: everything in flight lives in the TCP buffers.
 */
public final class EchoHandler implements Handler {
    /** Factory for the {@code echo} service. */
    public static final HandlerFactory FACTORY = new HandlerFactory() {
        @Override
        public String name() {
            return "echo";
        }

        @Override
        public Handler create() {
            return new EchoHandler();
        }
    };

    @Override
    public void onReadable(Channel ch) {
        pump(ch);
    }

    @Override
    public void onWritable(Channel ch) {
        pump(ch);
    }

    private void pump(Channel ch) {
        byte[] buf = Scratch.buffer();
        while (!ch.isOutputShutdown()) {
            int room = Math.min(ch.writable(), buf.length);
            if (room == 0) {
                ch.wantWrite(true); // resume when the peer has read some of our echo
                return;
            }
            int n = ch.read(buf, 0, room);
            if (n < 0) {
                ch.close(); // the peer closed: finish our side after what is queued
                return;
            }
            if (n == 0) {
                ch.wantWrite(false);
                return;
            }
            ch.write(buf, 0, n);
        }
    }

    @Override
    public byte[] snapshot() {
        return new byte[0];
    }

    @Override
    public void restore(byte[] state) {
        if (state.length != 0) {
            throw new IllegalArgumentException("echo has no state, got " + state.length + " bytes");
        }
    }
}
