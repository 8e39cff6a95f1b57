package dev.handoff.agent.bench;

import dev.handoff.agent.tcp.SegmentSink;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpStack;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MalformedPacketException;
import dev.handoff.agent.wire.TcpSegment;
import java.util.SplittableRandom;

/**
 * Two stacks wired back to back in memory with no loss, for measuring the engine alone:
 * segments are copied into preallocated slots and parsed (checksum verified) by the
 * receiver, so a steady bulk transfer allocates nothing.
 */
public final class EnginePair {
    static final int A = Ipv4Address.parse("10.0.0.1");
    static final int B = Ipv4Address.parse("10.0.0.2");

    /** Segments one direction holds between polls. */
    private static final int SLOTS = 4096;

    /** One direction of the wire: a FIFO of copied segments. */
    private static final class Wire implements SegmentSink {
        final byte[][] slots = new byte[SLOTS][];
        final int[] lengths = new int[SLOTS];
        final int[] sources = new int[SLOTS];
        final int[] destinations = new int[SLOTS];
        int head;
        int size;

        Wire(int slotSize) {
            for (int i = 0; i < SLOTS; i++) {
                slots[i] = new byte[slotSize];
            }
        }

        @Override
        public byte[] buffer() {
            if (size == SLOTS) {
                throw new IllegalStateException("in-memory wire full: poll the receiver more often");
            }
            return slots[(head + size) % SLOTS]; // the engine writes in place: no copy
        }

        @Override
        public void send(int src, int dst, int len, int gsoSize) {
            int i = (head + size) % SLOTS;
            lengths[i] = len;
            sources[i] = src;
            destinations[i] = dst;
            size++;
        }
    }

    /** Sending stack. */
    public final TcpStack sender;
    /** Receiving stack. */
    public final TcpStack receiver;
    /** Sender's connection. */
    public final TcpConnection out;
    /** Receiver's connection. */
    public final TcpConnection in;
    private final Wire toReceiver;
    private final Wire toSender;
    private final TcpSegment view = new TcpSegment();
    private final byte[] chunk = new byte[256 * 1024];
    private final byte[] sink = new byte[256 * 1024];
    /** Virtual time, ms. */
    private long now;
    /** Segments delivered to the receiver. */
    public long dataSegments;

    /** Two stacks with {@code config}, connected and established. */
    public EnginePair(TcpConfig config) {
        sender = new TcpStack(config, new SplittableRandom(1));
        receiver = new TcpStack(config, new SplittableRandom(2));
        toReceiver = new Wire(TcpSegment.MAX_HEADER_LENGTH + config.mss());
        toSender = new Wire(TcpSegment.MAX_HEADER_LENGTH + config.mss());
        new SplittableRandom(3).nextBytes(chunk);
        receiver.listen(B, 80);
        out = sender.connect(now, A, 0, B, 80);
        TcpConnection accepted = null;
        for (int i = 0; i < 10 && accepted == null; i++) {
            exchange();
            accepted = receiver.accept(80);
        }
        if (accepted == null) {
            throw new IllegalStateException("handshake did not complete");
        }
        in = accepted;
    }

    private void exchange() {
        sender.poll(now, toReceiver);
        deliver(toReceiver, receiver, true);
        receiver.poll(now, toSender);
        deliver(toSender, sender, false);
    }

    private void deliver(Wire w, TcpStack to, boolean countData) {
        while (w.size > 0) {
            int i = w.head;
            try {
                view.wrap(w.slots[i], 0, w.lengths[i], w.sources[i], w.destinations[i]);
            } catch (MalformedPacketException e) {
                throw new IllegalStateException("engine emitted a malformed segment", e);
            }
            if (countData && view.payloadLength() > 0) {
                dataSegments++;
            }
            to.onSegment(now, view);
            w.head = (w.head + 1) % SLOTS;
            w.size--;
        }
        w.head = 0; // reuse the first slots: a cycling ring would stream 6 MB through the cache
    }

    /** Moves {@code bytes} from sender to receiver (application write, wire, application read). */
    public long transfer(long bytes) {
        long written = 0;
        long read = 0;
        while (read < bytes) {
            while (written < bytes) {
                int n = out.send(chunk, 0, (int) Math.min(chunk.length, bytes - written));
                if (n == 0) {
                    break;
                }
                written += n;
            }
            exchange();
            int n;
            while ((n = in.receive(sink, 0, sink.length)) > 0) {
                read += n;
            }
            now++;
        }
        return read;
    }
}
