package dev.handoff.agent.sim;

import dev.handoff.agent.app.PatternStream;
import dev.handoff.agent.link.Faults;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpStack;
import dev.handoff.agent.tcp.TcpState;
import dev.handoff.agent.wire.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded whole-network simulation: two engines over a channel with loss, reordering,
 * duplication, corruption and delay. Every seed must deliver every byte both ways,
 * retransmit only the bytes first sent, and close cleanly; a seed replays exactly.
 */
class NetworkSimulationTest {
    static final int A = Ipv4Address.parse("10.0.0.1");
    static final int B = Ipv4Address.parse("10.0.0.2");
    static final int PORT = 80;
    static final int MB = 1 << 20;

    /** What one run produced. */
    record Outcome(long seed, String setup, long virtualMs, long packets, long dropped, long retransmits, long trace) {
    }

    static TcpConfig randomConfig(SplittableRandom r) {
        int[] buffers = {64 * 1024, 256 * 1024, MB, 4 * MB};
        return TcpConfig.builder()
                .windowScaling(r.nextInt(8) != 0)
                .sack(r.nextInt(4) != 0)
                .timestamps(r.nextInt(4) != 0)
                .congestionControl(new String[] {"cubic", "newreno", "bbr"}[r.nextInt(3)])
                .sendBufferSize(buffers[r.nextInt(buffers.length)])
                .receiveBufferSize(buffers[r.nextInt(buffers.length)])
                .build();
    }

    static Outcome run(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Faults faults = new Faults(r.nextDouble() * 0.10, r.nextDouble() * 0.02, r.nextDouble() * 0.05,
                r.nextDouble() * 0.01, 1 + r.nextInt(20), 1 + r.nextInt(20));
        long aBytes = MB + r.nextLong(7L * MB + 1);
        long bBytes = MB + r.nextLong(7L * MB + 1);
        TcpConfig ca = randomConfig(r);
        TcpConfig cb = randomConfig(r);
        String setup = "seed " + seed + ": " + faults + ", A sends " + aBytes + ", B sends " + bBytes
                + ", A " + ca + ", B " + cb;

        SimNetwork net = new SimNetwork(seed, faults);
        TcpStack sa = net.addHost(A, ca);
        TcpStack sb = net.addHost(B, cb);
        sb.listen(B, PORT);
        TcpConnection a = sa.connect(net.now(), A, 0, B, PORT);
        PatternStream fromA = new PatternStream(seed * 2);
        PatternStream fromB = new PatternStream(seed * 2 + 1);
        StreamApp appA = new StreamApp(a, fromA, fromB, aBytes);
        StreamApp[] appB = new StreamApp[1];
        long[] trace = {seed};
        List<String> audit = new ArrayList<>();
        java.util.ArrayDeque<String> recent = new java.util.ArrayDeque<>();
        net.observe((now, seg) -> {
            recent.add(now + " " + (seg.sourceIp() == A ? "A>B " : "B>A ") + seg);
            if (recent.size() > 40) {
                recent.poll();
            }
            trace[0] = trace[0] * 1_000_003 + now * 31 + seg.seq() * 17L + seg.ack() * 13L + seg.flags() * 7L
                    + seg.payloadLength();
            if (seg.payloadLength() == 0 || audit.size() > 5) {
                return;
            }
            // Every payload byte on the wire, first sent or retransmitted, is the stream's byte there.
            boolean fromAtoB = seg.sourceIp() == A;
            TcpConnection sender = fromAtoB ? a : appB[0] == null ? null : appB[0].connection();
            int iss = sender != null ? sender.iss() : sb.connections().getFirst().iss();
            long offset = Integer.toUnsignedLong(seg.seq() - (iss + 1));
            PatternStream p = fromAtoB ? fromA : fromB;
            int bad = p.mismatch(offset, seg.buffer(), seg.payloadOffset(), seg.payloadLength());
            if (bad >= 0) {
                audit.add("byte at stream offset " + (offset + bad) + " from " + (fromAtoB ? "A" : "B")
                        + " differs from the byte first sent there: " + seg);
            }
        });

        long limit = 4 * 3600_000L;
        while (true) {
            if (appB[0] == null) {
                TcpConnection b = sb.accept(PORT);
                if (b != null) {
                    appB[0] = new StreamApp(b, fromB, fromA, bBytes);
                }
            }
            boolean progress = appA.pump();
            if (appB[0] != null) {
                progress |= appB[0].pump();
            }
            if (progress) {
                net.pollAll();
            }
            if (appB[0] != null && appA.done() && appB[0].done() && finished(a) && finished(appB[0].connection())) {
                break;
            }
            assertTrue(a.state() != TcpState.CLOSED || "closed".equals(a.closeReason()),
                    () -> setup + ": A closed abnormally: " + a.closeReason() + "\n" + String.join("\n", recent));
            if (!net.step() || net.now() > limit) {
                throw new AssertionError(setup + ": stalled at t=" + net.now() + " ms; A " + a.state()
                        + (a.closeReason() == null ? "" : " (" + a.closeReason() + ")") + " sent "
                        + appA.sent() + " received " + appA.received() + "; B "
                        + (appB[0] == null ? "never accepted" : appB[0].connection().state() + " sent " + appB[0].sent()
                        + " received " + appB[0].received()) + "; A's counters: " + sa.counters() + "; B's: " + sb.counters()
                        + "\n" + String.join("\n", recent));
            }
        }
        assertEquals(List.of(), audit, setup);
        assertEquals(bBytes, appA.received(), setup);
        assertEquals(aBytes, appB[0].received(), setup);
        assertEquals(-1, appA.firstMismatch(), setup);
        assertEquals(-1, appB[0].firstMismatch(), setup);
        assertArrayEquals(appA.sentDigest(), appB[0].receivedDigest(), setup);
        assertArrayEquals(appB[0].sentDigest(), appA.receivedDigest(), setup);
        long retransmits = sa.counters().retransmits + sb.counters().retransmits;
        return new Outcome(seed, setup, net.now(), net.sent(), net.dropped(), retransmits, trace[0]);
    }

