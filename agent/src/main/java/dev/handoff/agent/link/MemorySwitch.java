package dev.handoff.agent.link;

import dev.handoff.agent.wire.Bytes;
import dev.handoff.agent.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An Ethernet switch in memory, for tests: each {@link #port} is a {@link PacketLink};
 * a frame goes to the port whose MAC it is addressed to, or to every other port when it
 * is broadcast or the MAC is unknown (flooding, as a learning switch does at first).
 */
public final class MemorySwitch {
    /** The ports. */
    private final List<Port> ports = new ArrayList<>();

    /** Adds a port with this MAC. */
    public synchronized PacketLink port(String name, long mac) {
        Port p = new Port(name, mac);
        ports.add(p);
        return p;
    }

    private synchronized List<Port> targets(Port from, long dst) {
        List<Port> out = new ArrayList<>();
        for (Port p : ports) {
            if (p != from && p.mac == dst && !p.closed) {
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            for (Port p : ports) {
                if (p != from && !p.closed) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** One port of the switch. */
    private final class Port implements PacketLink {
        /** An empty frame in the queue means "wake up". */
        private static final byte[] WAKE = new byte[0];
        final String name;
        final long mac;
        final LinkedBlockingQueue<byte[]> inbox = new LinkedBlockingQueue<>();
        volatile boolean closed;

        Port(String name, long mac) {
            this.name = name;
            this.mac = mac;
        }

        @Override
        public void send(byte[] frame, int off, int len) {
            if (len < 14) {
                throw new LinkException("frame of " + len + " bytes is shorter than an Ethernet header");
            }
            long dst = Bytes.u48(frame, off);
            for (Port p : targets(this, dst)) {
                p.inbox.add(java.util.Arrays.copyOfRange(frame, off, off + len));
            }
        }

        @Override
        public void receive(FrameReceiver receiver, long waitMillis) {
            try {
                byte[] f = inbox.poll(Math.clamp(waitMillis, 0, MAX_WAIT_MILLIS), TimeUnit.MILLISECONDS);
                while (f != null && f != WAKE) {
                    receiver.frame(f, 0, f.length);
                    f = inbox.poll();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void wakeup() {
            inbox.add(WAKE);
        }

        @Override
        public long mac() {
            return mac;
        }

        @Override
        public String name() {
            return name + "(" + MacAddress.format(mac) + ")";
        }

        @Override
        public void close() {
            closed = true;
            wakeup();
        }
    }
}
