package dev.handoff.agent.ici;

import dev.handoff.agent.tcp.TcpState;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.SeqNum;
import dev.handoff.proto.v1.CongestionState;
import dev.handoff.proto.v1.Ici;
import dev.handoff.proto.v1.OutOfOrderSegment;

/** Every rule an ICI must satisfy before use, each failing with the field and the limit. */
final class IciValidator {
    private IciValidator() {
    }

    private static InvalidIciException bad(String field, String problem) {
        return new InvalidIciException(field, problem);
    }

    static void validate(Ici ici, IciLimits limits) throws InvalidIciException {
        if (ici.getFormatVersion() != IciCodec.FORMAT_VERSION) {
            throw bad("format_version", ici.getFormatVersion() + " is unknown here; this agent reads version "
                    + IciCodec.FORMAT_VERSION);
        }
        if (ici.getSendPrecopied() != 0) {
            throw bad("send_precopied", ici.getSendPrecopied() + " send bytes are left out of this ICI: the agent that"
                    + " received their pre-copy puts them back before it is used");
        }
        TcpState state;
        try {
            state = IciCodec.fromProto(ici.getState());
        } catch (IllegalArgumentException e) {
            throw bad("state", ici.getState() + " cannot be restored; only synchronized states before TIME-WAIT move");
        }
        checkPort("local_port", ici.getLocalPort());
        checkPort("remote_port", ici.getRemotePort());
        if (!limits.ownable().test(ici.getLocalIp())) {
            throw bad("local_ip", Ipv4Address.format(ici.getLocalIp()) + " is not an address this agent owns or may take");
        }
        int remote = ici.getRemoteIp();
        if (remote == 0 || remote == -1 || (remote >>> 28) == 0xe) {
            throw bad("remote_ip", Ipv4Address.format(remote) + " is not a unicast peer address");
        }
        checkWscale("snd_wscale", ici.getSndWscale(), ici.getWindowScaling());
        checkWscale("rcv_wscale", ici.getRcvWscale(), ici.getWindowScaling());
        checkMss("snd_mss", ici.getSndMss());
        checkMss("rcv_mss", ici.getRcvMss());
        if (ici.getRcvMss() > limits.config().mss()) {
            throw bad("rcv_mss", ici.getRcvMss() + " is more than this agent's link takes (" + limits.config().mss() + ")");
        }
        int sendQueue = ici.getSendQueue().size();
        if (sendQueue > limits.config().sendBufferSize()) {
            throw bad("send_queue", sendQueue + " bytes exceed this agent's send buffer of " + limits.config().sendBufferSize());
        }
        long inFlight = Integer.toUnsignedLong(ici.getSndNxt() - ici.getSndUna());
        long sendable = sendQueue + (ici.getFinQueued() ? 1 : 0);
        if (inFlight > sendable) {
            throw bad("snd_nxt", "snd_nxt - snd_una = " + inFlight + " but only " + sendable
                    + " bytes (send_queue plus a queued FIN) were ever sent from snd_una");
        }
        if (Integer.toUnsignedLong(ici.getSndWnd()) > IciCodec.MAX_WINDOW) {
            throw bad("snd_wnd", Integer.toUnsignedLong(ici.getSndWnd()) + " exceeds the largest window, 2^30");
        }
        if (Integer.toUnsignedLong(ici.getMaxSndWnd()) < Integer.toUnsignedLong(ici.getSndWnd())) {
            throw bad("max_snd_wnd", "is smaller than snd_wnd");
        }
        long window = Integer.toUnsignedLong(ici.getRcvAdvEdge() - ici.getRcvNxt());
        if (window > IciCodec.MAX_WINDOW) {
            throw bad("rcv_adv_edge", "lies " + window + " bytes beyond rcv_nxt, more than a window can be (2^30)");
        }
        long unread = ici.getReceiveQueue().size();
        long room = (long) limits.config().receiveBufferSize() + (1L << (ici.getWindowScaling() ? ici.getRcvWscale() : 0));
        if (unread + window > room) {
            throw bad("receive_queue", unread + " unread bytes plus a " + window + "-byte window exceed this agent's"
                    + " receive buffer of " + limits.config().receiveBufferSize());
        }
        checkOutOfOrder(ici, limits);
        checkFinFlags(ici, state, inFlight, sendable);
        if (!limits.applications().contains(ici.getApplication())) {
            throw bad("application", "'" + ici.getApplication() + "' is not served by this agent (it serves "
                    + limits.applications() + ")");
        }
        if (ici.getApplicationState().size() > limits.maxAppState()) {
            throw bad("application_state", ici.getApplicationState().size() + " bytes exceed the limit of "
                    + limits.maxAppState());
        }
        if (ici.hasCongestion()) {
            // The engine's SMSS: the smaller MSS less the timestamps option (RFC 9293 §3.7.1 Eff.snd.MSS).
            int smss = Math.min(ici.getSndMss(), ici.getRcvMss()) - (ici.getTimestamps() ? 12 : 0);
            checkCongestion(ici.getCongestion(), smss);
        }
    }

