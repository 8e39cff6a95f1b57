package dev.handoff.agent.ici;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.handoff.agent.link.Faults;
import dev.handoff.agent.sim.SimNetwork;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpStack;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.Ici;
import dev.handoff.proto.v1.OutOfOrderSegment;
import dev.handoff.proto.v1.TcpState;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Each validation rule: an ICI breaking it is refused, naming the field; a valid one passes. */
class IciValidationTest {
    static final int A = Ipv4Address.parse("10.0.0.1");
    static final int B = Ipv4Address.parse("10.0.0.2");
    static final TcpConfig CONFIG = TcpConfig.defaults();
    static final IciLimits LIMITS = new IciLimits(CONFIG, ip -> ip == B, Set.of("echo"), 4096);

    /** A real ICI: B's end of a connection with data in flight both ways. */
    static Ici valid() {
        SimNetwork net = new SimNetwork(1, Faults.NONE);
        TcpStack sa = net.addHost(A, CONFIG);
        TcpStack sb = net.addHost(B, CONFIG);
        sb.listen(B, 7);
        TcpConnection a = sa.connect(0, A, 0, B, 7);
        TcpConnection b = null;
        while (b == null) {
            net.step();
            b = sb.accept(7);
        }
        a.send(new byte[50_000], 0, 50_000);
        b.send(new byte[30_000], 0, 30_000);
        net.pollAll();
        net.step();
        return IciCodec.encode(b.snapshot(), net.now(), 1_000_000, "echo", new byte[0], 3, true);
    }

    static String refusedField(UnaryOperator<Ici.Builder> breakIt) {
        Ici broken = breakIt.apply(valid().toBuilder()).build();
        return assertThrows(InvalidIciException.class, () -> IciCodec.decode(broken, LIMITS, 0, 1_000_000)).field();
    }

    @Test
    void aValidIciDecodesAndContinuesTheTimestampClock() throws InvalidIciException {
        Ici ici = valid();
        IciCodec.Decoded d = IciCodec.decode(ici, LIMITS, 500, 1_000_250);
        assertEquals("echo", d.application());
        assertEquals(ici.getTsGen() + 250, d.endpoint().tsVal(500), "TSval = ts_gen + wall time elapsed");
        assertTrue(d.withCongestion());
        assertTrue(ici.getSendQueue().size() > 0, "the ICI carries unacknowledged bytes");
    }

    @Test
    void eachRuleNamesItsField() {
        assertEquals("format_version", refusedField(b -> b.setFormatVersion(2)));
        assertEquals("state", refusedField(b -> b.setState(TcpState.TCP_STATE_UNSPECIFIED)));
        assertEquals("local_port", refusedField(b -> b.setLocalPort(0)));
        assertEquals("remote_port", refusedField(b -> b.setRemotePort(70_000)));
        assertEquals("local_ip", refusedField(b -> b.setLocalIp(Ipv4Address.parse("10.0.0.9"))));
        assertEquals("remote_ip", refusedField(b -> b.setRemoteIp(Ipv4Address.parse("224.0.0.1"))));
        assertEquals("snd_wscale", refusedField(b -> b.setSndWscale(15)));
        assertEquals("rcv_wscale", refusedField(b -> b.setWindowScaling(false).setSndWscale(0)));
        assertEquals("snd_mss", refusedField(b -> b.setSndMss(10)));
        assertEquals("rcv_mss", refusedField(b -> b.setRcvMss(9000)));
        assertEquals("send_queue", refusedField(b -> b.setSendQueue(ByteString.copyFrom(new byte[CONFIG.sendBufferSize() + 1]))));
        assertEquals("snd_nxt", refusedField(b -> b.setSndNxt(b.getSndUna() + b.getSendQueue().size() + 10)));
        assertEquals("max_snd_wnd", refusedField(b -> b.setMaxSndWnd(b.getSndWnd() - 1)));
        assertEquals("snd_wnd", refusedField(b -> b.setSndWnd((1 << 30) + 1).setMaxSndWnd((1 << 30) + 1)));
        assertEquals("rcv_adv_edge", refusedField(b -> b.setRcvAdvEdge(b.getRcvNxt() - 1)));
        assertEquals("receive_queue", refusedField(b -> b.setReceiveQueue(ByteString.copyFrom(new byte[CONFIG.receiveBufferSize()]))));
        assertEquals("out_of_order", refusedField(b -> b.addOutOfOrder(OutOfOrderSegment.newBuilder()
                .setSeq(b.getRcvNxt()).setData(ByteString.copyFrom(new byte[10])))));
        assertEquals("out_of_order", refusedField(b -> b.addOutOfOrder(OutOfOrderSegment.newBuilder()
                .setSeq(b.getRcvAdvEdge()).setData(ByteString.copyFrom(new byte[10])))));
        assertEquals("fin_received", refusedField(b -> b.setFinReceived(true)));
        assertEquals("fin_queued", refusedField(b -> b.setFinQueued(true).setState(TcpState.TCP_STATE_ESTABLISHED)));
        assertEquals("application", refusedField(b -> b.setApplication("files")));
        assertEquals("application_state", refusedField(b -> b.setApplicationState(ByteString.copyFrom(new byte[5000]))));
        assertEquals("congestion.algorithm", refusedField(b -> b.setCongestion(b.getCongestion().toBuilder().setAlgorithm("bbr"))));
        assertEquals("congestion.cwnd", refusedField(b -> b.setCongestion(b.getCongestion().toBuilder().setCwnd(1))));
        assertEquals("congestion.ssthresh", refusedField(b -> b.setCongestion(b.getCongestion().toBuilder().setSsthresh(100))));
        assertEquals("congestion.srtt_us", refusedField(b -> b.setCongestion(b.getCongestion().toBuilder().setSrttUs(90_000_000))));
        assertEquals("send_queue", refusedField(b -> b.setState(TcpState.TCP_STATE_FIN_WAIT_2).setFinQueued(true)));
    }

    @Test
    void aRefusedIciExplainsItself() {
        Ici broken = valid().toBuilder().setSndWscale(20).build();
        InvalidIciException e = assertThrows(InvalidIciException.class, () -> IciCodec.decode(broken, LIMITS, 0, 0));
        assertEquals("ICI field snd_wscale: 20 exceeds 14 (RFC 7323 §2.3)", e.getMessage());
    }

}
