package dev.handoff.agent.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.wire.EthernetFrame;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.Ipv4Packet;
import dev.handoff.agent.wire.TcpHeaderWriter;
import dev.handoff.agent.wire.TcpSegment;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each audit rule on hand-made frames: a clean exchange passes, each breach is named. */
class TransparencyAuditTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int PEER = Ipv4Address.parse("10.9.0.2");
    static final long MAC_A = 0x02000000000aL;
    static final long MAC_B = 0x02000000000bL;
    static final int PEER_ISN = 1000;
    static final int OUR_ISN = 5000;

    TransparencyAudit audit;

    /** A frame from us (fromUs) or the peer with the given fields; options as Linux lays them out. */
    static byte[] frame(boolean fromUs, long mac, int flags, int seq, int ack, int window, int tsVal, byte[] data, int wscale) {
        TcpHeaderWriter h = new TcpHeaderWriter();
        h.sourcePort = fromUs ? 80 : 40000;
        h.destinationPort = fromUs ? 40000 : 80;
        h.flags = flags;
        h.seq = seq;
        h.ack = ack;
        h.window = window;
        h.timestamps = true;
        h.tsVal = tsVal;
        if ((flags & TcpSegment.SYN) != 0) {
            h.mss = 1460;
            h.windowScale = wscale;
            h.sackPermitted = true;
        }
        byte[] f = new byte[14 + 20 + 60 + data.length];
        int src = fromUs ? VIP : PEER;
        int dst = fromUs ? PEER : VIP;
        EthernetFrame.writeHeader(f, 0, fromUs ? 0x020000000002L : MAC_A, mac, EthernetFrame.TYPE_IPV4);
        int hl = h.write(f, 34);
        System.arraycopy(data, 0, f, 34 + hl, data.length);
        TcpHeaderWriter.finishChecksum(f, 34, hl + data.length, src, dst);
        Ipv4Packet.writeHeader(f, 14, src, dst, Ipv4Packet.PROTOCOL_TCP, hl + data.length);
        return java.util.Arrays.copyOf(f, 34 + hl + data.length);
    }

    /** The audit's clock, ns. */
    final java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(1);

    void us(int flags, int seq, int ack, int window, int ts, String data) {
        us(MAC_A, flags, seq, ack, window, ts, data);
    }

    void us(long mac, int flags, int seq, int ack, int window, int ts, String data) {
        byte[] f = frame(true, mac, flags, seq, ack, window, ts, data.getBytes(), 7);
        audit.onFrame(f, 0, f.length);
    }

    void peer(int flags, int seq, int ack, String data) {
        peer(flags, seq, ack, 1000, data);
    }

    void peer(int flags, int seq, int ack, int window, String data) {
        byte[] f = frame(false, 0x020000000002L, flags, seq, ack, window, 1, data.getBytes(), 7);
        audit.onFrame(f, 0, f.length);
    }

    @BeforeEach
    void handshakeAndSomeData() {
        audit = new TransparencyAudit(ip -> ip == VIP, clock::get);
        peer(TcpSegment.SYN, PEER_ISN, 0, "");
        us(TcpSegment.SYN | TcpSegment.ACK, OUR_ISN, PEER_ISN + 1, 65535, 100, "");
        peer(TcpSegment.ACK, PEER_ISN + 1, OUR_ISN + 1, "");
        peer(TcpSegment.ACK | TcpSegment.PSH, PEER_ISN + 1, OUR_ISN + 1, "GET /");
        us(TcpSegment.ACK, OUR_ISN + 1, PEER_ISN + 6, 1000, 101, "hello ");
        us(TcpSegment.ACK, OUR_ISN + 7, PEER_ISN + 6, 1000, 102, "world");
    }

    @Test
    void aCleanExchangeWithAMoveAndAnIdenticalRetransmissionPasses() {
        us(MAC_B, TcpSegment.ACK, OUR_ISN + 1, PEER_ISN + 6, 1000, 103, "hello "); // moved, resent the same bytes
        us(MAC_B, TcpSegment.ACK, OUR_ISN + 12, PEER_ISN + 6, 1000, 103, "!");
        peer(TcpSegment.ACK | TcpSegment.FIN, PEER_ISN + 6, OUR_ISN + 13, "");
        us(MAC_B, TcpSegment.ACK | TcpSegment.FIN, OUR_ISN + 13, PEER_ISN + 7, 1000, 104, "");
        assertEquals(0, audit.violationCount(), audit.report());
        assertTrue(audit.report().contains("senderSwitches=1"), audit.report());
        assertTrue(audit.report().contains("retransmitted=6"), audit.report());
    }

    @Test
    void theOutageAtASenderSwitchRunsFromTheOldSendersLastSegmentToTheNewOnesFirstNewData() {
        clock.addAndGet(700_000_000);
        us(MAC_B, TcpSegment.ACK, OUR_ISN + 1, PEER_ISN + 6, 1000, 103, "hello "); // resent: not new data yet
        clock.addAndGet(50_000_000);
        us(MAC_B, TcpSegment.ACK, OUR_ISN + 12, PEER_ISN + 6, 1000, 103, "!");
        clock.addAndGet(10_000_000);
        us(MAC_B, TcpSegment.ACK, OUR_ISN + 13, PEER_ISN + 6, 1000, 104, "?");
        assertTrue(audit.report().contains("switchGapsMs=[750]"), audit.report());
        assertTrue(audit.report().contains("maxSwitchGapMs=750"), audit.report());
        assertTrue(audit.report().contains("switchPeerClosedMs=[0]"), audit.report());
    }

    @Test
    void theTimeThePeersWindowWasClosedDuringAnOutageIsToldApart() {
        clock.addAndGet(100_000_000);
        peer(TcpSegment.ACK, PEER_ISN + 6, OUR_ISN + 12, 0, ""); // closed before the old sender's last segment
        clock.addAndGet(200_000_000);
        us(TcpSegment.ACK, OUR_ISN + 11, PEER_ISN + 6, 1000, 103, ""); // the old sender's last: a window probe
        clock.addAndGet(500_000_000);
        us(MAC_B, TcpSegment.ACK, OUR_ISN + 11, PEER_ISN + 6, 1000, 104, ""); // the new sender's probe
        peer(TcpSegment.ACK, PEER_ISN + 6, OUR_ISN + 12, 0, ""); // still closed
        clock.addAndGet(300_000_000);
        peer(TcpSegment.ACK, PEER_ISN + 6, OUR_ISN + 12, 1000, ""); // open: 800 ms of the outage were the peer's
        clock.addAndGet(20_000_000);
        us(MAC_B, TcpSegment.ACK, OUR_ISN + 12, PEER_ISN + 6, 1000, 105, "!");
        assertTrue(audit.report().contains("switchGapsMs=[820]"), audit.report());
        assertTrue(audit.report().contains("switchPeerClosedMs=[800]"), audit.report());
        assertEquals(List.of(820L), TransparencyAudit.switchGapsMs(audit.report()));
        assertEquals(List.of(800L), TransparencyAudit.switchPeerClosedMs(audit.report()));
        assertEquals(0, audit.violationCount(), audit.report());
    }

    void expect(String what) {
        assertEquals(1, audit.violationCount(), audit.report());
        assertTrue(audit.violations().getFirst().contains(what), audit.violations().toString());
    }

    @Test
    void aResetIsAViolation() {
        us(TcpSegment.RST, OUR_ISN + 12, 0, 0, 103, "");
        expect("RST from our side");
    }

    @Test
    void aChangedRetransmissionIsAViolation() {
        us(TcpSegment.ACK, OUR_ISN + 1, PEER_ISN + 6, 1000, 103, "hellO ");
        expect("retransmitted byte at stream offset 4");
    }

    @Test
    void aGapIsAViolation() {
        us(TcpSegment.ACK, OUR_ISN + 20, PEER_ISN + 6, 1000, 103, "x");
        expect("gap");
    }

    @Test
    void aTimestampGoingBackIsAViolation() {
        us(TcpSegment.ACK, OUR_ISN + 12, PEER_ISN + 6, 1000, 50, "x");
        expect("TSval went back");
    }

    @Test
    void aRetractedWindowEdgeIsAViolation() {
        us(TcpSegment.ACK, OUR_ISN + 12, PEER_ISN + 6, 999, 103, "x");
        expect("window right edge retracted by 128 bytes");
    }

    @Test
    void anAckAboveWhatThePeerSentIsAViolation() {
        us(TcpSegment.ACK, OUR_ISN + 12, PEER_ISN + 9, 1000, 103, "x");
        expect("beyond what the peer sent");
    }

    @Test
    void aSecondSynWithOtherOptionsIsAViolation() {
        byte[] f = frame(true, MAC_A, TcpSegment.SYN | TcpSegment.ACK, OUR_ISN, PEER_ISN + 1, 65535, 104, new byte[0], 9);
        audit.onFrame(f, 0, f.length);
        expect("second SYN");
    }

    @Test
    void closingFirstIsAViolation() {
        us(TcpSegment.ACK | TcpSegment.FIN, OUR_ISN + 12, PEER_ISN + 6, 1000, 103, "");
        expect("FIN from our side before the peer's");
    }
}
