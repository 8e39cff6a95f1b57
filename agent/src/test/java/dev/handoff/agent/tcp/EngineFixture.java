package dev.handoff.agent.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MalformedPacketException;
import dev.handoff.agent.wire.TcpSegment;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * smoltcp-style fixture: one stack, time stepped by hand, exact segments in, exact
 * segments out. Our side is 10.0.0.1:80, the peer 10.0.0.2:49500. Our ISN is
 * {@link #ISS}, our timestamp offset {@link #TS_OFFSET}.
 */
final class EngineFixture {
    static final int LOCAL_IP = Ipv4Address.parse("10.0.0.1");
    static final int REMOTE_IP = Ipv4Address.parse("10.0.0.2");
    static final int LOCAL_PORT = 80;
    static final int REMOTE_PORT = 49500;
    /** Our initial sequence number. */
    static final int ISS = 1000;
    /** Our timestamp offset: TSval = now + 5000. */
    static final int TS_OFFSET = 5000;
    /** The peer's initial sequence number. */
    static final int IRS = 50_000;

    /** The engine under test. */
    final TcpStack stack;
    /** Current time, ms. */
    long now = 10_000;
    /** Where the stack writes segments. */
    private final byte[] buf = new byte[70_000];
    /** Segments emitted and not yet checked. */
    private final ArrayDeque<TcpSegment> out = new ArrayDeque<>();

    EngineFixture(TcpConfig config) {
        stack = new TcpStack(config, new ScriptedRandom(ISS, TS_OFFSET));
    }

    /** A segment from the peer with these flags. */
    Seg seg(int flags) {
        return new Seg(this, flags);
    }

    /** Advances time and polls. */
    void advance(long ms) {
        now += ms;
    }

    /** Polls the stack and collects what it emits. */
    void poll() {
        stack.poll(now, sink());
    }

    /** Polls one connection, as a host does after input or an application call. */
    void poll(TcpConnection c) {
        stack.poll(now, c, sink());
    }

    private SegmentSink sink() {
        return new SegmentSink() {
            @Override
            public byte[] buffer() {
                return buf;
            }

            @Override
            public int offset() {
                return 7; // any offset must work
            }

            @Override
            public void send(int src, int dst, int len, int gsoSize) {
                assertEquals(LOCAL_IP, src, "source address");
                assertEquals(REMOTE_IP, dst, "destination address");
                byte[] copy = Arrays.copyOfRange(buf, 7, 7 + len);
                try {
                    out.add(new TcpSegment(copy, 0, len, src, dst)); // verifies our checksum too
                } catch (MalformedPacketException e) {
                    fail("engine emitted a malformed segment: " + e.getMessage());
                }
            }
        };
    }

    /** Polls and returns the next emitted segment, failing if there is none. */
    TcpSegment recv() {
        if (out.isEmpty()) {
            poll();
        }
        TcpSegment s = out.poll();
        assertNotNull(s, "expected a segment at t=" + now);
        return s;
    }

    /** Polls and asserts that nothing is emitted. */
    void expectNothing() {
        poll();
        assertNull(out.peek(), () -> "expected no segment at t=" + now + ", got " + out.peek());
    }

    /** Our TSval now. */
    int tsNow() {
        return (int) (now + TS_OFFSET);
    }

    /**
     * Brings up a connection by passive open with every option on (MSS 1460, wscale 7,
     * SACK, timestamps); returns it in ESTABLISHED. The peer's TSval starts at 100.
     */
    TcpConnection establish() {
        return establish(true);
    }

    TcpConnection establish(boolean allOptions) {
        stack.listen(LOCAL_IP, LOCAL_PORT);
        Seg syn = seg(TcpSegment.SYN).seq(IRS).win(65535);
        if (allOptions) {
            syn.mss(1460).ws(7).sackPermitted().ts(100, 0);
        }
        syn.send();
        TcpSegment synAck = recv();
        assertEquals(TcpSegment.SYN | TcpSegment.ACK, synAck.flags());
        Seg ack = seg(TcpSegment.ACK).seq(IRS + 1).ack(ISS + 1).win(1000);
        if (allOptions) {
            ack.ts(101, synAck.tsVal());
        }
        ack.send();
        TcpConnection c = stack.accept(LOCAL_PORT);
        assertNotNull(c, "connection accepted");
        assertEquals(TcpState.ESTABLISHED, c.state());
        expectNothing();
        return c;
    }
}
