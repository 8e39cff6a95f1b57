package dev.handoff.agent.tcp;

import static dev.handoff.agent.tcp.EngineFixture.IRS;
import static dev.handoff.agent.tcp.EngineFixture.ISS;
import static dev.handoff.agent.tcp.EngineFixture.LOCAL_IP;
import static dev.handoff.agent.tcp.EngineFixture.LOCAL_PORT;
import static dev.handoff.agent.tcp.EngineFixture.REMOTE_IP;
import static dev.handoff.agent.tcp.EngineFixture.REMOTE_PORT;
import static dev.handoff.agent.wire.TcpSegment.ACK;
import static dev.handoff.agent.wire.TcpSegment.FIN;
import static dev.handoff.agent.wire.TcpSegment.PSH;
import static dev.handoff.agent.wire.TcpSegment.RST;
import static dev.handoff.agent.wire.TcpSegment.SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.wire.TcpSegment;
import java.util.Arrays;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Exact segments in, exact segments out, time stepped by hand. */
class TcpEngineTest {

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    static byte[] payload(TcpSegment s) {
        return Arrays.copyOfRange(s.buffer(), s.payloadOffset(), s.payloadOffset() + s.payloadLength());
    }

    @Nested
    class PassiveOpen {
        @Test
        void synWithAllOptionsIsAnsweredWithSynAckCarryingThemAll() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            fx.stack.listen(LOCAL_IP, LOCAL_PORT);
            fx.seg(SYN).seq(IRS).mss(1400).ws(7).sackPermitted().ts(100, 0).send();
            TcpSegment s = fx.recv();
            assertEquals(SYN | ACK, s.flags());
            assertEquals(ISS, s.seq());
            assertEquals(IRS + 1, s.ack());
            assertEquals(1460, s.mss());
            assertEquals(7, s.windowScale(), "4 MB buffer needs shift 7");
            assertTrue(s.sackPermitted());
            assertTrue(s.hasTimestamps());
            assertEquals(fx.tsNow(), s.tsVal());
            assertEquals(100, s.tsEcr());
            assertEquals(65535, s.window(), "window in a SYN is not scaled");
            fx.expectNothing();
            TcpConnection c = fx.stack.find(LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
            assertEquals(TcpState.SYN_RECEIVED, c.state());
            assertNull(fx.stack.accept(LOCAL_PORT), "not accepted before the handshake completes");
        }

        @Test
        void ackCompletesHandshakeAndScalesThePeerWindow() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            assertEquals(1000 << 7, c.sndWnd());
            assertTrue(c.timestampsEnabled() && c.sackEnabled() && c.windowScalingEnabled());
            assertEquals(1, fx.stack.counters().established);
        }

