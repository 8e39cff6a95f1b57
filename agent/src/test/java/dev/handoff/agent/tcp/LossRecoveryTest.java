package dev.handoff.agent.tcp;

import static dev.handoff.agent.tcp.EngineFixture.IRS;
import static dev.handoff.agent.tcp.EngineFixture.ISS;
import static dev.handoff.agent.tcp.TcpEngineTest.bytes;
import static dev.handoff.agent.tcp.TcpEngineTest.payload;
import static dev.handoff.agent.wire.TcpSegment.ACK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.wire.TcpSegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Loss recovery beyond RFC 6675's basics, exact segments in and out with time stepped by
 * hand: IsLost on SACKed bytes, Limited Transmit, spurious-recovery undo, the reordering
 * window, tail-loss probes. Every connection has SACK and timestamps; segments carry
 * 1448 bytes (MSS 1460 less the timestamp option).
 */
class LossRecoveryTest {
    /** Payload of one full segment. */
    static final int SEG = 1448;
    /** First sequence number of our data. */
    static final int UNA = ISS + 1;

    /** Sends {@code n} full segments as the connection's first data and collects them; returns the data. */
    private static byte[] sendSegments(EngineFixture fx, TcpConnection c, int n) {
        return sendSegments(fx, c, n, UNA);
    }

    /** Sends {@code n} full segments, the first at {@code seq}, and collects them; returns the data. */
    private static byte[] sendSegments(EngineFixture fx, TcpConnection c, int n, int seq) {
        byte[] data = bytes(n * SEG, 3);
        c.send(data, 0, data.length);
        for (int i = 0; i < n; i++) {
            assertEquals(seq + i * SEG, fx.recv().seq());
        }
        return data;
    }

    /** An ACK from the peer for {@code ack}, echoing {@code tsEcr}, SACKing [left, right) unless left == right. */
    private static void ack(EngineFixture fx, int ack, int tsVal, int tsEcr, int left, int right) {
        Seg s = fx.seg(ACK).seq(IRS + 1).ack(ack).win(1000).ts(tsVal, tsEcr);
        if (left != right) {
            s.sack(left, right);
        }
        s.send();
    }

