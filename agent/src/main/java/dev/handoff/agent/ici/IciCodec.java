package dev.handoff.agent.ici;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.handoff.agent.tcp.CongestionControl;
import dev.handoff.agent.tcp.EndpointState;
import dev.handoff.agent.tcp.TcpState;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.SeqNum;
import dev.handoff.proto.v1.CongestionState;
import dev.handoff.proto.v1.Ici;
import dev.handoff.proto.v1.OutOfOrderSegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Engine state to and from the ICI message. {@link #decode} validates every field first
 * (each rule its own {@link InvalidIciException}) and extrapolates the timestamp clock so
 * that TSval never runs backwards at the peer.
 */
public final class IciCodec {
    /** The ICI meaning this agent writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** Smallest and largest MSS accepted (RFC 9293 §3.7.1; 65495 = 65535 - 40). */
    static final int MIN_MSS = 64;
    static final int MAX_MSS = 65_495;
    /** Largest window a scaled 16-bit field can express (RFC 7323 §2.3). */
    static final long MAX_WINDOW = 1L << 30;

    private IciCodec() {
    }

    /**
     * A validated ICI, ready for {@code TcpStack.restore}.
     *
     * @param endpoint         the engine state
     * @param application      handler name
     * @param applicationState its snapshot
     * @param withCongestion   carry cwnd/srtt
     * @param streamOffset     position of SND.UNA in the send stream
     */
    public record Decoded(EndpointState endpoint, String application, byte[] applicationState, boolean withCongestion,
                          long streamOffset, long incarnation, long dumpedAtUnixMs) {
    }

    /**
     * The ICI of {@code s}, dumped at {@code hostNowMs} (the engine clock) and
     * {@code wallNowMs} (Unix time), with the application's state and the owner's epoch.
     */
    public static Ici encode(EndpointState s, long hostNowMs, long wallNowMs, String application, byte[] appState,
                             long leaseEpoch, boolean withCongestion) {
        return encode(s, hostNowMs, wallNowMs, application, appState, leaseEpoch, withCongestion, 0);
    }

    /** Like {@link #encode(EndpointState, long, long, String, byte[], long, boolean)}, with SND.UNA at {@code streamOffset} of the send stream. */
    public static Ici encode(EndpointState s, long hostNowMs, long wallNowMs, String application, byte[] appState,
                             long leaseEpoch, boolean withCongestion, long streamOffset) {
        Ici.Builder b = Ici.newBuilder()
                .setFormatVersion(FORMAT_VERSION)
                .setLocalIp(s.localIp()).setLocalPort(s.localPort())
                .setRemoteIp(s.remoteIp()).setRemotePort(s.remotePort())
                .setState(toProto(s.state()))
                .setTimestamps(s.timestamps()).setSackPermitted(s.sack()).setWindowScaling(s.windowScaling())
                .setSndWscale(s.sndShift()).setRcvWscale(s.rcvShift())
                .setSndMss(s.sndMss()).setRcvMss(s.rcvMss())
                .setSndUna(s.sndUna()).setSndNxt(s.sndNxt()).setSndWnd(s.sndWnd())
                .setSndWl1(s.sndWl1()).setSndWl2(s.sndWl2()).setMaxSndWnd(s.maxSndWnd())
                .setSendQueue(wrap(s.sendQueue())).setFinQueued(s.finQueued())
                .setRcvNxt(s.rcvNxt()).setRcvWnd(s.rcvAdvEdge() - s.rcvNxt()).setRcvAdvEdge(s.rcvAdvEdge())
                .setReceiveQueue(UnsafeByteOperations.unsafeWrap(s.receiveQueue())).setFinReceived(s.finReceived())
                .setTsGen(s.tsVal(hostNowMs)).setTsRecent(s.tsRecent()).setTsOffset(s.tsOffset())
                .setDumpedAtUnixMs(wallNowMs).setLastAckSent(s.lastAckSent())
                .setApplicationState(ByteString.copyFrom(appState)).setApplication(application)
                .setLeaseEpoch(leaseEpoch).setStreamOffset(streamOffset);
        for (EndpointState.OutOfOrderSegment o : s.outOfOrder()) {
            b.addOutOfOrder(OutOfOrderSegment.newBuilder().setSeq(o.seq()).setData(ByteString.copyFrom(o.data())));
        }
        if (withCongestion) {
            b.setCongestion(CongestionState.newBuilder().setCwnd(s.cwnd()).setSsthresh(s.ssthresh())
                    .setSrttUs((int) Math.round(s.srttMs() * 1000)).setRttvarUs((int) Math.round(s.rttvarMs() * 1000))
                    .setAlgorithm(s.congestionControl()));
        }
        return b.build();
    }

    /**
     * Validates {@code ici} against {@code limits} and turns it into engine state whose
     * timestamp clock continues at ts_gen plus the wall-clock time elapsed since the dump
     * (never less: a peer's PAWS drops segments whose TSval went back).
     */
    public static Decoded decode(Ici ici, IciLimits limits, long hostNowMs, long wallNowMs) throws InvalidIciException {
        return decode(ici, limits, hostNowMs, wallNowMs, 0);
    }

    /**
     * Like {@link #decode(Ici, IciLimits, long, long)}, adding {@code clockSkewMs} to the
     * elapsed time: the most the two hosts' wall clocks may disagree (a resurrection, paper
     * §6.1: the dead origin may have sent TSvals up to then, a higher value is always safe).
     */
    public static Decoded decode(Ici ici, IciLimits limits, long hostNowMs, long wallNowMs, long clockSkewMs)
            throws InvalidIciException {
        IciValidator.validate(ici, limits);
        long elapsed = Math.max(0, wallNowMs - ici.getDumpedAtUnixMs()) + clockSkewMs;
        long tsOffset = (Integer.toUnsignedLong(ici.getTsGen()) + elapsed) - hostNowMs;
        List<EndpointState.OutOfOrderSegment> ooo = new ArrayList<>();
        for (OutOfOrderSegment o : ici.getOutOfOrderList()) {
            ooo.add(new EndpointState.OutOfOrderSegment(o.getSeq(), o.getData().toByteArray()));
        }
        boolean cc = ici.hasCongestion();
        CongestionState c = ici.getCongestion();
        EndpointState s = new EndpointState(ici.getLocalIp(), ici.getLocalPort(), ici.getRemoteIp(), ici.getRemotePort(),
                fromProto(ici.getState()), ici.getTimestamps(), ici.getSackPermitted(), ici.getWindowScaling(),
                ici.getSndWscale(), ici.getRcvWscale(), ici.getSndMss(), ici.getRcvMss(),
                ici.getSndUna(), ici.getSndNxt(), ici.getSndWnd(), ici.getSndWl1(), ici.getSndWl2(), ici.getMaxSndWnd(),
                ici.getSendQueue().asReadOnlyByteBufferList(), ici.getFinQueued(), // its pieces, not a copy
                ici.getRcvNxt(), ici.getRcvAdvEdge(), ici.getReceiveQueue().toByteArray(), List.copyOf(ooo),
                ici.getFinReceived(), ici.getTsRecent(), tsOffset, ici.getLastAckSent(),
                cc ? c.getCwnd() : 0, cc ? c.getSsthresh() : 0, cc ? c.getSrttUs() / 1000.0 : 0,
                cc ? c.getRttvarUs() / 1000.0 : 0, cc ? c.getAlgorithm() : "");
        return new Decoded(s, ici.getApplication(), ici.getApplicationState().toByteArray(), cc, ici.getStreamOffset(),
                ici.getIncarnation(), ici.getDumpedAtUnixMs());
    }

    /** The pieces as one ByteString, without copying them (a snapshot's own bytes, which nothing writes to any more). */
    private static ByteString wrap(List<ByteBuffer> pieces) {
        ByteString out = ByteString.EMPTY;
        for (ByteBuffer b : pieces) {
            out = out.concat(UnsafeByteOperations.unsafeWrap(b.duplicate()));
        }
        return out;
    }

    static dev.handoff.proto.v1.TcpState toProto(TcpState s) {
        return switch (s) {
            case ESTABLISHED -> dev.handoff.proto.v1.TcpState.TCP_STATE_ESTABLISHED;
            case FIN_WAIT_1 -> dev.handoff.proto.v1.TcpState.TCP_STATE_FIN_WAIT_1;
            case FIN_WAIT_2 -> dev.handoff.proto.v1.TcpState.TCP_STATE_FIN_WAIT_2;
            case CLOSE_WAIT -> dev.handoff.proto.v1.TcpState.TCP_STATE_CLOSE_WAIT;
            case CLOSING -> dev.handoff.proto.v1.TcpState.TCP_STATE_CLOSING;
            case LAST_ACK -> dev.handoff.proto.v1.TcpState.TCP_STATE_LAST_ACK;
            default -> throw new IllegalArgumentException("state " + s + " has no ICI form: only synchronized states move");
        };
    }

    static TcpState fromProto(dev.handoff.proto.v1.TcpState s) {
        return switch (s) {
            case TCP_STATE_ESTABLISHED -> TcpState.ESTABLISHED;
            case TCP_STATE_FIN_WAIT_1 -> TcpState.FIN_WAIT_1;
            case TCP_STATE_FIN_WAIT_2 -> TcpState.FIN_WAIT_2;
            case TCP_STATE_CLOSE_WAIT -> TcpState.CLOSE_WAIT;
            case TCP_STATE_CLOSING -> TcpState.CLOSING;
            case TCP_STATE_LAST_ACK -> TcpState.LAST_ACK;
            default -> throw new IllegalArgumentException("unsupported ICI state " + s);
        };
    }

    /** Names of the controllers {@code CongestionControl.create} knows. */
    static boolean knownAlgorithm(String name) {
        try {
            CongestionControl.create(name, 1);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The connection an ICI describes, for logs and errors: local:port-remote:port una=... rcv_nxt=... */
    public static String describe(Ici ici) {
        return Ipv4Address.format(ici.getLocalIp()) + ":" + ici.getLocalPort() + "-"
                + Ipv4Address.format(ici.getRemoteIp()) + ":" + ici.getRemotePort()
                + " una=" + new SeqNum(ici.getSndUna()) + " rcv_nxt=" + new SeqNum(ici.getRcvNxt());
    }
}