        @Test
        void synWithoutOptionsTurnsEveryOptionOff() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            fx.stack.listen(0, LOCAL_PORT);
            fx.seg(SYN).seq(IRS).win(8000).send();
            TcpSegment s = fx.recv();
            assertEquals(1460, s.mss(), "MSS is always announced");
            assertEquals(-1, s.windowScale());
            assertFalse(s.sackPermitted());
            assertFalse(s.hasTimestamps());
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(8000).send();
            TcpConnection c = fx.stack.accept(LOCAL_PORT);
            assertEquals(8000, c.sndWnd(), "no scaling");
            assertEquals(536, c.peerMss(), "RFC 9293 3.7.1 default MSS");
            c.send(bytes(2000, 1), 0, 2000);
            TcpSegment d = fx.recv();
            assertEquals(536, d.payloadLength());
            assertFalse(d.hasTimestamps());
            assertTrue(d.window() <= 65535);
        }

        @Test
        void eachOptionNegotiatesIndependently() {
            record Case(boolean ws, boolean sack, boolean ts) {
            }
            for (int bits = 0; bits < 8; bits++) {
                Case k = new Case((bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0);
                EngineFixture fx = new EngineFixture(TcpConfig.defaults());
                fx.stack.listen(LOCAL_IP, LOCAL_PORT);
                Seg syn = fx.seg(SYN).seq(IRS).mss(1460);
                if (k.ws) syn.ws(3);
                if (k.sack) syn.sackPermitted();
                if (k.ts) syn.ts(1, 0);
                syn.send();
                TcpSegment s = fx.recv();
                assertEquals(k.ws, s.windowScale() >= 0, k + " ws");
                assertEquals(k.sack, s.sackPermitted(), k + " sack");
                assertEquals(k.ts, s.hasTimestamps(), k + " ts");
                TcpConnection c = fx.stack.find(LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
                assertEquals(k.ws, c.windowScalingEnabled());
                assertEquals(k.sack, c.sackEnabled());
                assertEquals(k.ts, c.timestampsEnabled());
            }
        }

        @Test
        void optionsOffInOurConfigAreNotAnsweredEvenIfOffered() {
            EngineFixture fx = new EngineFixture(TcpConfig.builder().windowScaling(false).sack(false).timestamps(false).build());
            fx.stack.listen(LOCAL_IP, LOCAL_PORT);
            fx.seg(SYN).seq(IRS).mss(1460).ws(7).sackPermitted().ts(1, 0).send();
            TcpSegment s = fx.recv();
            assertEquals(-1, s.windowScale());
            assertFalse(s.sackPermitted());
            assertFalse(s.hasTimestamps());
        }

        @Test
        void windowScaleAbove14IsUsedAs14() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            fx.stack.listen(LOCAL_IP, LOCAL_PORT);
            fx.seg(SYN).seq(IRS).ws(20).send();
            fx.recv();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(3).send();
            TcpConnection c = fx.stack.accept(LOCAL_PORT);
            assertEquals(14, c.sndShift(), "RFC 7323 2.3");
            assertEquals(3 << 14, c.sndWnd());
        }

        @Test
        void lostSynAckIsRetransmittedOnTimeoutAndOnADuplicateSyn() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            fx.stack.listen(LOCAL_IP, LOCAL_PORT);
            fx.seg(SYN).seq(IRS).send();
            fx.recv();
            fx.advance(999);
            fx.expectNothing();
            fx.advance(1);
            TcpSegment again = fx.recv();
            assertEquals(SYN | ACK, again.flags(), "RFC 6298 2.1: initial RTO 1 s");
            assertEquals(ISS, again.seq());
            fx.seg(SYN).seq(IRS).send();
            TcpSegment third = fx.recv();
            assertEquals(SYN | ACK, third.flags());
        }

        @Test
        void badAckInSynReceivedIsAnsweredWithReset() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            fx.stack.listen(LOCAL_IP, LOCAL_PORT);
            fx.seg(SYN).seq(IRS).send();
            fx.recv();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 77).send();
            TcpSegment r = fx.recv();
            assertEquals(RST, r.flags());
            assertEquals(ISS + 77, r.seq());
        }

        @Test
        void resetInSynReceivedClosesAndFreesTheBacklogSlot() {
            EngineFixture fx = new EngineFixture(TcpConfig.builder().synBacklog(1).build());
            fx.stack.listen(LOCAL_IP, LOCAL_PORT);
            fx.seg(SYN).seq(IRS).send();
            fx.recv();
            fx.seg(RST).seq(IRS + 1).send();
            fx.expectNothing();
            assertEquals(0, fx.stack.connectionCount());
            fx.seg(SYN).seq(IRS + 5000).send();
            assertEquals(SYN | ACK, fx.recv().flags(), "the slot is free again");
        }

        @Test
        void synBacklogAndConnectionLimitAreEnforcedAndCounted() {
            EngineFixture fx = new EngineFixture(TcpConfig.builder().synBacklog(2).maxConnections(3).build());
            fx.stack.listen(LOCAL_IP, LOCAL_PORT);
            for (int p = 1; p <= 3; p++) {
                fx.seg(SYN).seq(IRS).ports(40000 + p, LOCAL_PORT).send();
            }
            assertEquals(2, fx.stack.connectionCount());
            assertEquals(1, fx.stack.counters().synBacklogDrops);
            fx.stack.listen(LOCAL_IP, 81);
            fx.seg(SYN).seq(IRS).ports(40010, 81).send();
            fx.seg(SYN).seq(IRS).ports(40011, 81).send();
            assertEquals(3, fx.stack.connectionCount());
            assertEquals(1, fx.stack.counters().connectionLimitDrops);
        }
    }

    @Nested
    class ActiveOpen {
        @Test
        void connectSendsSynWithOurOptionsAndEstablishesOnSynAck() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.stack.connect(fx.now, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
            TcpSegment s = fx.recv();
            assertEquals(SYN, s.flags());
            assertEquals(ISS, s.seq());
            assertEquals(1460, s.mss());
            assertEquals(7, s.windowScale());
            assertTrue(s.sackPermitted());
            assertEquals(fx.tsNow(), s.tsVal());
            assertEquals(0, s.tsEcr());
            assertEquals(TcpState.SYN_SENT, c.state());
            fx.advance(3);
            fx.seg(SYN).seq(IRS).ack(ISS + 1).win(5000).mss(1400).ws(2).sackPermitted().ts(77, s.tsVal()).send();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(5000, c.sndWnd(), "window of a SYN-ACK is not scaled");
            TcpSegment ack = fx.recv();
            assertEquals(ACK, ack.flags());
            assertEquals(ISS + 1, ack.seq());
            assertEquals(IRS + 1, ack.ack());
            assertEquals(77, ack.tsEcr());
            assertEquals((4 << 20) >> 7, ack.window(), "4 MB >> 7");
            assertEquals(3.0, c.srtt(), "RFC 6298 2.2: SRTT = R from TSecr (RFC 7323 4.1)");
            assertEquals(200, c.rto(), "RFC 6298 2.2: 3 + 4 * 1.5 = 9 ms, raised to the 200 ms floor");
        }

        @Test
        void synIsRetransmittedWithBackoffThenTheOpenFails() {
            EngineFixture fx = new EngineFixture(TcpConfig.builder().maxSynRetransmissions(2).build());
            TcpConnection c = fx.stack.connect(fx.now, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
            fx.recv();
            fx.advance(1000);
            assertEquals(SYN, fx.recv().flags());
            fx.advance(1999);
            fx.expectNothing();
            fx.advance(1);
            assertEquals(SYN, fx.recv().flags());
            fx.advance(4000);
            fx.expectNothing();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals("connection timed out while opening", c.closeReason());
        }

        @Test
        void resetAcknowledgingOurSynRefusesTheConnection() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.stack.connect(fx.now, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
            fx.recv();
            fx.seg(RST).seq(0).ack(ISS + 7).send();
            assertEquals(TcpState.SYN_SENT, c.state(), "a RST with an unacceptable ACK is ignored");
            fx.seg(RST).seq(0).ack(ISS + 1).send();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals("connection refused by peer", c.closeReason());
        }

        @Test
        void simultaneousOpen() {
            EngineFixture fx = new EngineFixture(TcpConfig.builder().timestamps(false).build());
            TcpConnection c = fx.stack.connect(fx.now, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
            fx.recv();
            fx.seg(SYN).seq(IRS).mss(1460).send();
            assertEquals(TcpState.SYN_RECEIVED, c.state());
            TcpSegment synAck = fx.recv();
            assertEquals(SYN | ACK, synAck.flags());
            assertEquals(ISS, synAck.seq());
            assertEquals(IRS + 1, synAck.ack());
            // The peer's SYN-ACK repeats a SYN we already have: RFC 9293 answers it with an ACK.
            fx.seg(SYN).seq(IRS).ack(ISS + 1).send();
            TcpSegment a = fx.recv();
            assertEquals(ACK, a.flags());
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).send();
            assertEquals(TcpState.ESTABLISHED, c.state());
        }
    }

    @Nested
    class DataTransfer {
        /** Before a move the delayed ACK goes out at once: the peer must not wait for it through the freeze. */
        @Test
        void aDelayedAckIsFlushedOnRequest() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(102, fx.tsNow()).data("abc").send();
            fx.expectNothing(); // delayed
            c.flushDelayedAck();
            assertEquals(IRS + 4, fx.recv().ack(), "sent now, not after the delay");
            c.flushDelayedAck();
            fx.expectNothing(); // nothing owed: nothing sent
        }

        /** A move freezes in a pause of the peer's sending: the engine says when data last came, duplicates aside. */
        @Test
        void theTimeOfTheLastNewDataIsKeptForAMoveToWaitForAPause() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            assertEquals(TcpConnection.NO_DATA_YET, c.lastDataAt(), "nothing received yet");
            fx.advance(5);
            long at = fx.now;
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(102, fx.tsNow()).data("abc").send();
            assertEquals(at, c.lastDataAt());
            fx.advance(7);
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(103, fx.tsNow()).data("abc").send(); // a duplicate
            fx.seg(ACK).seq(IRS + 4).ack(ISS + 1).ts(103, fx.tsNow()).send(); // a pure ACK
            assertEquals(at, c.lastDataAt(), "neither a duplicate nor a pure ACK is new data");
        }

        /** A connection detached (moved away) after input touched it sends nothing more: never two senders. */
        @Test
        void aDetachedConnectionEmitsNothingEvenIfTouchedBefore() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(102, fx.tsNow()).data(bytes(1000, 1)).send();
            fx.seg(ACK).seq(IRS + 1001).ack(ISS + 1).ts(103, fx.tsNow()).data(bytes(1000, 2)).send(); // an ACK is owed now
            fx.stack.detach(c);
            fx.poll(c);
            fx.expectNothing();
        }

        /** After a restore (a move), segments are ACKed at once for a while: the peer has waited through the freeze. */
        @Test
        void aRestoredEndpointAcksAtOnceThenDelaysAgain() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            EndpointState snapshot = c.snapshot();
            fx.stack.detach(c);
            fx.stack.restore(fx.now, snapshot, true);
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(102, fx.tsNow()).data("abc").send();
            assertEquals(IRS + 4, fx.recv().ack(), "ACKed at once, no delayed ACK");
            fx.advance(TcpConnection.QUICK_ACK_AFTER_RESTORE_MS);
            fx.seg(ACK).seq(IRS + 4).ack(ISS + 1).ts(103, fx.tsNow()).data("def").send();
            fx.expectNothing();
            fx.advance(TcpConfig.defaults().delayedAckMs());
            assertEquals(IRS + 7, fx.recv().ack(), "delayed ACK again once the quick-ack time is over");
        }

        /**
         * RFC 7323 Appendix F: with window scaling, rounding the window up on every ACK while
         * the application reads nothing would push the edge past the buffer. Odd-sized
         * segments, each ACKed, until the window closes: the edge the peer sees never passes
         * the buffer, never moves left by a whole unit, and every byte it allows is stored.
         */
        @Test
        void aReceiverThatReadsNothingNeverAdvertisesBeyondItsBuffer() {
            int buffer = 256 * 1024; // needs window scale 3: rounding units of 8 bytes
            EngineFixture fx = new EngineFixture(TcpConfig.builder().receiveBufferSize(buffer).build());
            TcpConnection c = fx.establish();
            int seq = fillUntilTheWindowCloses(fx, c, buffer);
            assertEquals(seq - IRS - 1, c.available(), "every byte sent within the window was stored");
            assertTrue(c.available() >= buffer, "the whole buffer was offered: " + c.available());
        }

        /**
         * A receive buffer filled to a window rounded up holds one window unit more than its
         * size; a move restores it as it is (restore once refused any queue over the size).
         */
        @Test
        void aReceiveBufferFullToItsRoundedWindowIsRestored() {
            int buffer = 256 * 1024;
            EngineFixture fx = new EngineFixture(TcpConfig.builder().receiveBufferSize(buffer).build());
            TcpConnection c = fx.establish();
            fillUntilTheWindowCloses(fx, c, buffer);
            EndpointState snapshot = c.snapshot();
            assertTrue(snapshot.receiveQueue().length > buffer, "rounding let in more than the size: "
                    + snapshot.receiveQueue().length);
            fx.stack.detach(c);
            TcpConnection restored = fx.stack.restore(fx.now, snapshot, true);
            assertEquals(snapshot.receiveQueue().length, restored.available());
        }

        /**
         * The peer sends odd-sized segments, each ACKed, into a buffer of {@code buffer} bytes
         * (window scale 3) that the application never reads, until the window closes: the edge
         * never passes the buffer nor moves left by a whole unit. Returns RCV.NXT.
         */
        private static int fillUntilTheWindowCloses(EngineFixture fx, TcpConnection c, int buffer) {
            int seq = IRS + 1;
            int peerTs = 102;
            int lastEdge = 0;
            int segments = 0;
            for (int window = Integer.MAX_VALUE; window > 0; segments++) {
                int len = Math.min(1001, window);
                fx.seg(ACK).seq(seq).ack(ISS + 1).ts(peerTs++, fx.tsNow()).data(new byte[len]).send();
                seq += len;
                fx.advance(TcpConfig.defaults().delayedAckMs());
                TcpSegment ack = fx.recv();
                assertEquals(seq, ack.ack(), "everything received is acknowledged");
                int edge = ack.ack() + (ack.window() << 3);
                window = edge - seq;
                assertTrue(window <= buffer + 8 - c.available(), "edge beyond the buffer after " + segments + " segments");
                if (segments > 0) {
                    assertTrue(edge - lastEdge > -8, "edge moved left by a whole unit: " + (edge - lastEdge));
                }
                lastEdge = edge;
                assertTrue(segments < 1000, "the window never closed");
            }
            return seq;
        }

        @Test
        void delayedAckFiresAt40msNotBefore() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(102, 0).data(bytes(100, 3)).send();
            fx.expectNothing();
            fx.advance(39);
            fx.expectNothing();
            fx.advance(1);
            TcpSegment a = fx.recv();
            assertEquals(IRS + 101, a.ack());
            assertEquals(102, a.tsEcr());
            byte[] got = new byte[200];
            assertEquals(100, c.receive(got, 0, 200));
            assertArrayEquals(bytes(100, 3), Arrays.copyOf(got, 100));
        }

        @Test
        void everySecondFullSegmentIsAckedAtOnce() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            fx.establish();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(102, 0).data(bytes(1448, 1)).send();
            fx.expectNothing();
            fx.seg(ACK).seq(IRS + 1449).ack(ISS + 1).ts(103, 0).data(bytes(1448, 2)).send();
            assertEquals(IRS + 1 + 2896, fx.recv().ack());
        }

        @Test
        void aSegmentTheLinkAggregatedCountsAsTheFullSizedSegmentsItHolds() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            fx.establish();
            // GRO on the path: ten of the peer's 1448-byte segments arrive as one frame, ACKed at once.
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(102, 0).data(bytes(14_480, 1)).send();
            assertEquals(IRS + 1 + 14_480, fx.recv().ack());
            // Then one aggregate and a short tail: ACKed as they come, not 40 ms later.
            fx.seg(ACK).seq(IRS + 14_481).ack(ISS + 1).ts(103, 0).data(bytes(14_480, 2)).send();
            assertEquals(IRS + 1 + 28_960, fx.recv().ack());
            fx.seg(ACK).seq(IRS + 28_961).ack(ISS + 1).ts(104, 0).data(bytes(376, 3)).send();
            fx.expectNothing(); // one short segment alone waits for the delayed ACK, as before
            fx.seg(ACK).seq(IRS + 29_337).ack(ISS + 1).ts(105, 0).data(bytes(2_896, 4)).send();
            assertEquals(IRS + 1 + 32_232, fx.recv().ack(), "two full-sized segments' worth since the last ACK");
        }

        @Test
        void dataIsSegmentedByMssMinusTimestampOptionAndPushedAtTheEnd() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            byte[] data = bytes(3000, 9);
            assertEquals(3000, c.send(data, 0, 3000));
            TcpSegment a = fx.recv();
            TcpSegment b = fx.recv();
            TcpSegment d = fx.recv();
            assertEquals(1448, a.payloadLength());
            assertEquals(1448, b.payloadLength());
            assertEquals(104, d.payloadLength());
            assertEquals(ISS + 1, a.seq());
            assertEquals(ISS + 1 + 1448, b.seq());
            assertEquals(ACK, a.flags());
            assertEquals(ACK | PSH, d.flags());
            byte[] all = new byte[3000];
            System.arraycopy(payload(a), 0, all, 0, 1448);
            System.arraycopy(payload(b), 0, all, 1448, 1448);
            System.arraycopy(payload(d), 0, all, 2896, 104);
            assertArrayEquals(data, all);
            fx.expectNothing();
        }

        @Test
        void withSegmentationOffloadABurstLeavesAsOneSegmentWithAPartialChecksum() throws Exception {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            byte[] data = bytes(20_000, 4);
            c.send(data, 0, data.length);
            byte[] out = new byte[70_000];
            int len = c.poll(fx.now, out, 0, 65_000, true);
            assertEquals(32 + 10 * 1448, len, "IW10 worth, cut at a segment boundary since more data waits");
            assertEquals(1448, c.lastGsoSize(), "the link splits it into 1448-byte segments");
            int pseudo = ~dev.handoff.agent.wire.Checksum.finish(dev.handoff.agent.wire.Checksum.pseudoHeader(
                    LOCAL_IP, REMOTE_IP, 6, len)) & 0xffff;
            assertEquals(pseudo, dev.handoff.agent.wire.Bytes.u16(out, 16), "checksum field holds the pseudo-header sum");
            // What the link does: sum from the TCP header on (partial sum included), complement, store.
            int done = dev.handoff.agent.wire.Checksum.of(out, 0, len);
            dev.handoff.agent.wire.Bytes.put16(out, 16, done);
            TcpSegment s = new TcpSegment(out, 0, len, LOCAL_IP, REMOTE_IP); // verifies the completed checksum
            assertArrayEquals(Arrays.copyOf(data, 10 * 1448), payload(s));
            assertEquals(0, c.poll(fx.now, out, 0, 65_000, true), "the congestion window is full");
        }

        @Test
        void congestionWindowLimitsTheInitialBurstToTenSegments() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            c.send(bytes(100_000, 1), 0, 100_000);
            int sent = 0;
            fx.poll();
            while (true) {
                try {
                    sent += fx.recv().payloadLength();
                } catch (AssertionError e) {
                    break;
                }
            }
            assertEquals(14600 / 1448 * 1448, sent, "RFC 6928 IW10 of 1460-byte SMSS, whole segments");
        }

        @Test
        void outOfOrderSegmentIsQueuedAndSackedThenTheGapFillIsAckedAtOnce() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(ACK).seq(IRS + 1001).ack(ISS + 1).ts(102, 0).data(bytes(500, 2)).send();
            TcpSegment dup = fx.recv();
            assertEquals(IRS + 1, dup.ack(), "RFC 5681 4.2: immediate duplicate ACK");
            assertEquals(1, dup.sackCount());
            assertEquals(IRS + 1001, dup.sackLeft(0));
            assertEquals(IRS + 1501, dup.sackRight(0));
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(103, 0).data(bytes(1000, 1)).send();
            TcpSegment a = fx.recv();
            assertEquals(IRS + 1501, a.ack());
            assertEquals(0, a.sackCount());
            byte[] got = new byte[1500];
            assertEquals(1500, c.receive(got, 0, 1500));
            assertArrayEquals(bytes(1000, 1), Arrays.copyOf(got, 1000));
            assertArrayEquals(bytes(500, 2), Arrays.copyOfRange(got, 1000, 1500));
        }

        @Test
        void firstSackBlockIsTheMostRecentlyReceived() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            fx.establish();
            fx.seg(ACK).seq(IRS + 3001).ack(ISS + 1).ts(102, 0).data(bytes(100, 2)).send();
            fx.recv();
            fx.seg(ACK).seq(IRS + 1001).ack(ISS + 1).ts(102, 0).data(bytes(100, 2)).send();
            TcpSegment s = fx.recv();
            assertEquals(2, s.sackCount());
            assertEquals(IRS + 1001, s.sackLeft(0), "RFC 2018 4");
            assertEquals(IRS + 3001, s.sackLeft(1));
        }

        @Test
        void advertisedRightEdgeNeverRetractsWhileTheApplicationDoesNotRead() {
            EngineFixture fx = new EngineFixture(TcpConfig.builder().receiveBufferSize(6000).build());
            TcpConnection c = fx.establish();
            int edge = Integer.MIN_VALUE;
            int seq = IRS + 1;
            for (int i = 0; i < 6; i++) {
                fx.seg(ACK).seq(seq).ack(ISS + 1).ts(102 + i, 0).data(bytes(1000, i)).send();
                seq += 1000;
                fx.advance(40);
                TcpSegment a = fx.recv();
                int e = a.ack() + (a.window() << c.rcvShift());
                if (edge != Integer.MIN_VALUE) {
                    assertTrue(e - edge >= 0, "edge moved left: " + e + " < " + edge);
                }
                edge = e;
            }
            assertEquals(seq, edge, "window closed exactly at the buffer end");
            assertEquals(6000, c.available());
            // Data past the closed window is refused but answered with our window.
            fx.seg(ACK).seq(seq).ack(ISS + 1).ts(110, 0).data(bytes(100, 1)).send();
            TcpSegment z = fx.recv();
            assertEquals(0, z.window());
            assertEquals(seq, z.ack());
            // Reading opens the window with an immediate update.
            c.receive(new byte[6000], 0, 6000);
            TcpSegment u = fx.recv();
            assertTrue(u.window() > 0);
        }

        @Test
        void windowScaleArithmeticBothWays() {
            EngineFixture fx = new EngineFixture(TcpConfig.builder().receiveBufferSize(1 << 20).build());
            fx.stack.listen(LOCAL_IP, LOCAL_PORT);
            fx.seg(SYN).seq(IRS).ws(5).ts(1, 0).send();
            TcpSegment sa = fx.recv();
            assertEquals(5, sa.windowScale(), "1 MB >> 4 = 65536 does not fit 16 bits, >> 5 does");
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(100).ts(2, sa.tsVal()).send();
            TcpConnection c = fx.stack.accept(LOCAL_PORT);
            assertEquals(100 << 5, c.sndWnd(), "peer's field << its shift");
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(100).ts(3, 0).data(bytes(1000, 1)).send();
            fx.advance(40);
            TcpSegment a = fx.recv();
            assertEquals((((1 << 20) - 1000) + 31) / 32, a.window(), "free space >> 5, rounded up");
        }
    }

    @Nested
    class Timers {
        @Test
        void rtoFiresAtTNotTMinusOneAndBacksOff() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            c.send(bytes(100, 1), 0, 100);
            TcpSegment first = fx.recv();
            long rto = c.rto();
            assertEquals(200, rto, "RTT sample 0 ms: RTO is the 200 ms floor");
            fx.advance(rto - 1);
            fx.expectNothing();
            fx.advance(1);
            TcpSegment again = fx.recv();
            assertEquals(first.seq(), again.seq());
            assertArrayEquals(payload(first), payload(again), "retransmission carries the same bytes");
            fx.advance(2 * rto - 1);
            fx.expectNothing();
            fx.advance(1);
            assertEquals(first.seq(), fx.recv().seq(), "backoff doubled the RTO");
            assertEquals(2, fx.stack.counters().timeouts);
            assertEquals(1460 - 12, c.cwnd(), "RFC 5681 3.1: loss window is one segment");
        }

        @Test
        void ackStopsTheTimerAndResetsBackoff() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            c.send(bytes(100, 1), 0, 100);
            fx.recv();
            fx.advance(200);
            fx.recv();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 101).ts(110, 0).send();
            assertEquals(TcpConnection.NEVER, c.rtoDeadline());
            fx.advance(100_000);
            fx.expectNothing();
        }

        @Test
        void threeDuplicateAcksTriggerFastRetransmit() {
            EngineFixture fx = new EngineFixture(TcpConfig.builder().sack(false).build());
            TcpConnection c = fx.establish();
            c.send(bytes(5 * 1448, 1), 0, 5 * 1448);
            for (int i = 0; i < 5; i++) {
                fx.recv();
            }
            int una = ISS + 1 + 1448;
            fx.seg(ACK).seq(IRS + 1).ack(una).win(1000).ts(110, 0).send();
            fx.expectNothing();
            fx.seg(ACK).seq(IRS + 1).ack(una).win(1000).ts(111, 0).send();
            fx.seg(ACK).seq(IRS + 1).ack(una).win(1000).ts(112, 0).send();
            fx.expectNothing();
            fx.seg(ACK).seq(IRS + 1).ack(una).win(1000).ts(113, 0).send();
            TcpSegment r = fx.recv();
            assertEquals(una, r.seq());
            assertEquals(1448, r.payloadLength());
            assertArrayEquals(Arrays.copyOfRange(bytes(5 * 1448, 1), 1448, 2896), payload(r));
            assertTrue(c.inRecovery());
            assertEquals(1, fx.stack.counters().fastRetransmits);
            // Full ACK ends recovery.
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1 + 5 * 1448).win(1000).ts(114, 0).send();
            assertFalse(c.inRecovery());
        }

        @Test
        void withSackEveryHoleIsRetransmittedInOneRecovery() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            byte[] data = bytes(8 * 1448, 2);
            c.send(data, 0, data.length);
            for (int i = 0; i < 8; i++) {
                fx.recv();
            }
            int una = ISS + 1;
            // Segments 0 and 3 are lost; the peer SACKs 1-2 and 4-7 as they arrive.
            fx.seg(ACK).seq(IRS + 1).ack(una).win(1000).ts(110, 0).sack(una + 1448, una + 2 * 1448).send();
            fx.seg(ACK).seq(IRS + 1).ack(una).win(1000).ts(111, 0).sack(una + 1448, una + 3 * 1448).send();
            fx.expectNothing();
            fx.seg(ACK).seq(IRS + 1).ack(una).win(1000).ts(112, 0).sack(una + 4 * 1448, una + 5 * 1448)
                    .sack(una + 1448, una + 3 * 1448).send();
            TcpSegment first = fx.recv();
            assertEquals(una, first.seq(), "RFC 6675: the first hole first");
            assertTrue(c.inRecovery());
            fx.seg(ACK).seq(IRS + 1).ack(una).win(1000).ts(113, 0).sack(una + 4 * 1448, una + 8 * 1448)
                    .sack(una + 1448, una + 3 * 1448).send();
            TcpSegment second = fx.recv();
            assertEquals(una + 3 * 1448, second.seq(), "then the next hole, without waiting for a partial ACK");
            assertArrayEquals(Arrays.copyOfRange(data, 3 * 1448, 4 * 1448), payload(second));
            fx.seg(ACK).seq(IRS + 1).ack(una + 8 * 1448).win(1000).ts(114, 0).send();
            assertFalse(c.inRecovery());
            assertEquals(1, fx.stack.counters().fastRetransmits);
            assertEquals(0, fx.stack.counters().timeouts);
        }

        @Test
        void zeroWindowIsProbedByThePersistTimerUntilItOpens() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(0).ts(110, 0).send();
            c.send(bytes(100, 1), 0, 100);
            fx.expectNothing();
            fx.advance(199);
            fx.expectNothing();
            fx.advance(1);
            TcpSegment probe = fx.recv();
            assertEquals(ISS, probe.seq(), "probe with an old sequence number");
            assertEquals(0, probe.payloadLength());
            fx.advance(399);
            fx.expectNothing();
            fx.advance(1);
            assertEquals(ISS, fx.recv().seq(), "persist backoff doubled");
            assertEquals(2, fx.stack.counters().windowProbes);
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(10).ts(111, 0).send();
            TcpSegment d = fx.recv();
            assertEquals(100, d.payloadLength());
            assertEquals(ISS + 1, d.seq());
        }

        @Test
        void aWindowTooSmallForAFullSegmentIsFilledByThePersistTimer() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            c.send(bytes(100_000, 1), 0, 100_000);
            for (int i = 0; i < 10; i++) {
                fx.recv(); // the initial window
            }
            // All acknowledged, but the peer's window has 3 units (384 bytes) left: SWS avoidance
            // holds back a segment that small, and nothing in flight will bring another ACK.
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1 + 10 * 1448).win(3).ts(110, fx.tsNow()).send();
            fx.expectNothing();
            fx.advance(199);
            fx.expectNothing();
            fx.advance(1);
            TcpSegment d = fx.recv();
            assertEquals(ISS + 1 + 10 * 1448, d.seq(), "RFC 9293 3.8.6.2.1: the override timeout sends what fits");
            assertEquals(384, d.payloadLength());
        }

        @Test
        void pawsDropsAStaleTimestampAndAcks() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(50, 0).data(bytes(10, 1)).send();
            TcpSegment a = fx.recv();
            assertEquals(IRS + 1, a.ack(), "data not accepted");
            assertEquals(101, a.tsEcr());
            assertEquals(0, c.available());
            assertEquals(1, fx.stack.counters().pawsDrops);
        }

        @Test
        void segmentWithoutTimestampsIsDroppedOnceNegotiated() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).data(bytes(10, 1)).send();
            fx.expectNothing();
            assertEquals(0, c.available());
            assertEquals(1, fx.stack.counters().missingTimestamp);
        }
    }

    @Nested
    class Close {
        @Test
        void activeCloseGoesThroughFinWait1FinWait2AndTimeWait() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            c.close();
            assertEquals(TcpState.FIN_WAIT_1, c.state());
            TcpSegment fin = fx.recv();
            assertEquals(FIN | ACK, fin.flags());
            assertEquals(ISS + 1, fin.seq());
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 2).ts(110, 0).send();
            assertEquals(TcpState.FIN_WAIT_2, c.state());
            fx.seg(FIN | ACK).seq(IRS + 1).ack(ISS + 2).ts(111, 0).send();
            assertEquals(TcpState.TIME_WAIT, c.state());
            TcpSegment a = fx.recv();
            assertEquals(IRS + 2, a.ack());
            assertEquals(-1, c.receive(new byte[1], 0, 1), "end of stream");
            // A retransmitted FIN is acknowledged again.
            fx.seg(FIN | ACK).seq(IRS + 1).ack(ISS + 2).ts(112, 0).send();
            assertEquals(IRS + 2, fx.recv().ack());
            fx.advance(59_999);
            fx.expectNothing();
            assertEquals(TcpState.TIME_WAIT, c.state());
            fx.advance(1);
            fx.poll();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(0, fx.stack.connectionCount());
        }

        @Test
        void finAndAckTogetherGoStraightToTimeWait() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            c.close();
            fx.recv();
            fx.seg(FIN | ACK).seq(IRS + 1).ack(ISS + 2).ts(110, 0).send();
            assertEquals(TcpState.TIME_WAIT, c.state());
        }

        @Test
        void passiveCloseGoesThroughCloseWaitAndLastAck() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(FIN | ACK).seq(IRS + 1).ack(ISS + 1).ts(110, 0).data("bye").send();
            assertEquals(TcpState.CLOSE_WAIT, c.state());
            assertEquals(IRS + 5, fx.recv().ack(), "FIN is acknowledged at once");
            byte[] b = new byte[10];
            assertEquals(3, c.receive(b, 0, 10));
            assertEquals(-1, c.receive(b, 0, 10));
            c.send(bytes(5, 1), 0, 5);
            c.close();
            assertEquals(TcpState.LAST_ACK, c.state());
            TcpSegment last = fx.recv();
            assertEquals(FIN | ACK | PSH, last.flags());
            assertEquals(5, last.payloadLength());
            fx.seg(ACK).seq(IRS + 5).ack(ISS + 7).ts(111, 0).send();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals("closed", c.closeReason());
        }

        @Test
        void simultaneousCloseGoesThroughClosing() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            c.close();
            fx.recv();
            fx.seg(FIN | ACK).seq(IRS + 1).ack(ISS + 1).ts(110, 0).send();
            assertEquals(TcpState.CLOSING, c.state());
            assertEquals(IRS + 2, fx.recv().ack());
            fx.seg(ACK).seq(IRS + 2).ack(ISS + 2).ts(111, 0).send();
            assertEquals(TcpState.TIME_WAIT, c.state());
        }

        @Test
        void finBeyondAHoleWaitsForTheHole() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(FIN | ACK).seq(IRS + 11).ack(ISS + 1).ts(110, 0).data("world").send();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(IRS + 1, fx.recv().ack());
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(111, 0).data("hello12345").send();
            assertEquals(TcpState.CLOSE_WAIT, c.state());
            assertEquals(IRS + 17, fx.recv().ack());
        }

        @Test
        void closeInSynSentGivesUpTheOpen() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.stack.connect(fx.now, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
            fx.recv();
            c.close();
            assertEquals(TcpState.CLOSED, c.state());
            fx.advance(5000);
            fx.expectNothing();
        }

        @Test
        void closeInSynReceivedSendsFinOnceEstablished() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            fx.stack.listen(LOCAL_IP, LOCAL_PORT);
            fx.seg(SYN).seq(IRS).ts(100, 0).send();
            TcpSegment sa = fx.recv();
            TcpConnection c = fx.stack.find(LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
            c.close();
            assertEquals(TcpState.SYN_RECEIVED, c.state());
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).ts(101, sa.tsVal()).send();
            assertEquals(TcpState.FIN_WAIT_1, c.state());
            TcpSegment fin = fx.recv();
            assertEquals(FIN | ACK, fin.flags());
            assertEquals(ISS + 1, fin.seq());
        }

        @Test
        void sendAfterCloseFailsWithAClearMessage() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            c.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.send(new byte[1], 0, 1));
            assertTrue(e.getMessage().contains("after close()"), e.getMessage());
        }

        @Test
        void abortSendsResetAtSndNxt() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            c.abort();
            TcpSegment r = fx.recv();
            assertEquals(RST, r.flags());
            assertEquals(ISS + 1, r.seq());
            assertEquals(TcpState.CLOSED, c.state());
        }
    }

    @Nested
    class Resets {
        @Test
        void resetExactlyAtRcvNxtCloses() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(RST).seq(IRS + 1).send();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals("connection reset by peer", c.closeReason());
            fx.expectNothing();
        }

        @Test
        void resetInsideTheWindowButNotAtRcvNxtGetsAChallengeAck() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(RST).seq(IRS + 100).send();
            assertEquals(TcpState.ESTABLISHED, c.state());
            TcpSegment a = fx.recv();
            assertEquals(ACK, a.flags());
            assertEquals(IRS + 1, a.ack());
            assertEquals(1, fx.stack.counters().challengeAcks);
        }

        @Test
        void resetOutsideTheWindowIsDroppedSilently() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(RST).seq(IRS - 100).send();
            fx.seg(RST).seq(IRS + 1 + (1 << 30)).send();
            assertEquals(TcpState.ESTABLISHED, c.state());
            fx.expectNothing();
        }

        @Test
        void synInAnEstablishedConnectionGetsAChallengeAck() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(SYN).seq(IRS + 12345).ts(200, 0).send();
            TcpSegment a = fx.recv();
            assertEquals(ACK, a.flags());
            assertEquals(IRS + 1, a.ack());
            assertEquals(TcpState.ESTABLISHED, c.state());
        }

        @Test
        void challengeAcksAreRateLimited() {
            EngineFixture fx = new EngineFixture(TcpConfig.builder().challengeAcksPerSecond(2).build());
            fx.establish();
            for (int i = 0; i < 5; i++) {
                fx.seg(RST).seq(IRS + 100 + i).send();
                fx.poll();
            }
            assertEquals(2, fx.stack.counters().challengeAcks);
            assertEquals(3, fx.stack.counters().challengeAcksLimited);
        }

        @Test
        void ackForDataNeverSentIsAnsweredAndDropped() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            TcpConnection c = fx.establish();
            fx.seg(ACK).seq(IRS + 1).ack(ISS + 5000).ts(110, 0).data(bytes(10, 1)).send();
            TcpSegment a = fx.recv();
            assertEquals(IRS + 1, a.ack());
            assertEquals(0, c.available());
            assertEquals(1, fx.stack.counters().ackTooNew);
        }

        @Test
        void segmentsForNoConnectionAreResetButResetsAreNot() {
            EngineFixture fx = new EngineFixture(TcpConfig.defaults());
            fx.seg(ACK).seq(IRS).ack(777).send();
            TcpSegment r = fx.recv();
            assertEquals(RST, r.flags());
            assertEquals(777, r.seq());
            fx.seg(SYN).seq(IRS).send();
            TcpSegment r2 = fx.recv();
            assertEquals(RST | ACK, r2.flags());
            assertEquals(0, r2.seq());
            assertEquals(IRS + 1, r2.ack());
            fx.seg(RST).seq(IRS).send();
            fx.seg(RST | ACK).seq(IRS).ack(5).send();
            fx.expectNothing();
            assertEquals(2, fx.stack.counters().resetsSent);
        }
    }
}