    @Test
    void threeSegmentsSackedAboveAHoleMarkItLostOnTheFirstAck() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        int sent = fx.tsNow();
        byte[] data = sendSegments(fx, c, 5);
        // RFC 6675 §4 IsLost: more than (DupThresh - 1) * SMSS bytes SACKed above the hole.
        ack(fx, UNA, 110, sent, UNA + SEG, UNA + 4 * SEG);
        TcpSegment r = fx.recv();
        assertEquals(UNA, r.seq());
        assertArrayEquals(Arrays.copyOfRange(data, 0, SEG), payload(r));
        assertTrue(c.inRecovery());
        assertEquals(1, fx.stack.counters().fastRetransmits);
    }

    @Test
    void twoSegmentsSackedAreNotYetALoss() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        int sent = fx.tsNow();
        sendSegments(fx, c, 5);
        ack(fx, UNA, 110, sent, UNA + SEG, UNA + 3 * SEG);
        fx.expectNothing();
        assertFalse(c.inRecovery());
    }

    @Test
    void limitedTransmitSendsOneNewSegmentOnEachOfTheFirstTwoDuplicates() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        int sent = fx.tsNow();
        byte[] data = bytes(12 * SEG, 4);
        c.send(data, 0, data.length);
        for (int i = 0; i < 10; i++) {
            fx.recv(); // the initial window: 10 segments
        }
        fx.expectNothing();
        // RFC 3042: the first duplicate (SACKing segment 1) lets segment 10 out, the second segment 11.
        ack(fx, UNA, 110, sent, UNA + SEG, UNA + 2 * SEG);
        assertEquals(UNA + 10 * SEG, fx.recv().seq());
        fx.expectNothing();
        ack(fx, UNA, 111, sent, UNA + SEG, UNA + 3 * SEG);
        assertEquals(UNA + 11 * SEG, fx.recv().seq());
        fx.expectNothing();
        assertFalse(c.inRecovery());
    }

    /**
     * A connection that sent 6 segments at TSval {@code sent}, then 5 ms later learned from
     * three SACKed segments that segment 0 is lost and retransmitted it.
     */
    private record InRecovery(EngineFixture fx, TcpConnection c, int sent, int cwndBefore, TcpSegment retransmission) {
        static InRecovery start() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            int sent = fx.tsNow();
            sendSegments(fx, c, 6);
            int before = c.cwnd();
            fx.advance(5);
            ack(fx, UNA, 110, sent, UNA + SEG, UNA + 4 * SEG);
            return new InRecovery(fx, c, sent, before, fx.recv());
        }
    }

    @Test
    void aRecoveryWhoseAckEchoesTheOriginalIsUndone() {
        InRecovery r = InRecovery.start();
        assertEquals(UNA, r.retransmission().seq());
        assertEquals(r.sent() + 5, r.retransmission().tsVal());
        assertTrue(r.c().cwnd() < r.cwndBefore(), "recovery reduced the window");
        // The original of segment 0 was only late: the ACK covering it echoes its TSval, older
        // than the retransmission's (RFC 3522 §3).
        ack(r.fx(), UNA + 6 * SEG, 111, r.sent(), 0, 0);
        assertFalse(r.c().inRecovery());
        assertEquals(1, r.fx().stack.counters().spuriousRecoveries);
        assertTrue(r.c().cwnd() >= r.cwndBefore(), "RFC 4015: the window is back (" + r.c().cwnd() + ")");
    }

    @Test
    void aRecoveryWhoseAckEchoesTheRetransmissionStands() {
        InRecovery r = InRecovery.start();
        ack(r.fx(), UNA + 6 * SEG, 111, r.retransmission().tsVal(), 0, 0);
        assertFalse(r.c().inRecovery());
        assertEquals(0, r.fx().stack.counters().spuriousRecoveries);
        assertTrue(r.c().cwnd() < r.cwndBefore(), "a real loss keeps the reduction");
    }

    @Test
    void afterReorderingWasSeenAHoleWaitsTheReorderWindowBeforeItIsLost() {
        InRecovery r = InRecovery.start();
        EngineFixture fx = r.fx();
        TcpConnection c = r.c();
        ack(fx, UNA + 6 * SEG, 111, r.sent(), 0, 0); // spurious: the path reorders
        assertEquals(1, fx.stack.counters().spuriousRecoveries);
        sendSegments(fx, c, 6, UNA + 6 * SEG);
        int una = UNA + 6 * SEG;
        ack(fx, una, 112, fx.tsNow(), una + SEG, una + 4 * SEG);
        fx.expectNothing(); // RFC 8985 §6.2: SRTT/4 (1 ms here) for the late segment to show up
        assertFalse(c.inRecovery());
        fx.advance(1);
        TcpSegment again = fx.recv();
        assertEquals(una, again.seq(), "the reordering timer marked the hole lost");
        assertTrue(c.inRecovery());
        assertEquals(2, fx.stack.counters().fastRetransmits);
    }

    @Test
    void aTailLossProbeResendsTheLastSegmentAfterTwoSrttAtLeastTenMs() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        int sent = fx.tsNow();
        byte[] data = sendSegments(fx, c, 3);
        // SRTT 0 on this fixture: PTO = max(10 ms, 2 SRTT) + 2 ms with more than one segment out.
        fx.advance(11);
        fx.expectNothing();
        fx.advance(1);
        TcpSegment probe = fx.recv();
        assertEquals(UNA + 2 * SEG, probe.seq(), "RFC 8985 §7.3: no new data, so the last segment again");
        assertArrayEquals(Arrays.copyOfRange(data, 2 * SEG, 3 * SEG), payload(probe));
        assertEquals(1, fx.stack.counters().lossProbes);
        fx.advance(20);
        fx.expectNothing(); // one probe at a time; the RTO (200 ms) is next
        // The peer had lost segment 2: the ACK echoes the probe, which repaired a loss (§7.4).
        int before = c.cwnd();
        ack(fx, UNA + 3 * SEG, 111, probe.tsVal(), 0, 0);
        assertEquals(1, fx.stack.counters().lossProbeRepairs);
        assertTrue(c.cwnd() < before, "a repaired tail loss still reduces the window");
        assertEquals(0, fx.stack.counters().timeouts);
    }

    @Test
    void aProbeAnsweredForTheOriginalCostsNothing() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        int sent = fx.tsNow();
        sendSegments(fx, c, 3);
        fx.advance(12);
        fx.recv();
        int before = c.cwnd();
        ack(fx, UNA + 3 * SEG, 111, sent, 0, 0); // echoes the originals' TSval
        assertEquals(0, fx.stack.counters().lossProbeRepairs);
        assertTrue(c.cwnd() >= before);
    }

    @Test
    void theProbeCarriesNewDataWhenTheReceiveWindowAllows() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        byte[] data = bytes(11 * SEG, 6);
        c.send(data, 0, data.length);
        for (int i = 0; i < 10; i++) {
            fx.recv(); // cwnd holds back segment 10
        }
        fx.advance(12);
        TcpSegment probe = fx.recv();
        assertEquals(UNA + 10 * SEG, probe.seq(), "RFC 8985 §7.3: new data first, beyond cwnd");
        assertArrayEquals(Arrays.copyOfRange(data, 10 * SEG, 11 * SEG), payload(probe));
        assertEquals(0, fx.stack.counters().retransmits);
    }

    @Test
    void aReorderedDuplicateAckPassesPawsAndItsSacksCount() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        int sent = fx.tsNow();
        sendSegments(fx, c, 6);
        ack(fx, UNA, 120, sent, UNA + SEG, UNA + 2 * SEG);
        fx.expectNothing(); // all data is out: Limited Transmit has nothing to send
        // The peer's earlier duplicate (TSval 119) arrives after the one with TSval 120.
        ack(fx, UNA, 119, sent, UNA + SEG, UNA + 4 * SEG);
        assertEquals(0, fx.stack.counters().pawsDrops, "Linux's disordered-ACK rule: not an old duplicate");
        TcpSegment r = fx.recv();
        assertEquals(UNA, r.seq(), "its SACKs made the hole lost");
        assertTrue(c.inRecovery());
    }

    @Test
    void anOldSegmentWithDataIsStillDroppedByPaws() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        fx.seg(ACK).seq(IRS + 1).ack(UNA).win(1000).ts(120, fx.tsNow()).send();
        fx.seg(ACK).seq(IRS + 1).ack(UNA).win(1000).ts(119, fx.tsNow()).data(bytes(10, 1)).send();
        assertEquals(1, fx.stack.counters().pawsDrops);
        assertEquals(0, c.available());
    }

    @Test
    void aHoleWithFewerThanThreeSegmentsSackedAboveItWaitsInRecovery() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        int sent = fx.tsNow();
        sendSegments(fx, c, 10);
        ack(fx, UNA, 110, sent, UNA + SEG, UNA + 4 * SEG);
        assertEquals(UNA, fx.recv().seq());
        // Segment 4 is missing, only segment 5 is SACKed above it: reordered, perhaps (RFC 6675 IsLost).
        fx.seg(ACK).seq(IRS + 1).ack(UNA).win(1000).ts(111, sent).sack(UNA + 5 * SEG, UNA + 6 * SEG)
                .sack(UNA + SEG, UNA + 4 * SEG).send();
        fx.expectNothing();
        fx.seg(ACK).seq(IRS + 1).ack(UNA).win(1000).ts(112, sent).sack(UNA + 5 * SEG, UNA + 8 * SEG)
                .sack(UNA + SEG, UNA + 4 * SEG).send();
        assertEquals(UNA + 4 * SEG, fx.recv().seq(), "three segments above it now: lost");
    }

    @Test
    void theResendAfterATimeoutSkipsWhatThePeerSacked() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        int sent = fx.tsNow();
        sendSegments(fx, c, 6);
        // Segments 2 and 3 arrived, 0 and 1 did not: too little for a recovery.
        ack(fx, UNA, 110, sent, UNA + 2 * SEG, UNA + 4 * SEG);
        fx.advance(12);
        assertEquals(UNA + 5 * SEG, fx.recv().seq(), "the tail-loss probe");
        fx.advance(200);
        assertEquals(UNA, fx.recv().seq(), "the timeout resends from SND.UNA");
        fx.seg(ACK).seq(IRS + 1).ack(UNA + SEG).win(1000).ts(111, fx.tsNow()).sack(UNA + 2 * SEG, UNA + 4 * SEG).send();
        assertEquals(UNA + SEG, fx.recv().seq());
        fx.expectNothing();
        fx.seg(ACK).seq(IRS + 1).ack(UNA + 4 * SEG).win(1000).ts(112, fx.tsNow()).send();
        assertEquals(UNA + 4 * SEG, fx.recv().seq(), "segments 2 and 3 are not sent again");
        assertEquals(1, fx.stack.counters().timeouts);
    }

    @Test
    void aRetransmissionLostInItsTurnIsSentAgainOnceLaterDataArrives() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = fx.establish();
        int sent = fx.tsNow();
        byte[] data = bytes(20 * SEG, 7);
        c.send(data, 0, data.length);
        for (int i = 0; i < 10; i++) {
            fx.recv(); // the initial window; 10 more segments wait
        }
        ack(fx, UNA, 110, sent, UNA + SEG, UNA + 4 * SEG);
        assertEquals(UNA, fx.recv().seq(), "segment 0 resent; segments 10 and on were not yet sent");
        ack(fx, UNA, 111, sent, UNA + SEG, UNA + 6 * SEG);
        assertEquals(UNA + 10 * SEG, fx.recv().seq(), "the pipe has room: new data");
        assertEquals(UNA + 11 * SEG, fx.recv().seq());
        fx.expectNothing();
        // Segments 10 and 11, sent after the retransmission of 0, arrive; 0 does not: it was lost again.
        fx.seg(ACK).seq(IRS + 1).ack(UNA).win(1000).ts(112, sent).sack(UNA + 10 * SEG, UNA + 12 * SEG)
                .sack(UNA + SEG, UNA + 6 * SEG).send();
        TcpSegment again = fx.recv();
        assertEquals(UNA, again.seq(), "resent without waiting for the RTO");
        assertArrayEquals(Arrays.copyOfRange(data, 0, SEG), payload(again));
        assertEquals(1, fx.stack.counters().lostRetransmits);
        assertEquals(0, fx.stack.counters().timeouts);
    }
}
