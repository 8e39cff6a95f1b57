package dev.handoff.agent.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.PatternStream;
import dev.handoff.agent.link.Faults;
import dev.handoff.agent.sim.SimNetwork;
import dev.handoff.agent.sim.StreamApp;
import dev.handoff.agent.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

/** BBR alone with a stepped clock, then against CUBIC over the same seeded lossy channel. */
class BbrTest {
    static final int MSS = 1448;

    /** Feeds {@code bbr} a path of {@code rate} bytes/ms and {@code rttMs} for {@code ms} milliseconds from {@code start}. */
    static long drive(Bbr bbr, long start, long ms, int rate, long rttMs) {
        long now = start;
        for (; now < start + ms; now++) {
            bbr.onRttSample(now, rttMs);
            bbr.onDelivered(now, rate, MSS);
        }
        return now;
    }

    @Test
    void startupEndsWhenTheRateStopsGrowingAndTheWindowSettlesAtTwoBdp() {
        Bbr bbr = new Bbr(10 * MSS);
        assertEquals(Bbr.Mode.STARTUP, bbr.mode());
        long now = drive(bbr, 0, 200, 1000, 10); // 1 MB/s... per ms: 1000 bytes/ms, 10 ms: BDP 10,000 bytes
        assertEquals(Bbr.Mode.PROBE_BW, bbr.mode(), "three rounds without 25 % more, one round of drain");
        assertEquals(10_000, bbr.bdp(), 1);
        drive(bbr, now, 100, 1000, 10);
        assertEquals(2 * 10_000 + 3 * MSS, bbr.cwnd(), 1, "PROBE_BW: 2 BDP plus room for stretched ACKs");
    }

    @Test
    void lossDoesNotShrinkTheWindowAndATimeoutGrowsBackByWhatIsDelivered() {
        Bbr bbr = new Bbr(10 * MSS);
        long now = drive(bbr, 0, 300, 1000, 10);
        int before = bbr.cwnd();
        bbr.onCongestion(now, before, MSS);
        bbr.setCwnd(bbr.ssthresh()); // what the engine does on entering recovery
        assertEquals(before, bbr.cwnd(), "random loss is not congestion to BBR");
        bbr.onTimeout(now, before, MSS);
        assertEquals(Bbr.MIN_SEGMENTS * MSS, bbr.cwnd());
        drive(bbr, now, 30, 1000, 10);
        assertEquals(before, bbr.cwnd(), 1, "back at the target after delivering a window's worth");
    }

    @Test
    void aStaleMinimumRttBringsProbeRttAtFourSegments() {
        Bbr bbr = new Bbr(10 * MSS);
        long now = drive(bbr, 0, 300, 1000, 10);
        now = drive(bbr, now, Bbr.RTPROP_MS + 10, 1000, 12); // queueing: never 10 ms again
        assertEquals(Bbr.Mode.PROBE_RTT, bbr.mode());
        assertEquals(Bbr.MIN_SEGMENTS * MSS, bbr.cwnd());
        drive(bbr, now, Bbr.PROBE_RTT_MS + 5, 1000, 11);
        assertEquals(Bbr.Mode.PROBE_BW, bbr.mode());
        assertEquals(11 * 1000, bbr.bdp(), 1, "the probe's samples are the new minimum");
    }

    /** Virtual milliseconds to move 16 MB one way over a lossy, reordering channel with {@code cc}. */
    static long transferMs(String cc, long seed) {
        int a = Ipv4Address.parse("10.0.0.1");
        int b = Ipv4Address.parse("10.0.0.2");
        SimNetwork net = new SimNetwork(seed, new Faults(0.01, 0.01, 0.02, 0, 5, 4));
        TcpStack sa = net.addHost(a, TcpConfig.builder().congestionControl(cc).build());
        TcpStack sb = net.addHost(b, TcpConfig.defaults());
        sb.listen(b, 80);
        long size = 16L << 20;
        StreamApp appA = new StreamApp(sa.connect(0, a, 0, b, 80), new PatternStream(1), new PatternStream(2), size);
        StreamApp appB = null;
        while (appB == null || appB.received() < size) {
            if (appB == null) {
                TcpConnection c = sb.accept(80);
                if (c != null) {
                    appB = new StreamApp(c, new PatternStream(2), new PatternStream(1), 1);
                }
            }
            appA.pump();
            if (appB != null) {
                appB.pump();
            }
            net.pollAll();
            assertTrue(net.step(), "stalled");
        }
        assertEquals(-1, appB.firstMismatch());
        return net.now();
    }

    @Test
    void throughOnePercentRandomLossBbrKeepsItsRateWhereCubicHalvesIt() {
        long cubic = transferMs("cubic", 1);
        long bbr = transferMs("bbr", 1);
        assertTrue(bbr * 3 < cubic, "16 MB through 1 % loss: bbr " + bbr + " ms, cubic " + cubic + " ms (virtual time)");
    }
}
