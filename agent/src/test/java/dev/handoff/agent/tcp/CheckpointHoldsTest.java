package dev.handoff.agent.tcp;

import static dev.handoff.agent.tcp.EngineFixture.IRS;
import static dev.handoff.agent.tcp.EngineFixture.ISS;
import static dev.handoff.agent.wire.TcpSegment.ACK;
import static dev.handoff.agent.wire.TcpSegment.FIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.wire.TcpSegment;
import org.junit.jupiter.api.Test;

/**
 * The engine's half of checkpointing (issue 5), segment by segment with a stepped clock:
 * ACKs wait for the checkpoint's copied_seq without the window's right edge ever moving
 * back, new data waits for the send gate (the MSL and 2^31 bounds are gates too), and a
 * close under held ACKs still acknowledges the peer's FIN.
 */
class CheckpointHoldsTest {
    static TcpConnection held(EngineFixture fx) {
        fx.stack.holdForCheckpoints(true);
        return fx.establish();
    }

    @Test
    void receivedBytesAreAcknowledgedOnlyOnceACheckpointHoldsThem() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = held(fx);
        fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(1000).ts(102, 0).data("hello").send();
        fx.advance(500);
        fx.expectNothing(); // no ACK, delayed or not: a repeated old ACK would be a duplicate ACK
        byte[] got = new byte[5];
        assertEquals(5, c.receive(got, 0, 5));
        assertEquals(IRS + 6, c.copiedSeq());
        c.limitAck(c.copiedSeq()); // the checkpoint is durable
        TcpSegment s = fx.recv();
        assertEquals(IRS + 6, s.ack());
        assertTrue(c.rcvAdvEdge() - s.ack() <= TcpConfig.defaults().receiveBufferSize(),
                "never advertise more than a resurrected endpoint, empty at the ACK, could take");
    }

    @Test
    void theWindowEdgeStaysWithinOneBufferOfTheAckPoint() {
        TcpConfig small = TcpConfig.defaults().toBuilder().receiveBufferSize(4096).windowScaling(false).build();
        EngineFixture fx = new EngineFixture(small);
        fx.stack.holdForCheckpoints(true);
        fx.stack.listen(EngineFixture.LOCAL_IP, EngineFixture.LOCAL_PORT);
        fx.seg(TcpSegment.SYN).seq(IRS).win(65535).mss(1460).send();
        fx.recv();
        fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(8000).send();
        TcpConnection c = fx.stack.accept(EngineFixture.LOCAL_PORT);
        fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(8000).data(new byte[1000]).send();
        c.receive(new byte[1000], 0, 1000); // consumed, not yet checkpointed
        c.limitAck(IRS + 1); // an older checkpoint
        c.requestAck();
        TcpSegment s = fx.recv();
        assertEquals(IRS + 1, s.ack());
        assertEquals(4096, s.window(), "edge = ACK + buffer, not RCV.NXT + free room (" + (IRS + 1001 + 4096) + ")");
    }

    @Test
    void newDataWaitsForTheSendGateAndGoesAsItOpens() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = held(fx);
        fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(1000).ts(102, 0).send(); // window 128000 bytes
        assertEquals(10_000, c.send(new byte[10_000], 0, 10_000));
        fx.expectNothing(); // nothing is covered yet
        c.gateSend(ISS + 1 + 3000);
        int sent = 0;
        for (TcpSegment s = fx.recv(); ; s = fx.recv()) {
            sent += s.payloadLength();
            assertTrue(s.seq() + s.payloadLength() - (ISS + 1) <= 3000, "nothing beyond the gate");
            if (sent == 3000) {
                break;
            }
        }
        fx.expectNothing();
        fx.seg(ACK).seq(IRS + 1).ack(ISS + 1 + 3000).win(1000).ts(103, 0).send();
        fx.expectNothing(); // acknowledged, and still nothing new without a checkpoint
        c.gateSend(ISS + 1 + 10_000);
        TcpSegment next = fx.recv();
        assertTrue(next.payloadLength() > 0);
    }

    @Test
    void theFinWaitsForTheGateToCoverIt() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = held(fx);
        c.send(new byte[100], 0, 100);
        c.close();
        c.gateSend(ISS + 1 + 100); // the data, not the FIN
        TcpSegment s = fx.recv();
        assertEquals(100, s.payloadLength());
        assertEquals(0, s.flags() & FIN);
        fx.expectNothing();
        c.gateSend(ISS + 1 + 101);
        assertEquals(FIN | ACK, fx.recv().flags() & (FIN | ACK));
    }

    @Test
    void aCloseUnderHeldAcksStillAcknowledgesThePeersFin() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = held(fx);
        c.gateSend(ISS + 2);
        fx.seg(ACK | FIN).seq(IRS + 1).ack(ISS + 1).win(1000).ts(102, 0).send();
        assertEquals(-1, c.receive(new byte[1], 0, 1));
        c.close(); // LAST-ACK; the peer's FIN is not acknowledged yet (no checkpoint)
        TcpSegment fin = fx.recv();
        assertEquals(IRS + 1, fin.ack());
        fx.seg(ACK).seq(IRS + 2).ack(ISS + 2).win(1000).ts(103, fin.tsVal()).send();
        TcpSegment last = fx.recv();
        assertEquals(IRS + 2, last.ack(), "the peer's FIN is acknowledged before we go");
        assertEquals(TcpState.TIME_WAIT, c.state());
    }

    @Test
    void aCheckpointStateRestartsSendingAtSndUnaAndReceivingAtCopiedSeq() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = held(fx);
        fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(1000).ts(102, 0).data("abcdef").send();
        c.receive(new byte[4], 0, 4);
        c.send(new byte[50], 0, 50);
        EndpointState s = c.checkpointState(false);
        assertEquals(IRS + 5, s.rcvNxt(), "two bytes were received but not read: the peer sends them again");
        assertEquals(ISS + 1, s.sndUna());
        assertEquals(ISS + 1, s.sndNxt());
        assertEquals(0, s.sendQueueLength(), "the send bytes are kept apart, in the stream");
        assertEquals(0, s.receiveQueue().length);
    }

    @Test
    void aResurrectedEndpointProbesBelievesTheFirstAckAndTakesNoRttSampleFromTheDeadIncarnation() {
        EngineFixture fx = new EngineFixture(TcpConfig.defaults());
        TcpConnection c = held(fx);
        fx.seg(ACK).seq(IRS + 1).ack(ISS + 1).win(1000).ts(102, 0).send();
        EndpointState checkpoint = c.checkpointState(false);
        double srtt = c.srtt();
        fx.stack.detach(c); // the agent died; the peer got 5000 bytes sent after the checkpoint
        fx.advance(900);
        TcpConnection r = fx.stack.restore(fx.now, checkpoint, false);
        r.resurrect();
        fx.stack.touch(r); // as the host does after the import
        TcpSegment probe = fx.recv();
        assertEquals(ISS, probe.seq(), "the probe: one below SND.UNA, so the peer answers with where it is");
        assertEquals(0, probe.payloadLength());
        // The peer's answer echoes the last TSval it took, the dead agent's, from before the probe.
        fx.seg(ACK).seq(IRS + 1).ack(ISS + 1 + 5000).win(1000).ts(103, probe.tsVal() - 900).send();
        assertEquals(ISS + 1 + 5000, r.sndUna(), "believed once: the peer has those bytes");
        assertEquals(srtt, r.srtt(), "no RTT sample from a TSval of the dead incarnation (it would measure the outage)");
        assertEquals(5100, r.send(new byte[5100], 0, 5100)); // a deterministic application writes from its checkpoint on
        r.gateSend(ISS + 1 + 5100);
        TcpSegment next = fx.recv();
        assertEquals(ISS + 1 + 5000, next.seq(), "the 5000 bytes the peer has are skipped");
        fx.advance(3);
        fx.seg(ACK).seq(IRS + 1).ack(next.seq() + next.payloadLength()).win(1000).ts(104, next.tsVal()).send();
        assertTrue(r.srtt() > 0 && r.srtt() < 50, "a sample from our own segment counts: " + r.srtt());
    }
}