    private static void checkPort(String field, int port) throws InvalidIciException {
        if (port < 1 || port > 65_535) {
            throw bad(field, port + " is outside 1..65535");
        }
    }

    private static void checkWscale(String field, int shift, boolean scaling) throws InvalidIciException {
        if (shift < 0 || shift > 14) {
            throw bad(field, shift + " exceeds 14 (RFC 7323 §2.3)");
        }
        if (!scaling && shift != 0) {
            throw bad(field, shift + " but window_scaling was not negotiated");
        }
    }

    private static void checkMss(String field, int mss) throws InvalidIciException {
        if (mss < IciCodec.MIN_MSS || mss > IciCodec.MAX_MSS) {
            throw bad(field, mss + " is outside " + IciCodec.MIN_MSS + ".." + IciCodec.MAX_MSS);
        }
    }

    private static void checkOutOfOrder(Ici ici, IciLimits limits) throws InvalidIciException {
        if (ici.getOutOfOrderCount() > limits.config().maxOutOfOrderRanges()) {
            throw bad("out_of_order", ici.getOutOfOrderCount() + " segments exceed this agent's "
                    + limits.config().maxOutOfOrderRanges() + " reassembly slots");
        }
        int previousEnd = ici.getRcvNxt();
        for (int i = 0; i < ici.getOutOfOrderCount(); i++) {
            OutOfOrderSegment o = ici.getOutOfOrder(i);
            int len = o.getData().size();
            if (len == 0) {
                throw bad("out_of_order", "segment " + i + " is empty");
            }
            int start = o.getSeq();
            int end = start + len;
            // Strictly after the previous one (a gap between them), strictly after RCV.NXT,
            // and inside the window we advertised.
            if (!SeqNum.gt(start, previousEnd) || SeqNum.gt(end, ici.getRcvAdvEdge())) {
                throw bad("out_of_order", "segment " + i + " [" + Integer.toUnsignedString(start) + ", "
                        + Integer.toUnsignedString(end) + ") is not sorted, disjoint and inside (rcv_nxt, rcv_adv_edge]");
            }
            previousEnd = end;
        }
    }

    private static void checkFinFlags(Ici ici, TcpState state, long inFlight, long sendable) throws InvalidIciException {
        boolean peerClosed = state == TcpState.CLOSE_WAIT || state == TcpState.CLOSING || state == TcpState.LAST_ACK;
        if (ici.getFinReceived() != peerClosed) {
            throw bad("fin_received", ici.getFinReceived() + " contradicts state " + state);
        }
        boolean weClosed = state != TcpState.ESTABLISHED && state != TcpState.CLOSE_WAIT;
        if (ici.getFinQueued() != weClosed) {
            throw bad("fin_queued", ici.getFinQueued() + " contradicts state " + state);
        }
        if (state == TcpState.FIN_WAIT_2 && (ici.getSendQueue().size() != 0 || inFlight != 0)) {
            throw bad("send_queue", "FIN-WAIT-2 means everything including our FIN was acknowledged, but "
                    + (sendable - 1) + " bytes are queued");
        }
        if (ici.getFinReceived() && ici.getOutOfOrderCount() > 0) {
            throw bad("out_of_order", "no data can follow the peer's FIN");
        }
    }

    private static void checkCongestion(CongestionState c, int mss) throws InvalidIciException {
        if (!IciCodec.knownAlgorithm(c.getAlgorithm())) {
            throw bad("congestion.algorithm", "'" + c.getAlgorithm() + "' is not a controller of this agent (cubic, newreno, bbr)");
        }
        if (Integer.toUnsignedLong(c.getCwnd()) < mss || Integer.toUnsignedLong(c.getCwnd()) > IciCodec.MAX_WINDOW) {
            throw bad("congestion.cwnd", Integer.toUnsignedLong(c.getCwnd()) + " is outside one SMSS (" + mss + ") .. 2^30");
        }
        if (Integer.toUnsignedLong(c.getSsthresh()) < 2L * mss) {
            throw bad("congestion.ssthresh", Integer.toUnsignedLong(c.getSsthresh()) + " is below two SMSS (" + 2L * mss + ")");
        }
        if (Integer.toUnsignedLong(c.getSrttUs()) > 60_000_000L || Integer.toUnsignedLong(c.getRttvarUs()) > 60_000_000L) {
            throw bad("congestion.srtt_us", "RTT estimates above 60 s are not credible");
        }
    }
}
