package dev.handoff.agent.ici;

import com.google.protobuf.ByteString;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.Ici;
import dev.handoff.proto.v1.OutOfOrderSegment;
import dev.handoff.proto.v1.TcpState;
import java.util.List;
import java.util.function.UnaryOperator;

/** One way to break each ICI validation rule, with the field the refusal must name; shared by the codec and agent tests. */
public final class IciBreakages {
    private IciBreakages() {
    }

    /** Breaks a valid ICI so that the rule on {@code field} refuses it. */
    public record Breakage(String field, UnaryOperator<Ici.Builder> breakIt) {
        /** The broken ICI. */
        public Ici apply(Ici valid) {
            return breakIt.apply(valid.toBuilder()).build();
        }
    }

    /** Every rule, for a destination with {@code limits} (which must not own 10.0.0.9 nor serve "files"). */
    public static List<Breakage> all(IciLimits limits) {
        int sendBuffer = limits.config().sendBufferSize();
        int receiveBuffer = limits.config().receiveBufferSize();
        return List.of(
                new Breakage("format_version", b -> b.setFormatVersion(2)),
                new Breakage("send_precopied", b -> b.setSendPrecopied(5)),
                new Breakage("state", b -> b.setState(TcpState.TCP_STATE_UNSPECIFIED)),
                new Breakage("local_port", b -> b.setLocalPort(0)),
                new Breakage("remote_port", b -> b.setRemotePort(70_000)),
                new Breakage("local_ip", b -> b.setLocalIp(Ipv4Address.parse("10.0.0.9"))),
                new Breakage("remote_ip", b -> b.setRemoteIp(Ipv4Address.parse("224.0.0.1"))),
                new Breakage("snd_wscale", b -> b.setSndWscale(15)),
                new Breakage("rcv_wscale", b -> b.setWindowScaling(false).setSndWscale(0)),
                new Breakage("snd_mss", b -> b.setSndMss(10)),
                new Breakage("rcv_mss", b -> b.setRcvMss(9000)),
                new Breakage("send_queue", b -> b.setSendQueue(ByteString.copyFrom(new byte[sendBuffer + 1]))),
                new Breakage("snd_nxt", b -> b.setSndNxt(b.getSndUna() + b.getSendQueue().size() + 10)),
                new Breakage("max_snd_wnd", b -> b.setMaxSndWnd(b.getSndWnd() - 1)),
                new Breakage("snd_wnd", b -> b.setSndWnd((1 << 30) + 1).setMaxSndWnd((1 << 30) + 1)),
                new Breakage("rcv_adv_edge", b -> b.setRcvAdvEdge(b.getRcvNxt() - 1)),
                new Breakage("receive_queue", b -> b.setReceiveQueue(ByteString.copyFrom(new byte[receiveBuffer]))),
                new Breakage("out_of_order", b -> b.addOutOfOrder(OutOfOrderSegment.newBuilder()
                        .setSeq(b.getRcvNxt()).setData(ByteString.copyFrom(new byte[10])))),
                new Breakage("out_of_order", b -> b.addOutOfOrder(OutOfOrderSegment.newBuilder()
                        .setSeq(b.getRcvAdvEdge()).setData(ByteString.copyFrom(new byte[10])))),
                new Breakage("fin_received", b -> b.setFinReceived(true)),
                new Breakage("fin_queued", b -> b.setFinQueued(true).setState(TcpState.TCP_STATE_ESTABLISHED)),
                new Breakage("application", b -> b.setApplication("files")),
                new Breakage("application_state", b -> b.setApplicationState(ByteString.copyFrom(new byte[limits.maxAppState() + 1]))),
                new Breakage("congestion.algorithm", b -> b.setCongestion(b.getCongestion().toBuilder().setAlgorithm("vegas"))),
                new Breakage("congestion.cwnd", b -> b.setCongestion(b.getCongestion().toBuilder().setCwnd(1))),
                new Breakage("congestion.ssthresh", b -> b.setCongestion(b.getCongestion().toBuilder().setSsthresh(100))),
                new Breakage("congestion.srtt_us", b -> b.setCongestion(b.getCongestion().toBuilder().setSrttUs(90_000_000))),
                new Breakage("send_queue", b -> (b.getSendQueue().isEmpty() ? b.setSendQueue(ByteString.copyFrom(new byte[10])) : b)
                        .setState(TcpState.TCP_STATE_FIN_WAIT_2).setFinQueued(true))); // FIN-WAIT-2 with data still to send
    }
}