    /** Closed cleanly, or in TIME-WAIT after a clean close. */
    private static boolean finished(TcpConnection c) {
        return c.state() == TcpState.TIME_WAIT || (c.state() == TcpState.CLOSED && "closed".equals(c.closeReason()));
    }

    @Test
    void twoHundredSeedsDeliverEveryByteBothWaysAndCloseCleanly() {
        List<String> failures = new ArrayList<>();
        long packets = 0;
        long retransmits = 0;
        long virtualMs = 0;
        for (long seed = 1; seed <= 200; seed++) {
            try {
                Outcome o = run(seed);
                packets += o.packets();
                retransmits += o.retransmits();
                virtualMs += o.virtualMs();
            } catch (AssertionError | RuntimeException e) {
                failures.add(e.getMessage());
            }
        }
        System.out.printf("simulation: 200 seeds, %d packets, %d retransmissions, %.1f s of virtual time%n",
                packets, retransmits, virtualMs / 1000.0);
        assertEquals(List.of(), failures, failures.size() + " of 200 seeds failed");
    }

    @Test
    void theSameSeedGivesTheSameTrace() {
        Outcome first = run(42);
        Outcome second = run(42);
        assertEquals(first.trace(), second.trace());
        assertEquals(first.packets(), second.packets());
        assertEquals(first.virtualMs(), second.virtualMs());
        assertTrue(run(43).trace() != first.trace(), "a different seed gives a different trace");
    }

    @Test
    void aCleanChannelNeedsNoRetransmission() {
        SimNetwork net = new SimNetwork(5, Faults.NONE);
        TcpStack sa = net.addHost(A, TcpConfig.defaults());
        TcpStack sb = net.addHost(B, TcpConfig.defaults());
        sb.listen(B, PORT);
        TcpConnection a = sa.connect(0, A, 0, B, PORT);
        StreamApp appA = new StreamApp(a, new PatternStream(1), new PatternStream(2), 8 * MB);
        StreamApp appB = null;
        while (appB == null || !(appA.done() && appB.done())) {
            if (appB == null && (appB = acceptApp(sb)) != null) {
                continue;
            }
            appA.pump();
            if (appB != null) {
                appB.pump();
            }
            net.pollAll();
            assertTrue(net.step(), "stalled");
        }
        assertEquals(0, sa.counters().retransmits + sb.counters().retransmits);
        assertEquals(8 * MB, appB.received());
    }

    private static StreamApp acceptApp(TcpStack sb) {
        TcpConnection b = sb.accept(PORT);
        return b == null ? null : new StreamApp(b, new PatternStream(2), new PatternStream(1), 3 * MB);
    }

}
