package dev.handoff.agent.sim;

import dev.handoff.agent.app.PatternStream;
import dev.handoff.agent.link.Faults;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.ici.IciCodec;
import dev.handoff.agent.ici.IciLimits;
import dev.handoff.proto.v1.Ici;
import java.util.Set;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpStack;
import dev.handoff.agent.tcp.TcpState;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.SeqNum;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine's half of migration: an endpoint is dumped into an ICI in the middle of a
 * two-way transfer over a lossy channel, its host is replaced by a fresh stack that
 * validates and restores the ICI (continuing the timestamp clock), and the peer never notices: every byte
 * arrives both ways, and the peer's view of our TSval and window edge never goes back.
 */
class SnapshotRestoreSimulationTest {
    static final int A = Ipv4Address.parse("10.0.0.1");
    static final int B = Ipv4Address.parse("10.0.0.2");
    static final int MB = 1 << 20;
    /** Unix time of virtual time 0. */
    static final long WALL_CLOCK_BASE = 1_790_000_000_000L;

    @Test
    void anEndpointMovedFiveTimesMidTransferLosesNothing() {
        for (long seed = 1; seed <= 10; seed++) {
            runWithMoves(seed);
        }
    }

    private void runWithMoves(long seed) {
        Faults faults = new Faults(0.02, 0.005, 0.02, 0.002, 2, 5);
        SimNetwork net = new SimNetwork(seed, faults);
        TcpConfig config = TcpConfig.builder().sendBufferSize(256 * 1024).build();
        TcpStack sa = net.addHost(A, config);
        TcpStack sb = net.addHost(B, config);
        sb.listen(B, 80);
        TcpConnection a = sa.connect(0, A, 0, B, 80);
        PatternStream fromA = new PatternStream(seed);
        PatternStream fromB = new PatternStream(~seed);
        StreamApp appA = new StreamApp(a, fromA, fromB, 4 * MB);
        StreamApp appB = null;
        List<String> violations = new ArrayList<>();
        int[] lastTsVal = {0};
        boolean[] seenTs = {false};
        int[] lastEdge = {0};
        boolean[] seenEdge = {false};
        int[] shift = {0};
        net.observeSent((now, seg) -> {
            if (seg.sourceIp() != B) {
                return;
            }
            if (seg.hasTimestamps()) {
                if (seenTs[0] && SeqNum.lt(seg.tsVal(), lastTsVal[0])) {
                    violations.add("TSval went back: " + seg);
                }
                lastTsVal[0] = seg.tsVal();
                seenTs[0] = true;
            }
            if ((seg.flags() & 0x12) == 0x10) {
                int edge = seg.ack() + (seg.window() << shift[0]);
                // RFC 7323 Appendix F: rounding to the window scale may move the edge left by less
                // than one unit (as TransparencyAudit allows); a unit or more is a retraction.
                if (seenEdge[0] && SeqNum.lt(edge, lastEdge[0]) && lastEdge[0] - edge >= 1 << shift[0]) {
                    violations.add("window edge retracted: " + seg);
                }
                lastEdge[0] = edge;
                seenEdge[0] = true;
            }
        });
        int moves = 0;
        while (appB == null || !(appA.done() && appB.done())) {
            if (appB == null) {
                TcpConnection c = sb.accept(80);
                if (c != null) {
                    appB = new StreamApp(c, fromB, fromA, 3 * MB);
                    shift[0] = c.rcvShift();
                }
            }
            if (appB != null && moves < 5 && appB.received() >= (moves + 1) * 600_000L
                    && appB.connection().state().isSynchronized() && appB.connection().state() != TcpState.TIME_WAIT) {
                // Dump B's endpoint, put a fresh host at B's address, restore there.
                // Dump B's endpoint into an ICI, send it as bytes, validate and restore it on a
                // fresh host at B's address: the path a live migration takes.
                TcpConnection old = appB.connection();
                byte[] wire = IciCodec.encode(old.snapshot(), net.now(), WALL_CLOCK_BASE + net.now(), "stream",
                        new byte[0], 1, true).toByteArray();
                sb.detach(old);
                long later = net.now() + 7; // the move takes 7 ms; the clock continues across it
                sb = net.replaceHost(B, config, seed * 1000 + moves);
                IciCodec.Decoded d;
                try {
                    d = IciCodec.decode(Ici.parseFrom(wire), new IciLimits(config, ip -> ip == B, Set.of("stream"), 1 << 20),
                            later, WALL_CLOCK_BASE + later);
                } catch (Exception e) {
                    throw new AssertionError("seed " + seed + " move " + moves + ": " + e.getMessage(), e);
                }
                TcpConnection moved = sb.restore(later, d.endpoint(), d.withCongestion());
                moved.requestAck();
                appB = appB.continueOn(moved);
                moves++;
            }
            boolean progress = appA.pump() | (appB != null && appB.pump());
            if (progress) {
                net.pollAll();
            }
            assertTrue(net.step(), "stalled, seed " + seed);
            assertTrue(net.now() < 3_600_000, "too slow, seed " + seed);
        }
        assertEquals(5, moves, "seed " + seed);
        assertEquals(List.of(), violations, "seed " + seed);
        assertEquals(3L * MB, appA.received());
        assertEquals(4L * MB, appB.received());
        assertEquals(-1, appA.firstMismatch());
        assertEquals(-1, appB.firstMismatch());
        assertArrayEquals(appA.sentDigest(), appB.receivedDigest());
    }
}
