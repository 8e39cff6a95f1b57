package dev.handoff.agent.tcp;

import static dev.handoff.agent.wire.TcpSegment.ACK;
import static dev.handoff.agent.wire.TcpSegment.FIN;
import static dev.handoff.agent.wire.TcpSegment.PSH;
import static dev.handoff.agent.wire.TcpSegment.RST;
import static dev.handoff.agent.wire.TcpSegment.SYN;

import dev.handoff.agent.wire.SeqNum;
import dev.handoff.agent.wire.TcpHeaderWriter;
import dev.handoff.agent.wire.TcpSegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One TCP endpoint: the RFC 9293 state machine with the extensions a Linux peer expects
 * (window scaling, timestamps and PAWS, SACK, RFC 6298 RTO, NewReno recovery with CUBIC,
 * delayed ACK, zero-window probing, RFC 5961 defences).
 *
 * <p>Sans-IO: {@link #onSegment} takes a parsed segment, {@link #poll} writes at most one
 * segment into a caller's buffer, {@link #pollAt} says when to poll again. The
 * application side is {@link #send}, {@link #receive}, {@link #close}, {@link #abort}.
 * Call {@code poll} until it returns 0 after every input, application call or deadline.
 */
public final class TcpConnection {
    /** A deadline that never comes. */
    public static final long NEVER = Long.MAX_VALUE;
    /** {@link #lastDataAt} of a connection that has received no data since it was created or restored. */
    public static final long NO_DATA_YET = Long.MIN_VALUE;
    /** RFC 9293 §3.7.1: MSS assumed when the peer sends no MSS option (IPv4). */
    static final int DEFAULT_PEER_MSS = 536;
    /** RFC 7323 §2.3: largest window shift. */
    static final int MAX_WSCALE = 14;
    /** RFC 7323 §5.5: TS.Recent older than 24 days is not used for PAWS. */
    static final long PAWS_IDLE_MS = 24L * 24 * 3600 * 1000;
    /** How long a restored endpoint ACKs every segment at once, ms. */
    static final long QUICK_ACK_AFTER_RESTORE_MS = 200;
    /** Length of the timestamps option as sent, with its two NOPs. */
    private static final int TS_OPTION_LENGTH = 12;

    // --- identity and wiring ---
    /** Our address. */
    private final int localIp;
    /** Our port. */
    private final int localPort;
    /** The peer's address. */
    private final int remoteIp;
    /** The peer's port. */
    private final int remotePort;
    /** Settings. */
    private final TcpConfig config;
    /** The stack's counters. */
    private final TcpCounters counters;
    /** The stack's queue of resets to send. */
    private final ResetQueue resets;
    /** Builder of outgoing headers, reused. */
    private final TcpHeaderWriter hdr = new TcpHeaderWriter();
    /** Current state. */
    private TcpState state;
    /** Why the connection closed (null while open). */
    private String closeReason;
    /** The listener that created this connection and has not handed it out yet, or null. */
    TcpStack.Listener listener;
    /** Index in the stack's connection table, or -1 when not in one. */
    int tableIndex = -1;
    /** In the stack's list of connections touched since the last {@link TcpStack#drainTouched}. */
    boolean touched;
    /** The stack that holds it (for rescheduling after an application call), or null. */
    TcpStack stack;
    /** Waiting in its stack's list of connections whose deadline must be recomputed. */
    boolean deadlineStale;
    /** Slot in the stack's {@link TimerHeap}, or -1. */
    int timerIndex = -1;
    /** The deadline it has in the heap. */
    long timerAt = NEVER;
    /** The stack's timer round in which it was last polled. */
    long polledRound = -1;

    // --- send sequence space (RFC 9293 §3.3.1) ---
    /** ISS: our initial sequence number. */
    private int iss;
    /** SND.UNA: oldest unacknowledged sequence number. */
    private int sndUna;
    /** SND.NXT: next sequence number to send (moves back to SND.UNA on a timeout). */
    private int sndNxt;
    /** Highest sequence number sent plus one ("SND.MAX"). */
    private int sndMax;
    /** SND.WND: the peer's window, bytes, scaled. */
    private int sndWnd;
    /** SND.WL1: segment sequence number of the last window update. */
    private int sndWl1;
    /** SND.WL2: segment acknowledgment number of the last window update. */
    private int sndWl2;
    /** Largest window the peer ever offered (RFC 5961 §5.2 MAX.SND.WND). */
    private int maxSndWnd;
    /** Sequence number of the first byte in {@link #sendBuffer}. */
    private int bufSeq;
    /** Bytes written by the application and not yet acknowledged. */
    private final SendBuffer sendBuffer;
    /** The application closed: a FIN follows the last byte of the send buffer. */
    private boolean finQueued;

    // --- receive sequence space ---
    /** IRS: the peer's initial sequence number. */
    private int irs;
    /** RCV.NXT: next sequence number expected. */
    private int rcvNxt;
    /** Right edge of the window last advertised: never moves left (RFC 9293 §3.8.6.2.2). */
    private int rcvAdvEdge;
    /** Received bytes: unread in order, then the reassembly window. */
    private final ReceiveBuffer recvBuffer;
    /** The peer's FIN was received and acknowledged in sequence. */
    private boolean finReceived;
    /** A FIN arrived beyond a hole: its sequence number is {@link #finPendingSeq}. */
    private boolean finPending;
    /** Sequence number of a FIN waiting for the hole before it to fill. */
    private int finPendingSeq;

    // --- options ---
    /** Timestamps negotiated (RFC 7323 §3). */
    private boolean tsOn;
    /** SACK negotiated (RFC 2018). */
    private boolean sackOn;
    /** Window scaling negotiated (RFC 7323 §2). */
    private boolean wsOn;
    /** Shift applied to the peer's window field. */
    private int sndShift;
    /** Shift applied to our window field; chosen from the buffer size. */
    private final int rcvShift;
    /** MSS the peer announced (or 536). */
    private int peerMss;
    /** TS.Recent: the TSval to echo (RFC 7323 §4.3). */
    private int tsRecent;
    /** When TS.Recent was last set, for the 24-day rule (RFC 7323 §5.5). */
    private long tsRecentAt;
    /** Last.ACK.sent: RCV.NXT of the last segment we sent (RFC 7323 §4.3). */
    private int lastAckSent;
    /** TSval = now + tsOffset: per connection, settable so a moved endpoint continues its clock. */
    private long tsOffset;

    // --- timers and ACK policy ---
    /** Retransmission timer deadline. */
    private long rtoAt = NEVER;
    /** Consecutive timeouts: the RTO backoff exponent (RFC 6298 §5.5). */
    private int backoff;
    /** Persist timer deadline (zero-window probing, RFC 9293 §3.8.6.1). */
    private long persistAt = NEVER;
    /** Persist timer backoff exponent. */
    private int persistBackoff;
    /** The persist timer fired: probe the window or force out a small segment. */
    private boolean persistDue;
    /** Delayed-ACK deadline. */
    private long ackAt = NEVER;
    /** TIME-WAIT deadline. */
    private long timeWaitAt = NEVER;
    /** An ACK must go out at the next poll. */
    private boolean ackNow;
    /** Largest payload received, at most one MSS: the "full-sized segment" of the delayed-ACK rule (RFC 5681 §4.2). */
    private int largestSegment;
    /** When (ms) a segment last brought new data, or {@code NO_DATA_YET}: a move waits for a pause in the peer's sending. */
    private long lastDataAt = NO_DATA_YET;
    /** Start of the current one-second challenge-ACK window (RFC 5961 §7). */
    private long challengeWindowStart;
    /** Challenge ACKs sent in the current window. */
    private int challengeCount;

    // --- RTT and congestion ---
    /** RTT estimator and RTO. */
    private final RttEstimator rtt;
    /** A segment is being timed for RTT (used without timestamps; Karn's rule). */
    private boolean timing;
    /** Sequence number whose acknowledgment ends the timing. */
    private int timedSeq;
    /** When the timed segment was sent. */
    private long timedAt;
    /** Congestion controller. */
    private final CongestionControl cc;
    /** Consecutive duplicate ACKs (RFC 5681 §2). */
    private int dupAcks;
    /** In fast recovery (RFC 6582). */
    private boolean inRecovery;
    /** RFC 6582 "recover": highest sequence number sent when recovery began. */
    private int recover;
    /** Retransmit the first unacknowledged segment at the next poll. */
    private boolean retransmitHead;
    /** SACK scoreboard: what the peer reported holding above SND.UNA (RFC 6675 §3). */
    private final SeqRanges scoreboard = new SeqRanges(32);
    /** RFC 6675 HighRxt: highest sequence number retransmitted in this recovery. */
    private int highRxt;
    /** Smallest probe timeout, ms, as Linux's (RFC 8985 §7.2 leaves the floor open): on a LAN 2 SRTT is far below the peer's ACK timing. */
    private static final long MIN_PTO_MS = 10;
    /** RFC 8985 §7.2 WCDelAckT: the longest a peer may delay the ACK of a single segment, ms. */
    private static final long WORST_CASE_DELAYED_ACK_MS = 200;
    /** DupThresh of RFC 5681 §3.2 and RFC 6675 §2. */
    private static final int DUP_THRESH = 3;
    /** The recovery may still prove spurious: its first retransmission is not known to have been needed. */
    private boolean undoArmed;
    /** RFC 3522 §2: an ACK echoing a TSval below this one was sent for an original, not our retransmission. */
    private int undoTsVal;
    /** How long a hole may wait for reordered data before it counts as lost (RFC 8985 §6.2 reo_wnd). */
    private final ReorderWindow reorder = new ReorderWindow();
    /** RFC 8985 §6.3 reordering timer: when a hole the SACKs show becomes lost, if still unfilled. */
    private long lossSuspectAt = NEVER;
    /** RFC 8985 §7 PTO: when to send a tail-loss probe if no ACK came before. */
    private long tlpAt = NEVER;
    /** A tail-loss probe is out and not yet acknowledged (RFC 8985 §7.2: one at a time). */
    private boolean tlpOut;
    /** Sequence number after the probe's data. */
    private int tlpEnd;
    /** The probe resent old data (rather than new): its ACK may show it repaired a loss. */
    private boolean tlpRetransmitted;
    /** TSval of the probe: an ACK echoing it (or later) was for the probe, not the original. */
    private int tlpTsVal;
    /** This recovery's retransmissions, to find those lost in their turn. */
    private final RetransmitLog retransmitLog = new RetransmitLog();
    /** Holes whose retransmission was lost: resent before any other hole. */
    private final SeqRanges relost = new SeqRanges(32);
    /** End of the hole {@link #nextHole()} found. */
    private int holeEnd;
    /** {@link #nextHole()} found none. */
    private static final long NO_HOLE = -1;

    // --- checkpoints (issue 5) and resurrection (paper §6.1) ---
    /** ACKs go no further than {@link #ackLimit}: received bytes count only once a checkpoint holds them. */
    private boolean ackLimited;
    /** The highest ACK we may send: copied_seq of the last durable checkpoint (issue 5 "Inbound"). */
    private int ackLimit;
    /** New data (and our FIN) may go out only below {@link #sendGate}. */
    private boolean sendGated;
    /** First sequence number not yet allowed out: what the last durable checkpoint covers (strict), or its bound. */
    private int sendGate;
    /** Bytes of the application's next writes the peer already acknowledged (after a resurrection). */
    private long skipWrites;
    /** Resurrected: the first ACK beyond SND.MAX is believed once, it shows how far the peer got (paper §6.1). */
    private boolean trustNextAck;
    /** Send a probe (an old sequence number, no data) at the next poll: the peer answers with where it is. */
    private boolean probeNow;
    /** Resurrected, nothing sent yet: the next TSval sent is the first of this incarnation. */
    private boolean rttFloorPending;
    /** A TSecr below {@link #rttTsFloor} echoes a segment of the dead incarnation: no RTT sample from it. */
    private boolean rttFloorSet;
    /** The first TSval this endpoint sent after its resurrection. */
    private int rttTsFloor;

    // --- restore and output offloads, set per poll by the caller ---
    /** Until when (ms) every in-order segment is ACKed at once, without delayed ACK (after a restore). */
    private long quickAckUntil;
    /** Largest payload of one emitted segment (TSO/GSO); 0 means one MSS. */
    private int maxPayload;
    /** Write only the pseudo-header sum into the checksum field: the link completes it. */
    private boolean partialChecksum;
    /** Payload bytes per segment the link must split the last emitted segment into, or 0. */
    private int lastGsoSize;

    private TcpConnection(TcpConfig config, TcpCounters counters, ResetQueue resets,
                          int localIp, int localPort, int remoteIp, int remotePort, int rcvShift) {
        this.config = config;
        this.counters = counters;
        this.resets = resets;
        this.localIp = localIp;
        this.localPort = localPort;
        this.remoteIp = remoteIp;
        this.remotePort = remotePort;
        this.rcvShift = rcvShift;
        this.sendBuffer = new SendBuffer(config.sendBufferSize());
        // Slack of one window unit: rounding the window up never lets the edge retract.
        this.recvBuffer = new ReceiveBuffer(config.receiveBufferSize() + (1 << rcvShift), config.maxOutOfOrderRanges());
        this.rtt = new RttEstimator(config.initialRtoMs(), config.minRtoMs(), config.maxRtoMs());
        this.cc = CongestionControl.create(config.congestionControl(),
                config.initialWindowSegments() * config.mss());
        this.peerMss = DEFAULT_PEER_MSS;
    }

    /** The window shift we offer: from the receive buffer size, 0 when scaling is off. */
    private static int ourShift(TcpConfig config) {
        return config.windowScaling() ? shiftFor(config.receiveBufferSize()) : 0;
    }

    /** RFC 7323 §2.3: the smallest shift that lets the window field express the whole buffer. */
    static int shiftFor(int bufferSize) {
        int shift = 0;
        while (shift < MAX_WSCALE && (bufferSize >> shift) > 0xffff) {
            shift++;
        }
        return shift;
    }

    /** Active open: a connection in SYN-SENT whose SYN goes out at the next poll. */
    static TcpConnection connect(TcpConfig config, TcpCounters counters, ResetQueue resets,
                                 int localIp, int localPort, int remoteIp, int remotePort, int iss, long tsOffset) {
        TcpConnection c = new TcpConnection(config, counters, resets, localIp, localPort, remoteIp, remotePort,
                ourShift(config));
        c.state = TcpState.SYN_SENT;
        c.initSend(iss);
        c.tsOffset = tsOffset;
        return c;
    }

    /** Passive open: a connection in SYN-RECEIVED made from the peer's SYN; the SYN-ACK goes out at the next poll. */
    static TcpConnection accept(TcpConfig config, TcpCounters counters, ResetQueue resets, long now, TcpSegment syn,
                                int iss, long tsOffset) {
        TcpConnection c = new TcpConnection(config, counters, resets, syn.destinationIp(), syn.destinationPort(),
                syn.sourceIp(), syn.sourcePort(), ourShift(config));
        c.state = TcpState.SYN_RECEIVED;
        c.initSend(iss);
        c.tsOffset = tsOffset;
        c.takeSyn(now, syn);
        c.sndWnd = syn.window(); // RFC 7323 §2.2: the window of a SYN is never scaled
        c.maxSndWnd = c.sndWnd;
        c.sndWl1 = syn.seq();
        c.sndWl2 = iss;
        return c;
    }

    private void initSend(int isn) {
        iss = isn;
        sndUna = isn;
        sndNxt = isn;
        sndMax = isn;
        bufSeq = isn + 1; // the SYN occupies ISS
        recover = isn;
    }

    /** Records what the peer's SYN says: its ISN and the options both sides will use. */
    private void takeSyn(long now, TcpSegment syn) {
        irs = syn.seq();
        rcvNxt = irs + 1;
        rcvAdvEdge = rcvNxt;
        lastAckSent = rcvNxt;
        // RFC 9293 §3.7.1: an MSS option caps our segments; without one assume 536.
        peerMss = syn.mss() >= 0 ? Math.max(syn.mss(), 64) : DEFAULT_PEER_MSS;
        // RFC 7323 §2.2: scaling is on only if both SYNs carry the option; §2.3: cap at 14.
        wsOn = config.windowScaling() && syn.windowScale() >= 0;
        sndShift = wsOn ? Math.min(syn.windowScale(), MAX_WSCALE) : 0;
        // RFC 2018 §2: SACK only if both sides sent SACK-permitted.
        sackOn = config.sack() && syn.sackPermitted();
        // RFC 7323 §3.2: timestamps only if both SYNs carry them.
        tsOn = config.timestamps() && syn.hasTimestamps();
        if (tsOn) {
            tsRecent = syn.tsVal();
            tsRecentAt = now;
        }
    }

    // ------------------------------------------------------------------ inbound

    /** Processes one segment addressed to this connection (RFC 9293 §3.10.7). */
    public void onSegment(long now, TcpSegment seg) {
        switch (state) {
            case CLOSED, LISTEN -> {
                return;
            }
            case SYN_SENT -> {
                onSegmentInSynSent(now, seg);
                return;
            }
            default -> {
            }
        }
        int flags = seg.flags();
        boolean rst = (flags & RST) != 0;
        boolean syn = (flags & SYN) != 0;
        int seq = seg.seq();

        if (tsOn && !rst) {
            if (!seg.hasTimestamps()) {
                // RFC 7323 §3.2: once negotiated, a non-RST segment without TSopt is dropped.
                counters.missingTimestamp++;
                return;
            }
            // RFC 7323 §5.3 R1: PAWS. An old TSval means an old duplicate: ACK and drop.
            if (SeqNum.lt(seg.tsVal(), tsRecent) && now - tsRecentAt < PAWS_IDLE_MS && !disorderedAck(seg)) {
                counters.pawsDrops++;
                ackNow = true;
                return;
            }
        }
        if (state == TcpState.SYN_RECEIVED && syn && (flags & ACK) == 0 && seq == irs) {
            sndNxt = iss; // the peer retransmitted its SYN: our SYN-ACK was lost, send it again
            return;
        }
        if (syn && state.isSynchronized()) {
            // RFC 5961 §4.2: a SYN in a synchronized state, whatever its sequence number: challenge ACK.
            if (!rst) {
                challengeAck(now);
            }
            return;
        }

        // RFC 9293 §3.10.7.4 first: is the segment acceptable?
        int segLen = seg.segmentLength();
        int wnd = receiveWindow();
        boolean dataRefused = false;
        if (!acceptable(seq, segLen, wnd)) {
            if (wnd == 0 && seq == rcvNxt) {
                dataRefused = true; // zero window: still process ACK, RST, URG (RFC 9293 §3.10.7.4)
            } else {
                counters.outOfWindow++;
                if (!rst) {
                    ackNow = true;
                    if (state == TcpState.TIME_WAIT && (flags & FIN) != 0) {
                        timeWaitAt = now + config.timeWaitMs(); // RFC 9293 §3.10.7.4: restart 2 MSL
                    }
                }
                return;
            }
        }

        // Second: RST (RFC 5961 §3.2): exactly RCV.NXT resets; elsewhere in the window, challenge.
        if (rst) {
            if (seq == rcvNxt) {
                counters.resetsReceived++;
                closeWith(state == TcpState.SYN_RECEIVED ? "connection refused by peer" : "connection reset by peer");
            } else {
                counters.resetsIgnored++;
                challengeAck(now);
            }
            return;
        }

        // Fifth: ACK.
        if ((flags & ACK) == 0) {
            counters.noAckDrops++;
            return;
        }
        int ack = seg.ack();
        if (state == TcpState.SYN_RECEIVED) {
            if (SeqNum.gt(ack, sndUna) && SeqNum.le(ack, sndMax)) {
                becomeEstablished();
                sndWnd = seg.window() << sndShift;
                maxSndWnd = Math.max(maxSndWnd, sndWnd);
                sndWl1 = seq;
                sndWl2 = ack;
            } else {
                // RFC 9293 §3.10.7.4: an unacceptable ACK in SYN-RECEIVED gets <SEQ=SEG.ACK><CTL=RST>.
                resets.add(localIp, remoteIp, localPort, remotePort, ack, 0, RST);
                return;
            }
        }
        if (trustNextAck) {
            trustNextAck = false;
            if (SeqNum.gt(ack, sndMax) && SeqNum.lt(ack, sndUna + Integer.MAX_VALUE)) {
                catchUp(ack);
            }
        }
        if (SeqNum.gt(ack, sndMax)) {
            // RFC 9293 §3.10.7.4 / RFC 5961 §5.2: acknowledges something not yet sent: ACK and drop.
            counters.ackTooNew++;
            ackNow = true;
            return;
        }
        if (SeqNum.lt(ack, sndUna - maxSndWnd)) {
            // RFC 5961 §5.2: older than any window the peer could have seen: challenge and drop.
            challengeAck(now);
            return;
        }
        onAck(now, seg, ack);
        if (state == TcpState.CLOSED) {
            return;
        }

        // RFC 7323 §4.3 (2): remember the TSval of the segment that covers Last.ACK.sent.
        if (tsOn && SeqNum.le(seq, lastAckSent) && SeqNum.ge(seg.tsVal(), tsRecent)) {
            tsRecent = seg.tsVal();
            tsRecentAt = now;
        }

        // Seventh: segment text.
        int payload = seg.payloadLength();
        if (dataRefused) {
            ackNow = true; // RFC 9293 §3.8.6.1: answer data sent into a zero window with our window
            return;
        }
        if (payload > 0 && state.canReceiveData()) {
            receiveText(now, seg, seq, payload);
        }

        // Eighth: FIN (a FIN past a hole waits until the hole fills).
        if ((flags & FIN) != 0) {
            int finSeq = seq + payload;
            if (finSeq == rcvNxt) {
                receiveFin(now);
            } else if (SeqNum.gt(finSeq, rcvNxt) && SeqNum.lt(finSeq, rcvAdvEdge)) {
                finPending = true;
                finPendingSeq = finSeq;
            }
        }
        if (finPending && rcvNxt == finPendingSeq && !finReceived) {
            receiveFin(now);
        }
    }

    /** RFC 9293 §3.10.7.4: the four cases of the acceptability test. */
    private boolean acceptable(int seq, int segLen, int wnd) {
        if (segLen == 0) {
            return wnd == 0 ? seq == rcvNxt : SeqNum.inRange(seq, rcvNxt, rcvNxt + wnd);
        }
        if (wnd == 0) {
            return false;
        }
        return SeqNum.inRange(seq, rcvNxt, rcvNxt + wnd)
                || SeqNum.inRange(seq + segLen - 1, rcvNxt, rcvNxt + wnd);
    }

    /** RCV.WND: what is left of the window we advertised. */
    private int receiveWindow() {
        return Math.max(0, rcvAdvEdge - rcvNxt);
    }

    private void onSegmentInSynSent(long now, TcpSegment seg) {
        int flags = seg.flags();
        boolean hasAck = (flags & ACK) != 0;
        int ack = seg.ack();
        if (hasAck && (SeqNum.le(ack, iss) || SeqNum.gt(ack, sndMax))) {
            // RFC 9293 §3.10.7.3: an ACK for something we never sent: <SEQ=SEG.ACK><CTL=RST>, unless RST.
            if ((flags & RST) == 0) {
                resets.add(localIp, remoteIp, localPort, remotePort, ack, 0, RST);
            }
            return;
        }
        if ((flags & RST) != 0) {
            // RFC 5961 §3.2 / RFC 9293: in SYN-SENT a RST is valid only if it acknowledges our SYN.
            if (hasAck) {
                counters.resetsReceived++;
                closeWith("connection refused by peer");
            } else {
                counters.resetsIgnored++;
            }
            return;
        }
        if ((flags & SYN) == 0) {
            return;
        }
        takeSyn(now, seg);
        if (hasAck) {
            sndWnd = seg.window(); // RFC 7323 §2.2: never scaled in a SYN
            maxSndWnd = sndWnd;
            sndWl1 = seg.seq();
            sndWl2 = ack;
            synAcknowledged(now, seg, ack);
            becomeEstablished();
            ackNow = true;
        } else {
            // Simultaneous open (RFC 9293 Figure 7): answer with SYN-ACK, same ISS.
            state = TcpState.SYN_RECEIVED;
            sndWnd = seg.window();
            maxSndWnd = sndWnd;
            sndWl1 = seg.seq();
            sndWl2 = iss;
            sndNxt = iss;
        }
    }

    private void synAcknowledged(long now, TcpSegment seg, int ack) {
        sndUna = ack;
        if (tsOn && seg.hasTimestamps() && echoesUs(seg.tsEcr())) {
            sampleRtt(now, tsVal(now) - seg.tsEcr());
        } else if (timing && backoff == 0) {
            sampleRtt(now, now - timedAt);
        }
        timing = false;
        backoff = 0;
        rtoAt = NEVER;
    }

    /** An RTT sample, ms: for the RTO (RFC 6298 §2) and for a controller that models the path. */
    private void sampleRtt(long now, long r) {
        rtt.sample(r);
        cc.onRttSample(now, r);
    }

    private void becomeEstablished() {
        state = finQueued ? TcpState.FIN_WAIT_1 : TcpState.ESTABLISHED;
        counters.established++;
        if (stack != null && stack.holdsForCheckpoints()) {
            hold(rcvNxt, sndUna); // the handshake's ACK is out; data waits for the first checkpoint
        }
    }

    /**
     * Whether a TSecr echoes a segment this endpoint sent (RFC 7323 §4.1 samples only those):
     * after a resurrection the peer's first ACKs may echo the dead incarnation's last TSval,
     * which would measure the outage, not the path, and inflate the RTO for long after.
     */
    private boolean echoesUs(int tsEcr) {
        return tsEcr != 0 && (!rttFloorSet || SeqNum.ge(tsEcr, rttTsFloor));
    }

    /** Fifth step for an acceptable ACK field: advance SND.UNA, RTT, congestion, window, FIN states. */
    private void onAck(long now, TcpSegment seg, int ack) {
        int window = seg.window() << sndShift;
        int flight = sndMax - sndUna;
        boolean newSack = false;
        int sackedBefore = scoreboard.bytes();
        if (sackOn) {
            updateScoreboard(seg, ack);
            newSack = scoreboard.bytes() > sackedBefore;
        }
        // Newly delivered: acknowledged beyond SND.UNA plus newly SACKed (SACKed bytes the ACK
        // now covers leave the scoreboard as they join the acknowledged, and count once).
        int delivered = (SeqNum.gt(ack, sndUna) ? ack - sndUna : 0) + scoreboard.bytes() - sackedBefore;
        if (delivered > 0) {
            cc.onDelivered(now, delivered, sendMss());
        }
        if (inRecovery && sackOn) {
            counters.lostRetransmits += retransmitLog.detect(now, (long) Math.ceil(rtt.srtt()), SeqNum.max(ack, sndUna),
                    scoreboard, (DUP_THRESH - 1) * sendMss(), relost);
        }
        if (SeqNum.gt(ack, sndUna)) {
            int acked = ack - sndUna;
            int dataAcked = acked;
            if (SeqNum.lt(sndUna, bufSeq)) {
                dataAcked--; // our SYN
            }
            dataAcked = Math.min(dataAcked, sendBuffer.length());
            sendBuffer.discard(dataAcked);
            bufSeq += dataAcked;
            sndUna = ack;
            if (SeqNum.lt(sndNxt, sndUna)) {
                sndNxt = sndUna; // after a timeout the peer may acknowledge what we are resending
            }
            // RTT: RFC 7323 §4.1 from TSecr when timestamps are on; else the timed segment,
            // never from a retransmission (Karn's rule, RFC 6298 §3).
            if (tsOn && echoesUs(seg.tsEcr())) {
                sampleRtt(now, tsVal(now) - seg.tsEcr());
            } else if (timing && SeqNum.gt(ack, timedSeq)) {
                sampleRtt(now, now - timedAt);
                timing = false;
            }
            backoff = 0;
            // RFC 6298 §5.2-5.3: stop the timer when all is acknowledged, else restart it.
            rtoAt = sndUna == sndMax ? NEVER : now + rtt.rto(0);
            lossSuspectAt = NEVER;
            int mss = sendMss();
            if (tlpOut && SeqNum.ge(ack, tlpEnd)) {
                onLossProbeAcked(now, seg);
            }
            if (inRecovery && undoArmed) {
                undoArmed = false;
                if (tsOn && seg.tsEcr() != 0 && SeqNum.lt(seg.tsEcr(), undoTsVal)) {
                    // RFC 3522 §3: the first ACK for the retransmitted data echoes the original's
                    // timestamp: the original arrived (reordered, not lost). RFC 4015 §3.2: undo
                    // the reduction and leave recovery; a real loss beyond it starts a new one.
                    counters.spuriousRecoveries++;
                    reorder.spurious();
                    cc.undo();
                    inRecovery = false;
                    forgetRetransmissions();
                    recover = sndUna - 1; // a loss at SND.UNA may start a recovery (RFC 6582 §3.2 step 1)
                }
            }
            if (inRecovery) {
                if (SeqNum.ge(ack, recover)) {
                    inRecovery = false;
                    forgetRetransmissions();
                    reorder.realLoss();
                    // With SACK, recovery ends at cwnd = ssthresh (RFC 6675 §5, as RFC 6937 §3.1
                    // PRR ends); without, RFC 6582 §3.2 step 3, full ACK: deflate to
                    // min(ssthresh, FlightSize + SMSS). Deflating with SACK left a window of two
                    // segments when the pipe had drained, and one loss there waited for the RTO.
                    cc.setCwnd(sackOn ? cc.ssthresh() : Math.min(cc.ssthresh(), Math.max(sndMax - sndUna, mss) + mss));
                } else if (!sackOn) {
                    // RFC 6582 §3.2 step 3, partial ACK: retransmit the next hole, deflate by the
                    // amount acknowledged, add back one SMSS if that was at least one SMSS.
                    retransmitHead = true;
                    int c = cc.cwnd() - acked + (acked >= mss ? mss : 0);
                    cc.setCwnd(Math.max(c, mss));
                }
                // With SACK, poll() retransmits the holes the scoreboard shows (RFC 6675 §5).
            } else {
                cc.onAck(now, acked, mss, rtt.srtt());
            }
            dupAcks = 0;
            if (finQueued && ack == bufSeq + sendBuffer.length() + 1) {
                onFinAcknowledged(now);
            }
        } else if (ack == sndUna && flight > 0 && (sackOn ? newSack : seg.payloadLength() == 0
                && (seg.flags() & (SYN | FIN)) == 0 && window == sndWnd)) {
            // RFC 5681 §2: a duplicate ACK; with SACK, RFC 6675 §2: an ACK that SACKs new data.
            dupAcks++;
            int mss = sendMss();
            // RFC 6675 §5: enter recovery on the DupThresh-th duplicate, or once IsLost(SND.UNA):
            // more than (DupThresh - 1) * SMSS bytes above it SACKed (RFC 6675 §4).
            boolean lost = dupAcks >= DUP_THRESH || (sackOn && enoughSacked(scoreboard.bytes()));
            if (lost && !inRecovery && SeqNum.gt(ack, recover)) {
                long wait = reorder.millis(rtt.srtt());
                if (wait == 0 || (lossSuspectAt != NEVER && now >= lossSuspectAt)) {
                    enterRecovery(now);
                } else if (lossSuspectAt == NEVER) {
                    // RFC 8985 §6.2-6.3: this path reorders; give the hole reo_wnd to fill.
                    lossSuspectAt = now + wait;
                }
            } else if (dupAcks > DUP_THRESH && inRecovery && !sackOn) {
                cc.setCwnd(cc.cwnd() + mss); // RFC 5681 §3.2 step 4: inflate per duplicate
            }
        }
        // RFC 9293 §3.10.7.4: update the send window from the newest segment (SND.WL1/WL2).
        if (SeqNum.ge(ack, sndUna) && (SeqNum.lt(sndWl1, seg.seq())
                || (sndWl1 == seg.seq() && SeqNum.le(sndWl2, ack)))) {
            if (window == 0 && sndWnd > 0) {
                counters.zeroWindows++;
            }
            sndWnd = window;
            sndWl1 = seg.seq();
            sndWl2 = ack;
            maxSndWnd = Math.max(maxSndWnd, sndWnd);
            if (sndWnd > 0) {
                persistAt = NEVER;
                persistBackoff = 0;
            }
        }
        if (persistAt == NEVER && sndMax == sndUna && SeqNum.lt(sndNxt, sendEnd()) && sendableLength() == 0) {
            // RFC 9293 §3.8.6.2.1: data waits, nothing in flight can bring another ACK, and sender
            // SWS avoidance holds back what the small window allows: the override timeout (the
            // persist timer) sends it. Without it the connection waited forever.
            persistAt = now + rtt.rto(persistBackoff);
        }
        armLossProbe(now);
    }

    /** RFC 6582 §3.2 step 2 / RFC 5681 §3.2 / RFC 6675 §5: fast retransmit, enter recovery. */
    private void enterRecovery(long now) {
        int mss = sendMss();
        counters.fastRetransmits++;
        cc.onCongestion(now, sndMax - sndUna, mss);
        recover = sndMax;
        highRxt = sndUna;
        retransmitHead = true;
        timing = false;
        // RFC 6675 §5 step 4.2: with SACK, cwnd = ssthresh and the pipe decides;
        // without, RFC 5681 §3.2 step 3 inflates by the three segments that left.
        cc.setCwnd(sackOn ? cc.ssthresh() : cc.ssthresh() + 3 * mss);
        inRecovery = true;
        forgetRetransmissions();
        undoArmed = tsOn;
        undoTsVal = tsVal(now); // the retransmission carries this TSval or a later one
        lossSuspectAt = NEVER;
        tlpAt = NEVER;
    }

    /**
     * RFC 8985 §7.2: (re)arms the probe timeout, 2 SRTT but at least 10 ms (plus a worst-case delayed ACK when
     * one segment is out), when data is outstanding, SACK is on, no recovery runs, no probe
     * is out, and the RTO would not fire first.
     */
    private void armLossProbe(long now) {
        tlpAt = NEVER;
        if (!sackOn || inRecovery || tlpOut || sndMax == sndUna || !rtt.hasSample() || backoff > 0
                || !state.isSynchronized()) {
            return;
        }
        long pto = Math.max(MIN_PTO_MS, (long) Math.ceil(2 * rtt.srtt()))
                + (sndMax - sndUna <= sendMss() ? WORST_CASE_DELAYED_ACK_MS : 2);
        if (now + pto < rtoAt) {
            tlpAt = now + pto;
        }
    }

    /**
     * RFC 8985 §7.3: the probe timeout fired. Sends one new segment if the receive window
     * allows (cwnd aside), else the last segment again; the RTO restarts behind it.
     */
    private int sendLossProbe(long now, byte[] out, int off) {
        tlpAt = NEVER;
        int room = segmentRoom();
        int fresh = Math.min(Math.min(sendEnd() - sndNxt, room), sndUna + sndWnd - sndNxt);
        int n;
        if (fresh > 0 && sndNxt == sndMax) {
            tlpRetransmitted = false;
            tlpEnd = sndNxt + fresh;
            boolean fin = finToSend() && sndNxt + fresh == dataEnd();
            n = emit(now, out, off, sndNxt, ACK | (fin ? FIN : 0), fresh);
        } else {
            int dataStop = SeqNum.lt(sndMax, dataEnd()) ? sndMax : dataEnd();
            int start = SeqNum.max(sndUna, dataStop - room);
            int len = dataStop - start;
            boolean fin = finQueued && SeqNum.gt(sndMax, dataEnd());
            if (len <= 0 && !fin) {
                return 0;
            }
            tlpRetransmitted = true;
            tlpTsVal = tsVal(now);
            tlpEnd = sndMax;
            n = emit(now, out, off, start, ACK | (fin ? FIN : 0), Math.max(len, 0));
        }
        counters.lossProbes++;
        tlpOut = true;
        rtoAt = now + rtt.rto(backoff);
        return n;
    }

    /**
     * RFC 8985 §7.4: the probe is acknowledged. If it resent old data and the ACK echoes the
     * probe's own timestamp, the probe repaired a loss: answer it as fast recovery would
     * (RFC 8985 §7.4.2); an echo of an older timestamp means the original had arrived.
     */
    private void onLossProbeAcked(long now, TcpSegment seg) {
        tlpOut = false;
        boolean repaired = tlpRetransmitted && (!tsOn || seg.tsEcr() == 0 || SeqNum.ge(seg.tsEcr(), tlpTsVal));
        if (repaired && !inRecovery) {
            counters.lossProbeRepairs++;
            cc.onCongestion(now, sndMax - sndUna, sendMss());
            cc.setCwnd(cc.ssthresh());
        }
    }

    /** The reordering timer fired: the hole at SND.UNA is lost if the SACKs still say so. */
    private void onReorderTimeout(long now) {
        lossSuspectAt = NEVER;
        if (!inRecovery && sackOn && sndMax != sndUna && SeqNum.gt(sndUna, recover) && enoughSacked(scoreboard.bytes())) {
            enterRecovery(now);
        }
    }

    private void onFinAcknowledged(long now) {
        switch (state) {
            case FIN_WAIT_1 -> state = TcpState.FIN_WAIT_2;
            case CLOSING -> enterTimeWait(now);
            case LAST_ACK -> {
                if (ackLimited && ackLimit != rcvNxt) {
                    // The peer's FIN still waits for our ACK (held for a checkpoint): both sides
                    // are done, so acknowledge it now and stay in TIME-WAIT for its retransmissions.
                    ackNow = true;
                    enterTimeWait(now);
                } else {
                    closeWith("closed");
                }
            }
            default -> {
            }
        }
    }

    private void receiveText(long now, TcpSegment seg, int seq, int payload) {
        int off = seg.payloadOffset();
        int len = payload;
        int skip = rcvNxt - seq;
        if (skip > 0) { // already received: keep the new part only
            seq += skip;
            off += skip;
            len -= skip;
        }
        len = Math.min(len, rcvAdvEdge - seq); // never beyond the window we advertised
        len = Math.min(len, receiveRoom() - (seq - rcvNxt)); // nor beyond the buffer (see windowField)
        if (len <= 0) {
            ackNow = true; // a pure duplicate: tell the peer where we are at once
            return;
        }
        lastDataAt = now;
        // A segment the link aggregated (GRO/LRO: up to 64 KB in one frame) is several of the
        // peer's: full-sized is at most our MSS less this segment's options (RFC 6691 §2), so such
        // a frame is ACKed at once, as Linux counts its parts, and what follows it is not delayed
        // 40 ms while the peer, several segments unacknowledged, fires its tail-loss probe.
        largestSegment = Math.max(largestSegment, Math.min(payload, config.mss() - (seg.headerLength() - 20)));
        if (seq == rcvNxt) {
            int before = recvBuffer.rangeCount();
            rcvNxt = recvBuffer.write(rcvNxt, seq, seg.buffer(), off, len);
            if (ackLimited && before == 0) {
                // Nothing new may be acknowledged before a checkpoint holds it; the checkpoint's
                // completion sends the ACK (an ACK repeating the old one would be a duplicate ACK).
                return;
            } else if (before > 0) {
                ackNow = true; // RFC 5681 §4.2: ACK at once when a segment fills (part of) a gap
            } else if (rcvNxt - lastAckSent >= 2 * largestSegment) {
                ackNow = true; // RFC 5681 §4.2: ACK at least every second full-sized segment
            } else if (now < quickAckUntil) {
                ackNow = true; // just moved here: the peer has waited through the freeze already (see restore)
            } else if (ackAt == NEVER) {
                ackAt = now + config.delayedAckMs(); // RFC 9293 §3.8.6.3: delayed ACK
            }
        } else {
            if (recvBuffer.wouldOverflow(seq, seq + len)) {
                counters.reassemblyDrops++;
            } else {
                recvBuffer.write(rcvNxt, seq, seg.buffer(), off, len);
                counters.outOfOrderQueued++;
            }
            ackNow = true; // RFC 5681 §4.2: immediate duplicate ACK for an out-of-order segment
        }
    }

    /**
     * Paper §6.1: a resurrected endpoint restarts from its checkpoint, but the peer may have
     * received (and acknowledged) bytes sent after it. Its first ACK says how far it got:
     * what we hold up to there counts as sent; beyond what the application has written,
     * the application's next writes are skipped, since a deterministic handler regenerates
     * exactly the bytes the peer already has.
     */
    private void catchUp(int ack) {
        int end = dataEnd() + (finQueued ? 1 : 0);
        if (SeqNum.gt(ack, end)) {
            skipWrites = Integer.toUnsignedLong(ack - dataEnd());
            sendBuffer.discard(sendBuffer.length());
            bufSeq = ack;
        }
        sndNxt = ack;
        sndMax = ack;
        counters.resurrectionCatchUps++;
    }

    private void receiveFin(long now) {
        rcvNxt++;
        finReceived = true;
        finPending = false;
        ackNow = true;
        switch (state) {
            case SYN_RECEIVED, ESTABLISHED -> state = TcpState.CLOSE_WAIT;
            case FIN_WAIT_1 -> {
                if (finQueued && sndUna == bufSeq + sendBuffer.length() + 1) {
                    enterTimeWait(now);
                } else {
                    state = TcpState.CLOSING; // simultaneous close
                }
            }
            case FIN_WAIT_2 -> enterTimeWait(now);
            default -> {
            }
        }
    }

    private void enterTimeWait(long now) {
        state = TcpState.TIME_WAIT;
        ackLimited = false; // all our bytes and our FIN are acknowledged: nothing left a checkpoint must cover
        timeWaitAt = now + config.timeWaitMs();
        rtoAt = NEVER;
        tlpAt = NEVER;
        lossSuspectAt = NEVER;
        persistAt = NEVER;
        ackAt = NEVER;
    }

    /** RFC 5961 §7: rate-limited challenge ACK. */
    private void challengeAck(long now) {
        if (now - challengeWindowStart >= 1000) {
            challengeWindowStart = now;
            challengeCount = 0;
        }
        if (challengeCount < config.challengeAcksPerSecond()) {
            challengeCount++;
            counters.challengeAcks++;
            ackNow = true;
        } else {
            counters.challengeAcksLimited++;
        }
    }

    // ----------------------------------------------------------------- outbound

    /**
     * Writes at most one segment (TCP header and payload, checksum included) at
     * {@code off} in {@code out}, which must hold 60 + MSS bytes. Returns its length, or 0
     * when there is nothing to send now.
     */
    public int poll(long now, byte[] out, int off) {
        return poll(now, out, off, 0, false);
    }

    /**
     * Like {@link #poll(long, byte[], int)}, for a link with offloads: a data segment may
     * carry up to {@code maxPayload} bytes, which the link splits into
     * {@link #lastGsoSize()}-byte segments (TSO/GSO), and with {@code partialChecksum} the
     * checksum field holds only the pseudo-header sum, which the link completes. The buffer
     * must hold 60 + max(MSS, maxPayload) bytes.
     */
    public int poll(long now, byte[] out, int off, int maxPayload, boolean partialChecksum) {
        this.maxPayload = maxPayload;
        this.partialChecksum = partialChecksum;
        this.lastGsoSize = 0;
        switch (state) {
            case CLOSED, LISTEN -> {
                return 0;
            }
            case TIME_WAIT -> {
                if (now >= timeWaitAt) {
                    closeWith("closed");
                    return 0;
                }
                return ackNow ? sendAck(now, out, off) : 0;
            }
            default -> {
            }
        }
        if (now >= rtoAt) {
            onRetransmitTimeout(now);
            if (state == TcpState.CLOSED) {
                return 0;
            }
        }
        if (now >= lossSuspectAt) {
            onReorderTimeout(now);
        }
        if (now >= persistAt) {
            persistAt = NEVER;
            persistDue = true;
        }
        if (now >= ackAt) {
            ackAt = NEVER;
            ackNow = true;
        }
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            if (sndNxt == iss) {
                return sendSyn(now, out, off);
            }
            return state == TcpState.SYN_RECEIVED && ackNow ? sendAck(now, out, off) : 0;
        }
        if (now >= tlpAt) {
            int n = sendLossProbe(now, out, off);
            if (n > 0) {
                return n;
            }
        }
        if (retransmitHead) {
            retransmitHead = false;
            int n = retransmitFirst(now, out, off);
            if (n > 0) {
                return n;
            }
        }
        if (inRecovery && sackOn) {
            int n = retransmitNextHole(now, out, off);
            if (n > 0) {
                return n;
            }
            if (pipe() >= cc.cwnd()) {
                return ackNow ? sendAck(now, out, off) : 0; // RFC 6675 §5 step (C): the pipe is full
            }
        }
        if (probeNow) {
            probeNow = false;
            // RFC 9293 §3.8.4 (the keep-alive form): SEG.SEQ = SND.UNA - 1 is old, so the
            // peer answers at once with an ACK carrying its RCV.NXT and window.
            return emit(now, out, off, sndUna - 1, ACK, 0);
        }
        int n = sendData(now, out, off);
        if (n > 0) {
            return n;
        }
        return ackNow ? sendAck(now, out, off) : 0;
    }

    /** When {@link #poll} has something to do: now if a segment is ready, else the earliest timer. */
    public long pollAt() {
        if (state == TcpState.CLOSED || state == TcpState.LISTEN) {
            return NEVER;
        }
        if (ackNow || retransmitHead || persistDue || probeNow) {
            return Long.MIN_VALUE;
        }
        if ((state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) && sndNxt == iss) {
            return Long.MIN_VALUE;
        }
        if (state.isSynchronized() && state != TcpState.TIME_WAIT && (dataReady() || holeReady())) {
            return Long.MIN_VALUE;
        }
        return Math.min(Math.min(Math.min(rtoAt, persistAt), Math.min(ackAt, timeWaitAt)), Math.min(lossSuspectAt, tlpAt));
    }

    /**
     * A segment without data: its sequence number is SND.MAX, not SND.NXT, because after a
     * timeout SND.NXT points back into data the peer may already hold, and the peer would
     * drop an ACK carrying such an old number without reading its acknowledgment (BSD's
     * tcp_output does the same).
     */
    private int sendAck(long now, byte[] out, int off) {
        return emit(now, out, off, sndMax, ACK, 0);
    }

    private int sendSyn(long now, byte[] out, int off) {
        hdr.reset();
        hdr.mss = config.mss();
        boolean active = state == TcpState.SYN_SENT;
        // Active open offers what the config allows; passive open answers only what the peer offered.
        if (active ? config.windowScaling() : wsOn) {
            hdr.windowScale = rcvShift;
        }
        hdr.sackPermitted = active ? config.sack() : sackOn;
        hdr.timestamps = active ? config.timestamps() : tsOn;
        int flags = active ? SYN : SYN | ACK;
        return emit(now, out, off, iss, flags, 0);
    }

    /** Payload bytes that fit in one segment whose header is {@code headerLength} bytes (RFC 9293 §3.7.1 Eff.snd.MSS). */
    private int payloadRoom(int headerLength) {
        return Math.min(peerMss, config.mss()) - (headerLength - TcpSegment.MIN_HEADER_LENGTH);
    }

    /** Eff.snd.MSS for data with the usual options: the SMSS of congestion control. */
    private int sendMss() {
        return Math.min(peerMss, config.mss()) - (tsOn ? TS_OPTION_LENGTH : 0);
    }

    /** Sequence number after the last byte the application wrote. */
    private int dataEnd() {
        return bufSeq + sendBuffer.length();
    }

    /** End of the data that may go out: the application's data, unless a checkpoint gate holds part of it back. */
    private int sendEnd() {
        int end = dataEnd();
        return sendGated && SeqNum.lt(sendGate, end) ? sendGate : end;
    }

    /** Our FIN is queued, not yet sent at SND.NXT, and (when gated) covered by a checkpoint. */
    private boolean finToSend() {
        return finQueued && SeqNum.le(sndNxt, dataEnd()) && (!sendGated || SeqNum.gt(sendGate, dataEnd()));
    }

    /** Bytes {@link #sendData} would send now (0: nothing), without side effects. */
    private int sendableLength() {
        int nxt = resumePoint();
        int unsent = sendEnd() - nxt;
        if (unsent <= 0) {
            return 0;
        }
        // In SACK recovery the pipe, not SND.NXT - SND.UNA, says how much more may be in flight
        // (RFC 6675 §5 step (C), NextSeg() rule 2: new data once no hole needs resending).
        int usable = inRecovery && sackOn ? Math.min(sndUna + sndWnd - nxt, cc.cwnd() - pipe())
                : sndUna + Math.min(sndWnd, cc.cwnd() + limitedTransmit()) - nxt;
        int room = segmentRoom();
        int limit = maxPayload > room ? maxPayload / room * room : room; // whole segments per GSO burst
        int len = Math.min(Math.min(unsent, limit), Math.max(usable, 0));
        if (SeqNum.lt(nxt, sndMax)) {
            len = Math.min(len, sackedFrom(nxt) - nxt); // a resend stops where the peer's SACKed data begins
        }
        if (len <= 0) {
            return 0;
        }
        if (len > room && len < unsent) {
            len = len / room * room; // a burst ends on a segment boundary unless it ends the data
        }
        // RFC 9293 §3.8.6.2.1 sender SWS avoidance (and Nagle, §3.7.4, when enabled), for new
        // data: a resend after a timeout goes out as the holes between SACKed ranges allow.
        boolean full = len >= room || SeqNum.lt(nxt, sndMax);
        boolean allQueued = len == unsent && (!config.nagle() || nxt == sndUna);
        boolean halfWindow = len >= maxSndWnd / 2;
        return full || allQueued || halfWindow || persistDue ? len : 0;
    }

    /**
     * Where sending goes on: SND.NXT, or, while resending from SND.UNA after a timeout, the
     * first byte past the ranges the peer SACKed there (as Linux, which keeps SACK
     * information across a timeout unless the peer reneges; see onRetransmitTimeout).
     */
    private int resumePoint() {
        return SeqNum.lt(sndNxt, sndMax) ? scoreboard.skip(sndNxt) : sndNxt;
    }

    /** The first SACKed byte at or after {@code at}, or the end of the send space (nothing SACKed there). */
    private int sackedFrom(int at) {
        for (int i = 0; i < scoreboard.count(); i++) {
            if (SeqNum.gt(scoreboard.left(i), at)) {
                return scoreboard.left(i);
            }
        }
        return at + Integer.MAX_VALUE / 2;
    }

    /**
     * A duplicate ACK that the path reordered behind a later one, as Linux's
     * tcp_disordered_ack() recognises it: no data or flags, at RCV.NXT, acknowledging SND.UNA,
     * leaving the window as it is, its TSval at most one RTO old. PAWS (RFC 7323 §5.3) need
     * not drop it, since it changes nothing but the SACK blocks it carries, and those count.
     */
    private boolean disorderedAck(TcpSegment seg) {
        return (seg.flags() & (SYN | FIN | RST | ACK)) == ACK && seg.payloadLength() == 0 && seg.seq() == rcvNxt
                && seg.ack() == sndUna && (seg.window() << sndShift) == sndWnd && tsRecent - seg.tsVal() <= rtt.rto(0);
    }

    /**
     * RFC 3042 Limited Transmit: on the first and second duplicate ACK (outside recovery) one
     * new segment each may go beyond cwnd, so that a small window still brings the
     * duplicates (or SACKs) that reveal a loss, instead of waiting for the timer.
     */
    private int limitedTransmit() {
        return inRecovery || dupAcks == 0 ? 0 : Math.min(dupAcks, DUP_THRESH - 1) * sendMss();
    }

    /** Payload of one MSS-sized segment with the options it carries now. */
    private int segmentRoom() {
        return sendMss() - sackOptionLength();
    }

    private boolean dataReady() {
        return sendableLength() > 0 || (finToSend() && dataEnd() == sndNxt);
    }

    private int sendData(long now, byte[] out, int off) {
        int len = sendableLength();
        if (len > 0) {
            persistDue = false;
            sndNxt = resumePoint();
            boolean fin = finToSend() && sndNxt + len == dataEnd();
            int room = segmentRoom();
            int n = emit(now, out, off, sndNxt, ACK | (fin ? FIN : 0), len);
            lastGsoSize = len > room ? room : 0;
            return n;
        }
        if (finToSend() && dataEnd() == sndNxt) {
            return emit(now, out, off, sndNxt, ACK | FIN, 0);
        }
        int unsent = sendEnd() - sndNxt;
        boolean due = persistDue;
        persistDue = false; // consumed whether or not a probe goes out
        if (unsent > 0 && sndNxt == sndUna) {
            // Data waits but the window (or SWS avoidance) holds it back and nothing is in
            // flight to bring an ACK: the persist timer (RFC 9293 §3.8.6.1) takes over.
            if (due) {
                counters.windowProbes++;
                persistBackoff = Math.min(persistBackoff + 1, 16);
                persistAt = now + rtt.rto(persistBackoff);
                // Zero-window probe: an old sequence number makes the peer answer with its window.
                return emit(now, out, off, sndUna - 1, ACK, 0);
            }
            if (persistAt == NEVER) {
                persistAt = now + rtt.rto(persistBackoff);
            }
        }
        return 0;
    }

    /** Retransmits the segment at SND.UNA (fast retransmit, partial ACK). */
    private int retransmitFirst(long now, byte[] out, int off) {
        int outstanding = sndMax - sndUna;
        if (outstanding <= 0) {
            return 0;
        }
        int data = Math.min(dataEnd() - sndUna, sendMss() - sackOptionLength());
        data = Math.min(data, outstanding);
        boolean fin = finQueued && SeqNum.gt(sndMax, dataEnd()) && sndUna + data == dataEnd();
        if (data <= 0 && !fin) {
            return 0;
        }
        highRxt = SeqNum.max(highRxt, sndUna + Math.max(data, 0));
        return emit(now, out, off, sndUna, ACK | (fin ? FIN : 0), Math.max(data, 0));
    }

    /** RFC 6675 §4 Update(): records the SACK blocks of an acceptable ACK. */
    private void updateScoreboard(TcpSegment seg, int ack) {
        int una = SeqNum.max(ack, sndUna);
        for (int i = 0; i < seg.sackCount(); i++) {
            int l = SeqNum.max(seg.sackLeft(i), una);
            int r = seg.sackRight(i);
            // Only blocks above the cumulative ACK and within what we sent (RFC 2018 §4 D-SACKs are ignored).
            if (SeqNum.lt(l, r) && SeqNum.le(r, sndMax)) {
                scoreboard.add(l, r);
            }
        }
        scoreboard.dropBelow(una);
    }

    /**
     * RFC 6675 §4 SetPipe(), by ranges: bytes in flight that the peer has not SACKed, less
     * the holes above HighRxt that IsLost() calls lost (no longer in the network). A hole
     * with too few SACKs above it may only be reordered: it still counts as in flight.
     */
    private int pipe() {
        int outstanding = sndMax - sndUna - scoreboard.bytes();
        int n = scoreboard.count();
        if (n == 0) {
            return outstanding;
        }
        int lost = 0;
        int from = SeqNum.max(highRxt, sndUna);
        int sackedAbove = scoreboard.bytes();
        for (int i = 0; i < n; i++) {
            int l = scoreboard.left(i);
            if (SeqNum.lt(from, l) && holeLost(n - i, sackedAbove)) {
                lost += l - from;
            }
            from = SeqNum.max(from, scoreboard.right(i));
            sackedAbove -= scoreboard.right(i) - l;
        }
        return Math.max(0, outstanding - lost - relost.bytes()); // a lost retransmission is not in flight either
    }

    /**
     * RFC 6675 §4 IsLost() for a hole below {@code rangesAbove} SACKed ranges holding
     * {@code sackedAbove} bytes: DupThresh ranges, or more than (DupThresh - 1) * SMSS bytes.
     */
    private boolean holeLost(int rangesAbove, int sackedAbove) {
        return rangesAbove >= DUP_THRESH || enoughSacked(sackedAbove);
    }

    /** RFC 6675 §4 IsLost() by bytes: more than (DupThresh - 1) * SMSS SACKed above a hole. */
    private boolean enoughSacked(int sackedAbove) {
        return sackedAbove > (DUP_THRESH - 1) * sendMss();
    }

    /** In SACK recovery, a hole could be retransmitted now. */
    private boolean holeReady() {
        return inRecovery && sackOn && pipe() < cc.cwnd() && (nextRelost() != NO_HOLE || nextHole() != NO_HOLE);
    }

    /**
     * RFC 6675 §4 NextSeg() rule 1: the first byte above HighRxt that the peer lacks, that
     * lies below a SACKed range and that IsLost() calls lost, or {@link #NO_HOLE}; the hole
     * ends at {@link #holeEnd}. A hole with too few SACKs above it waits: retransmitting it
     * would, on a reordering path, mostly resend what is on its way.
     */
    private long nextHole() {
        int seq = SeqNum.max(highRxt, sndUna);
        int n = scoreboard.count();
        int sackedAbove = scoreboard.bytes();
        for (int i = 0; i < n; i++) {
            if (SeqNum.lt(seq, scoreboard.left(i))) {
                if (!holeLost(n - i, sackedAbove)) {
                    return NO_HOLE; // fewer SACKs still above the holes further up
                }
                holeEnd = scoreboard.left(i);
                return Integer.toUnsignedLong(seq);
            }
            seq = SeqNum.max(seq, scoreboard.right(i));
            sackedAbove -= scoreboard.right(i) - scoreboard.left(i);
        }
        return NO_HOLE;
    }

    /** Retransmits (part of) a hole whose retransmission was lost, else the next hole of the scoreboard, while the pipe has room. */
    private int retransmitNextHole(long now, byte[] out, int off) {
        if (pipe() >= cc.cwnd()) {
            return 0;
        }
        long again = nextRelost();
        if (again != NO_HOLE) {
            int seq = (int) again;
            int len = Math.min(Math.min(segmentRoom(), holeEnd - seq), dataEnd() - seq);
            if (len > 0) {
                relost.dropBelow(seq + len);
                return emit(now, out, off, seq, ACK, len);
            }
            relost.clear(); // only a FIN or nothing left there: the RTO covers it
        }
        long hole = nextHole();
        if (hole == NO_HOLE) {
            return 0;
        }
        int seq = (int) hole;
        int len = Math.min(Math.min(segmentRoom(), holeEnd - seq), dataEnd() - seq);
        if (len <= 0) {
            return 0;
        }
        highRxt = seq + len;
        return emit(now, out, off, seq, ACK, len);
    }

    /** The recovery is over: its retransmissions and the holes to resend go with it. */
    private void forgetRetransmissions() {
        retransmitLog.clear();
        relost.clear();
    }

    /**
     * The first byte of a hole whose retransmission was lost and that the peer still lacks,
     * or {@link #NO_HOLE}; it ends at {@link #holeEnd}. Drops what was acknowledged or SACKed since.
     */
    private long nextRelost() {
        relost.dropBelow(sndUna);
        while (relost.count() > 0) {
            int l = scoreboard.skip(relost.left(0));
            int r = relost.right(0);
            if (SeqNum.lt(l, r)) {
                holeEnd = SeqNum.min(r, sackedFrom(l));
                return Integer.toUnsignedLong(l);
            }
            relost.remove(0);
        }
        return NO_HOLE;
    }

    private void onRetransmitTimeout(long now) {
        rtoAt = NEVER;
        boolean opening = state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
        if (!opening && sndMax == sndUna) {
            return;
        }
        counters.timeouts++;
        backoff++;
        if (backoff > (opening ? config.maxSynRetransmissions() : config.maxRetransmissions())) {
            counters.retransmitAborts++;
            closeWith(opening ? "connection timed out while opening" : "connection timed out");
            return;
        }
        if (!opening) {
            cc.onTimeout(now, sndMax - sndUna, sendMss());
            inRecovery = false;
            forgetRetransmissions();
            undoArmed = false;
            tlpOut = false;
            tlpAt = NEVER;
            lossSuspectAt = NEVER;
            dupAcks = 0;
            recover = sndMax; // RFC 6582 §3.2 step 4: no fast retransmit for data sent before the timeout
            if (backoff > 1) {
                // RFC 2018 §8: the peer may have reneged on what it SACKed. The first timeout keeps
                // the scoreboard, as Linux does, so that the resend skips what the peer holds;
                // a second one in a row drops it and resends everything.
                scoreboard.clear();
            }
        }
        timing = false; // Karn: no sample from retransmitted data
        sndNxt = sndUna; // go back N: resend from the first unacknowledged byte (or the SYN)
    }

    /** Length of the SACK option the next segment carries (0 without SACK or holes). */
    private int sackOptionLength() {
        int n = sackBlocksToSend();
        return n == 0 ? 0 : 4 + 8 * n;
    }

    private int sackBlocksToSend() {
        if (!sackOn) {
            return 0;
        }
        // RFC 2018 §3: 40 bytes of options hold 4 blocks, 3 next to timestamps.
        return Math.min(recvBuffer.rangeCount(), tsOn ? 3 : 4);
    }

    /** The ACK field we send: RCV.NXT, or less while a checkpoint does not yet hold what was received. */
    private int ackPoint() {
        return ackLimited ? ackLimit : rcvNxt;
    }

    /**
     * The right edge the buffer allows now. While ACKs wait for checkpoints it is also kept
     * within one buffer of the ACK point, so that an endpoint resurrected from the checkpoint,
     * with an empty buffer there, can honour every window we advertised.
     */
    private int windowEdge() {
        int edge = rcvNxt + Math.max(0, config.receiveBufferSize() - recvBuffer.unread());
        if (ackLimited && SeqNum.gt(edge, ackLimit + config.receiveBufferSize())) {
            edge = ackLimit + config.receiveBufferSize();
        }
        return edge;
    }

    /** Bytes past RCV.NXT the receive buffer can still take (the window can never exceed it). */
    private int receiveRoom() {
        return recvBuffer.capacity() - recvBuffer.unread();
    }

    /** The window field to send; moves the advertised edge right only (but see RFC 7323 Appendix F below). */
    private int windowField(boolean synSegment) {
        int ack = ackPoint();
        int shift = synSegment ? 0 : rcvShift;
        long limit = (long) 0xffff << shift;
        int edge = windowEdge();
        if (edge - ack > limit) {
            edge = ack + (int) limit;
        }
        if (SeqNum.gt(edge, rcvAdvEdge)) {
            // RFC 9293 §3.8.6.2.2 receiver SWS avoidance: open the window only by a worthwhile amount.
            int gain = edge - rcvAdvEdge;
            if (synSegment || gain >= Math.min(config.receiveBufferSize() / 2, config.mss())) {
                rcvAdvEdge = edge;
            }
        }
        int wnd = Math.max(0, rcvAdvEdge - ack);
        // Round up so that the edge the peer computes is never left of the one we advertised.
        int field = (int) Math.min(0xffff, ((long) wnd + (1L << shift) - 1) >>> shift);
        // RFC 7323 Appendix F: rounding up on every ACK while the application reads nothing
        // lets the edge creep right by up to 2^shift - 1 bytes per ACK, past the buffer (a peer
        // sending tiny segments could make it grow without bound). Never advertise beyond
        // what the buffer can hold: round down then, moving the edge left by less than one unit.
        int room = (int) Math.min((long) receiveRoom() + (rcvNxt - ack), ackLimited ? config.receiveBufferSize() : Integer.MAX_VALUE);
        if (((long) field << shift) > room) {
            field = room >>> shift;
        }
        int advertised = ack + (field << shift);
        if (SeqNum.gt(advertised, rcvAdvEdge)) {
            rcvAdvEdge = advertised;
        }
        return field;
    }

    /** Builds and writes one segment; updates sequence space, timers and ACK state. */
    private int emit(long now, byte[] out, int off, int seq, int flags, int len) {
        boolean syn = (flags & SYN) != 0;
        if (!syn) {
            hdr.reset();
        }
        hdr.sourcePort = localPort;
        hdr.destinationPort = remotePort;
        hdr.seq = seq;
        hdr.flags = flags;
        if ((flags & ACK) != 0) {
            hdr.ack = ackPoint();
        }
        if (tsOn || (syn && hdr.timestamps)) {
            hdr.timestamps = true;
            hdr.tsVal = tsVal(now);
            hdr.tsEcr = (flags & ACK) != 0 ? tsRecent : 0;
            if (rttFloorPending) {
                rttFloorPending = false;
                rttFloorSet = true;
                rttTsFloor = hdr.tsVal;
            }
        }
        if (!syn) {
            int blocks = sackBlocksToSend();
            fillSackBlocks(blocks);
        }
        if (len > 0 && seq + len == dataEnd()) {
            hdr.flags |= PSH;
        }
        hdr.window = windowField(syn);
        int hl = hdr.write(out, off);
        if (len > 0) {
            sendBuffer.copy(seq - bufSeq, out, off + hl, len);
        }
        int total = hl + len;
        if (partialChecksum) {
            TcpHeaderWriter.pseudoHeaderChecksum(out, off, total, localIp, remoteIp);
        } else {
            TcpHeaderWriter.finishChecksum(out, off, total, localIp, remoteIp);
        }

        int occupied = len + (syn ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
        if (occupied > 0) {
            boolean retransmission = SeqNum.lt(seq, sndMax);
            if (retransmission) {
                counters.retransmits++;
                if (inRecovery && len > 0) {
                    retransmitLog.add(now, seq, seq + len, sndMax);
                }
            } else if (!timing && !tsOn) {
                timing = true; // time this segment (RFC 6298 §3; never a retransmission)
                timedSeq = seq;
                timedAt = now;
            }
            int end = seq + occupied;
            sndNxt = SeqNum.max(sndNxt, end);
            sndMax = SeqNum.max(sndMax, end);
            if (rtoAt == NEVER) {
                rtoAt = now + rtt.rto(backoff); // RFC 6298 §5.1
            }
            if (!retransmission) {
                armLossProbe(now); // RFC 8985 §7.2: after sending new data
            }
        }
        if ((flags & ACK) != 0) {
            lastAckSent = hdr.ack;
            ackNow = false;
            ackAt = NEVER;
        }
        counters.segmentsOut++;
        return total;
    }

    private void fillSackBlocks(int blocks) {
        hdr.sackCount = blocks;
        if (blocks == 0) {
            return;
        }
        // RFC 2018 §4: the first block holds the most recently received segment.
        int first = Math.max(recvBuffer.latestRange(), 0);
        hdr.sackBlocks[0] = recvBuffer.rangeLeft(first);
        hdr.sackBlocks[1] = recvBuffer.rangeRight(first);
        int k = 1;
        for (int i = 0; i < recvBuffer.rangeCount() && k < blocks; i++) {
            if (i != first) {
                hdr.sackBlocks[2 * k] = recvBuffer.rangeLeft(i);
                hdr.sackBlocks[2 * k + 1] = recvBuffer.rangeRight(i);
                k++;
            }
        }
    }

    private int tsVal(long now) {
        return (int) (now + tsOffset);
    }

    // -------------------------------------------------------------- application

    /**
     * Queues up to {@code len} bytes for sending; returns how many fit in the send buffer.
     * Throws IllegalStateException after {@link #close} or once the connection is closed.
     */
    public int send(byte[] src, int off, int len) {
        if (finQueued || state == TcpState.CLOSED || state == TcpState.LISTEN || state == TcpState.TIME_WAIT) {
            throw new IllegalStateException("cannot send on a connection in " + state
                    + (finQueued ? " after close()" : "") + (closeReason != null ? " (" + closeReason + ")" : ""));
        }
        int skipped = 0;
        if (skipWrites > 0) {
            skipped = (int) Math.min(skipWrites, len); // the peer has these already (see catchUp)
            skipWrites -= skipped;
        }
        int n = sendBuffer.write(src, off + skipped, len - skipped);
        if (n > 0) {
            deadlineChanged();
        }
        return skipped + n;
    }

    /**
     * Moves up to {@code len} received bytes to {@code dst}; returns how many, or -1 at
     * end of stream (the peer's FIN, all data read). Opens the window when reading frees
     * enough room (RFC 9293 §3.8.6.2.2).
     */
    public int receive(byte[] dst, int off, int len) {
        int n = recvBuffer.read(dst, off, len);
        if (n == 0) {
            return finReceived ? -1 : 0;
        }
        int gain = windowEdge() - rcvAdvEdge;
        if (state.canReceiveData() && gain >= Math.min(config.receiveBufferSize() / 2, config.mss())) {
            ackNow = true; // window update
            deadlineChanged();
        }
        return n;
    }

    /** Tells the stack that an application call may have changed when this connection must be polled. */
    private void deadlineChanged() {
        if (stack != null && !deadlineStale) {
            deadlineStale = true;
            stack.deadlineStale(this);
        }
    }

    /** Starts an orderly close: a FIN follows the queued data (RFC 9293 §3.10.4). */
    public void close() {
        switch (state) {
            case SYN_SENT -> closeWith("closed before established");
            case SYN_RECEIVED -> finQueued = true;
            case ESTABLISHED -> {
                finQueued = true;
                state = TcpState.FIN_WAIT_1;
            }
            case CLOSE_WAIT -> {
                finQueued = true;
                state = TcpState.LAST_ACK;
            }
            default -> {
            }
        }
        deadlineChanged();
    }

    /** Resets the connection at once (RFC 9293 §3.10.5 ABORT): sends RST, drops all data. */
    public void abort() {
        if (state != TcpState.CLOSED && state != TcpState.LISTEN && state != TcpState.SYN_SENT
                && state != TcpState.TIME_WAIT) {
            resets.add(localIp, remoteIp, localPort, remotePort, sndMax, 0, RST);
        }
        closeWith("aborted");
        deadlineChanged();
    }

    /** Asks for an ACK (with our window) at the next poll: wakes the peer after a restore. */
    public void requestAck() {
        ackNow = true;
        deadlineChanged();
    }

    /**
     * Sends a delayed ACK now rather than later (before a move: the peer would otherwise go
     * without an ACK for the delay plus the freeze, and probe with a retransmission).
     */
    public void flushDelayedAck() {
        if (ackAt != NEVER) {
            ackNow = true;
            deadlineChanged();
        }
    }

    private void closeWith(String reason) {
        state = TcpState.CLOSED;
        if (closeReason == null) {
            closeReason = reason;
        }
        rtoAt = NEVER;
        tlpAt = NEVER;
        lossSuspectAt = NEVER;
        persistAt = NEVER;
        ackAt = NEVER;
        timeWaitAt = NEVER;
        ackNow = false;
        retransmitHead = false;
        persistDue = false;
    }

    // ------------------------------------------------------------------ queries

    /** Current state. */
    public TcpState state() { return state; }
    /** Why the connection closed, or null while it is open. */
    public String closeReason() { return closeReason; }
    /** Our address. */
    public int localIp() { return localIp; }
    /** Our port. */
    public int localPort() { return localPort; }
    /** The peer's address. */
    public int remoteIp() { return remoteIp; }
    /** The peer's port. */
    public int remotePort() { return remotePort; }
    /** Bytes ready for {@link #receive}. */
    public int available() { return recvBuffer.unread(); }
    /** Room in the send buffer. */
    public int sendBufferFree() { return sendBuffer.free(); }
    /** Bytes written and not yet acknowledged. */
    public int sendBufferUsed() { return sendBuffer.length(); }
    /** When (ms) a segment last brought new data, or {@link #NO_DATA_YET}. */
    public long lastDataAt() { return lastDataAt; }
    /** The peer closed its side and everything it sent was read. */
    public boolean isEndOfStream() { return finReceived && recvBuffer.unread() == 0; }
    /** SND.UNA. */
    public int sndUna() { return sndUna; }
    /**
     * SND.UNA of the data: the first written byte the peer has not acknowledged, or the end
     * written once all of it and the FIN are (SND.UNA then counts the FIN, one past the data).
     */
    public int sndUnaData() { return SeqNum.gt(sndUna, dataEnd()) ? dataEnd() : sndUna; }
    /** SND.NXT. */
    public int sndNxt() { return sndNxt; }
    /** Highest sequence number sent plus one. */
    public int sndMax() { return sndMax; }
    /** SND.WND, scaled. */
    public int sndWnd() { return sndWnd; }
    /** RCV.NXT. */
    public int rcvNxt() { return rcvNxt; }
    /** Right edge of the window last advertised. */
    public int rcvAdvEdge() { return rcvAdvEdge; }
    /** Our ISS. */
    public int iss() { return iss; }
    /** The peer's ISN. */
    public int irs() { return irs; }
    /** Timestamps negotiated. */
    public boolean timestampsEnabled() { return tsOn; }
    /** SACK negotiated. */
    public boolean sackEnabled() { return sackOn; }
    /** Window scaling negotiated. */
    public boolean windowScalingEnabled() { return wsOn; }
    /** Shift of the peer's window. */
    public int sndShift() { return sndShift; }
    /** Shift of our window (0 when scaling is off). */
    public int rcvShift() { return wsOn ? rcvShift : 0; }
    /** MSS the peer announced. */
    public int peerMss() { return peerMss; }
    /** TS.Recent. */
    public int tsRecent() { return tsRecent; }
    /** Offset of our timestamp clock: TSval = now + offset. */
    public long tsOffset() { return tsOffset; }
    /** Congestion window, bytes. */
    public int cwnd() { return cc.cwnd(); }
    /** Slow-start threshold, bytes. */
    public int ssthresh() { return cc.ssthresh(); }
    /** Current RTO before backoff, ms. */
    public long rto() { return rtt.rto(0); }
    /** Smoothed RTT, ms, or 0 before the first sample. */
    public double srtt() { return rtt.srtt(); }
    /** Retransmission timer deadline, or {@link #NEVER}. */
    public long rtoDeadline() { return rtoAt; }
    /** In NewReno fast recovery. */
    public boolean inRecovery() { return inRecovery; }
    /** Payload bytes per segment the link must split the segment last emitted into (GSO), or 0. */
    public int lastGsoSize() { return lastGsoSize; }

    /** Sets the timestamp clock offset (a restored endpoint continues its origin's clock). */
    public void setTsOffset(long offset) {
        this.tsOffset = offset;
        deadlineChanged();
    }

    // ------------------------------------------------------------- checkpoints

    /**
     * From now on ACK no further than {@code seq} (copied_seq of a durable checkpoint; issue 5
     * "Inbound"); a larger value than the current limit moves it and sends the ACK at once.
     */
    public void limitAck(int seq) {
        if (SeqNum.gt(seq, rcvNxt)) {
            throw new IllegalArgumentException("ACK limit " + Integer.toUnsignedString(seq) + " is beyond RCV.NXT "
                    + Integer.toUnsignedString(rcvNxt));
        }
        if (!ackLimited || SeqNum.gt(seq, ackLimit)) {
            ackLimit = seq;
        }
        ackLimited = true;
        if (ackLimit != lastAckSent) {
            ackNow = true;
        }
        deadlineChanged();
    }

    /** From now on new data (and the FIN) may go out only below {@code seq} (issue 5 "Outbound"). */
    public void gateSend(int seq) {
        sendGated = true;
        sendGate = seq;
        deadlineChanged();
    }

    /** Sequence number after the bytes the application has read; counts the peer's FIN once it read end of stream. */
    public int copiedSeq() {
        int unread = recvBuffer.unread();
        return unread == 0 ? rcvNxt : rcvNxt - unread - (finReceived ? 1 : 0);
    }

    /** Sequence number after the last byte the application wrote (the FIN, if queued, comes next). */
    public int writtenEnd() {
        return dataEnd();
    }

    /** The application closed its side: a FIN follows {@link #writtenEnd()}. */
    public boolean finQueued() {
        return finQueued;
    }

    /** Copies written bytes from sequence number {@code seq} on (within SND.UNA .. {@link #writtenEnd()}). */
    public void copyWritten(int seq, byte[] dst, int off, int len) {
        if (SeqNum.lt(seq, bufSeq) || SeqNum.gt(seq + len, dataEnd())) {
            throw new IllegalArgumentException("bytes [" + Integer.toUnsignedString(seq) + ", +" + len + ") are not in the send buffer");
        }
        sendBuffer.copy(seq - bufSeq, dst, off, len);
    }

    /**
     * The endpoint as a checkpoint records it: without queues. The receive side stops at
     * {@link #copiedSeq()} (the peer resends the rest, it was never acknowledged); the send
     * side restarts at SND.UNA, its bytes kept apart by the checkpointer (strict) or, with
     * {@code rewound}, regenerated by the application, which then also closes again.
     * Null in states no checkpoint can represent (not yet synchronized, TIME-WAIT, CLOSED).
     */
    public EndpointState checkpointState(boolean rewound) {
        if (!state.isSynchronized() || state == TcpState.TIME_WAIT) {
            return null;
        }
        int copied = copiedSeq();
        boolean theirFin = finReceived && copied == rcvNxt;
        boolean ourFin = finQueued && !(rewound && dataEnd() != sndUna);
        boolean ourFinAcked = finQueued && SeqNum.gt(sndUna, dataEnd());
        TcpState kept;
        if (!ourFin) {
            kept = theirFin ? TcpState.CLOSE_WAIT : TcpState.ESTABLISHED;
        } else if (!theirFin) {
            kept = ourFinAcked ? TcpState.FIN_WAIT_2 : TcpState.FIN_WAIT_1;
        } else if (ourFinAcked) {
            return null; // TIME-WAIT: nothing left to resurrect
        } else {
            kept = state == TcpState.CLOSING ? TcpState.CLOSING : TcpState.LAST_ACK;
        }
        int window = (int) Math.min(config.receiveBufferSize(), (long) 0xffff << rcvShift());
        return new EndpointState(localIp, localPort, remoteIp, remotePort, kept,
                tsOn, sackOn, wsOn, sndShift, rcvShift(), peerMss, config.mss(),
                sndUna, sndUna, sndWnd, sndWl1, sndWl2, maxSndWnd, List.of(), ourFin,
                copied, copied + window, new byte[0], List.of(), theirFin,
                tsRecent, tsOffset, lastAckSent,
                cc.cwnd(), cc.ssthresh(), rtt.srtt(), rtt.rttvar(), cc.name());
    }

    /**
     * Turns a restored checkpoint into a resurrected endpoint (paper §6.1): it ACKs no more
     * than the checkpoint held, sends nothing the checkpoint does not cover until told, probes
     * the peer at once, and believes the peer's first ACK even beyond SND.MAX.
     */
    public void resurrect() {
        hold(rcvNxt, dataEnd() + (finQueued ? 1 : 0));
        trustNextAck = true;
        probeNow = true;
        rttFloorPending = tsOn;
        deadlineChanged();
    }

    /**
     * A moved-in endpoint under checkpointing: it may ACK what its origin acknowledged and
     * resend what its origin sent (the origin's checkpoints cover both), nothing new until a
     * checkpoint here holds it.
     */
    public void holdAtCurrent() {
        hold(ackLimited ? ackLimit : SeqNum.min(lastAckSent, rcvNxt), sendGated ? sendGate : sndMax);
        deadlineChanged();
    }

    /** ACK no further than {@code ackTo} and send nothing new from {@code sendTo} on. */
    private void hold(int ackTo, int sendTo) {
        ackLimited = true;
        ackLimit = ackTo;
        sendGated = true;
        sendGate = sendTo;
    }

    /** Lifts {@link #limitAck} and {@link #gateSend}: everything may be acknowledged and sent. */
    public void releaseCheckpointHolds() {
        if (ackLimited && ackLimit != rcvNxt) {
            ackNow = true;
        }
        ackLimited = false;
        sendGated = false;
        deadlineChanged();
    }

    // ------------------------------------------------------- snapshot / restore

    /** Everything needed to re-create this endpoint elsewhere (the engine's half of the ICI). */
    public EndpointState snapshot() {
        return snapshot(0);
    }

    /**
     * Like {@link #snapshot()}, leaving out the first {@code leaveOut} bytes of the send
     * queue (the destination of a move holds them already, from a pre-copy): the state's send
     * queue starts at SND.UNA + {@code leaveOut}, and only that tail is copied.
     */
    public EndpointState snapshot(int leaveOut) {
        if (leaveOut < 0 || leaveOut > sendBuffer.length()) {
            throw new IllegalArgumentException("cannot leave out " + leaveOut + " of " + sendBuffer.length() + " send bytes");
        }
        if (!state.isSynchronized() || state == TcpState.TIME_WAIT) {
            throw new IllegalStateException("only an established or closing connection can be dumped, this one is " + state);
        }
        List<EndpointState.OutOfOrderSegment> ooo = new ArrayList<>(recvBuffer.rangeCount());
        for (int i = 0; i < recvBuffer.rangeCount(); i++) {
            int l = recvBuffer.rangeLeft(i);
            byte[] data = new byte[recvBuffer.rangeRight(i) - l];
            recvBuffer.copyAt(rcvNxt, l, data, 0, data.length);
            ooo.add(new EndpointState.OutOfOrderSegment(l, data));
        }
        return new EndpointState(localIp, localPort, remoteIp, remotePort, state,
                tsOn, sackOn, wsOn, sndShift, rcvShift(), peerMss, config.mss(),
                sndUna, sndMax, sndWnd, sndWl1, sndWl2, maxSndWnd, List.of(ByteBuffer.wrap(sendTail(leaveOut))), finQueued,
                rcvNxt, rcvAdvEdge, recvBuffer.unreadBytes(), List.copyOf(ooo), finReceived,
                tsRecent, tsOffset, lastAckSent,
                cc.cwnd(), cc.ssthresh(), rtt.srtt(), rtt.rttvar(), cc.name());
    }

    /** Its send buffer takes large rings from {@code pool} and gives them back there. */
    void drawRingsFrom(RingPool pool) {
        sendBuffer.drawFrom(pool);
    }

    /** Empties its send buffer for good, its ring given to the pool ({@link TcpStack#recycle}). */
    void releaseSendBuffer() {
        sendBuffer.release();
    }

    /** A copy of the send queue from its byte {@code from} on. */
    private byte[] sendTail(int from) {
        if (from == 0) {
            return sendBuffer.toArray();
        }
        byte[] tail = new byte[sendBuffer.length() - from];
        sendBuffer.copy(from, tail, 0, tail.length);
        return tail;
    }

    /**
     * Re-creates an endpoint from a snapshot. The caller has validated it (package
     * {@code ici}); this only refuses what would break the engine's own invariants. The
     * endpoint is live at once; it retransmits in-flight data on its RTO, and
     * {@link #requestAck()} wakes the peer.
     */
    static TcpConnection restore(TcpConfig config, TcpCounters counters, ResetQueue resets, long now,
                                 EndpointState s, boolean withCongestionState) {
        if (!s.state().isSynchronized() || s.state() == TcpState.TIME_WAIT) {
            throw new IllegalArgumentException("state " + s.state() + " cannot be restored");
        }
        // The receive side is checked below against the buffer's capacity, one window unit more
        // than receiveBufferSize (a full buffer holds that much when the window was rounded up).
        if (s.sendQueueLength() > config.sendBufferSize()) {
            throw new IllegalArgumentException("snapshot send queue of " + s.sendQueueLength()
                    + " bytes exceeds this stack's send buffer of " + config.sendBufferSize());
        }
        int shift = s.windowScaling() ? s.rcvShift() : 0;
        TcpConnection c = new TcpConnection(config, counters, resets, s.localIp(), s.localPort(),
                s.remoteIp(), s.remotePort(), shift);
        long needed = (long) s.receiveQueue().length + Math.max(0, s.rcvAdvEdge() - s.rcvNxt());
        if (needed > c.recvBuffer.capacity()) {
            throw new IllegalArgumentException("snapshot needs " + needed + " bytes of receive buffer (unread data plus"
                    + " the advertised window), this stack has " + c.recvBuffer.capacity());
        }
        c.state = s.state();
        c.tsOn = s.timestamps();
        c.sackOn = s.sack();
        c.wsOn = s.windowScaling();
        c.sndShift = s.sndShift();
        c.peerMss = s.sndMss();
        c.iss = s.sndUna() - 1;
        c.sndUna = s.sndUna();
        c.sndNxt = s.sndNxt();
        c.sndMax = s.sndNxt();
        c.recover = s.sndUna();
        c.sndWnd = s.sndWnd();
        c.sndWl1 = s.sndWl1();
        c.sndWl2 = s.sndWl2();
        c.maxSndWnd = s.maxSndWnd();
        c.bufSeq = s.sndUna();
        c.sendBuffer.adopt(s.sendQueue()); // the state's own pieces: not copied again
        c.finQueued = s.finQueued();
        // The unread bytes end at RCV.NXT, or one before it when the peer's FIN was received.
        c.rcvNxt = s.rcvNxt() - s.receiveQueue().length - (s.finReceived() ? 1 : 0);
        c.irs = c.rcvNxt - 1;
        c.rcvAdvEdge = s.rcvAdvEdge();
        if (s.receiveQueue().length > 0) {
            c.rcvNxt = c.recvBuffer.write(c.rcvNxt, c.rcvNxt, s.receiveQueue(), 0, s.receiveQueue().length);
        }
        for (EndpointState.OutOfOrderSegment seg : s.outOfOrder()) {
            c.recvBuffer.write(c.rcvNxt, seg.seq(), seg.data(), 0, seg.data().length);
        }
        c.finReceived = s.finReceived();
        if (c.finReceived) {
            c.rcvNxt++;
        }
        c.tsRecent = s.tsRecent();
        c.tsRecentAt = now;
        c.tsOffset = s.tsOffset();
        c.lastAckSent = s.lastAckSent();
        if (withCongestionState) {
            c.cc.setCwnd(s.cwnd());
            c.cc.setSsthresh(s.ssthresh());
            if (s.srttMs() > 0) {
                c.rtt.restore(s.srttMs(), s.rttvarMs());
            }
        }
        if (c.sndMax != c.sndUna) {
            c.rtoAt = now + c.rtt.rto(0);
        }
        // Like Linux's quick-ack mode (RFC 5681 §4.2 allows ACKing more often): the peer got no
        // ACK during the move, so the segments that waited for it are ACKed at once, before
        // the peer's tail-loss probe (2 RTT, at least 10 ms on Linux) resends one.
        c.quickAckUntil = now + QUICK_ACK_AFTER_RESTORE_MS;
        return c;
    }
}
