package dev.handoff.agent.tcp;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Everything the engine knows about an established endpoint, as plain values: what
 * {@link TcpConnection#snapshot} reads and {@link TcpConnection#restore} rebuilds from.
 * The ICI (package {@code ici}) maps it to and from protobuf. Sequence numbers are raw.
 *
 * @param localIp          our address
 * @param localPort        our port
 * @param remoteIp         the peer's address
 * @param remotePort       the peer's port
 * @param state            a synchronized state
 * @param timestamps       RFC 7323 timestamps negotiated
 * @param sack             RFC 2018 SACK negotiated
 * @param windowScaling    RFC 7323 window scaling negotiated
 * @param sndShift         shift applied to the peer's window field
 * @param rcvShift         shift applied to our window field
 * @param sndMss           MSS the peer announced
 * @param rcvMss           MSS we announced
 * @param sndUna           oldest unacknowledged sequence number
 * @param sndNxt           highest sequence number sent plus one
 * @param sndWnd           peer's window, bytes, scaled
 * @param sndWl1           SND.WL1
 * @param sndWl2           SND.WL2
 * @param maxSndWnd        largest window the peer offered
 * @param sendQueue        bytes from SND.UNA on: in flight, then unsent; in pieces that nothing writes to
 *                         any more (a restored endpoint keeps them as they are, without a copy)
 * @param finQueued        a FIN follows the send queue
 * @param rcvNxt           next sequence number expected
 * @param rcvAdvEdge       right edge of the window last advertised
 * @param receiveQueue     received in order, not yet read
 * @param outOfOrder       segments held beyond RCV.NXT
 * @param finReceived      the peer's FIN was received
 * @param tsRecent         TS.Recent
 * @param tsOffset         TSval = now + tsOffset
 * @param lastAckSent      Last.ACK.sent
 * @param cwnd             congestion window, bytes
 * @param ssthresh         slow-start threshold, bytes
 * @param srttMs           smoothed RTT, ms (0 when unknown)
 * @param rttvarMs         RTT variation, ms
 * @param congestionControl name of the congestion controller
 */
public record EndpointState(
        int localIp, int localPort, int remoteIp, int remotePort, TcpState state,
        boolean timestamps, boolean sack, boolean windowScaling, int sndShift, int rcvShift, int sndMss, int rcvMss,
        int sndUna, int sndNxt, int sndWnd, int sndWl1, int sndWl2, int maxSndWnd, List<ByteBuffer> sendQueue, boolean finQueued,
        int rcvNxt, int rcvAdvEdge, byte[] receiveQueue, List<OutOfOrderSegment> outOfOrder, boolean finReceived,
        int tsRecent, long tsOffset, int lastAckSent,
        int cwnd, int ssthresh, double srttMs, double rttvarMs, String congestionControl) {

    /** Bytes held beyond RCV.NXT for reassembly. @param seq first byte @param data the bytes */
    public record OutOfOrderSegment(int seq, byte[] data) {
    }

    /** Bytes in {@link #sendQueue}. */
    public long sendQueueLength() {
        long n = 0;
        for (ByteBuffer b : sendQueue) {
            n += b.remaining();
        }
        return n;
    }

    /** TSval this endpoint would send at {@code now}. */
    public int tsVal(long now) {
        return (int) (now + tsOffset);
    }
}
