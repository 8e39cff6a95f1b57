package dev.handoff.agent.audit;

import dev.handoff.agent.wire.EthernetFrame;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.Ipv4Packet;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.agent.wire.MalformedPacketException;
import dev.handoff.agent.wire.SeqNum;
import dev.handoff.agent.wire.TcpSegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;

/**
 * Watches every frame a peer sees and checks that the connections our agents serve look,
 * from the peer's side, like one ordinary TCP endpoint however often they move or are
 * resurrected (DESIGN.md "Transparency audit", paper §1.2):
 * <ul>
 *   <li>no RST from our side, and no FIN from our side before the peer's (the bundled
 *       applications never close first);</li>
 *   <li>our sequence space continuous: no data beyond what we sent before (a gap);</li>
 *   <li>retransmitted bytes identical to the bytes first sent at those offsets;</li>
 *   <li>our TSval never decreasing;</li>
 *   <li>the right edge of the window we advertise never retracting (RFC 9293 3.8.6) by a
 *       window unit or more (RFC 7323 Appendix F);</li>
 *   <li>no second SYN from our side with another ISN or other options (wscale, MSS,
 *       SACK-permitted fixed at the handshake);</li>
 *   <li>our ACK never above what the peer sent;</li>
 *   <li>one sender at a time: the source MAC of our segments changes only when a
 *       connection moves (counted, for the test to compare with its moves).</li>
 * </ul>
 * Feed it Ethernet frames in capture order; not thread-safe.
 */
public final class TransparencyAudit {
    /** History kept per direction for comparing retransmissions: more than any send buffer. */
    private static final int HISTORY = 8 << 20;
    /** Violations kept with their text; more are only counted. */
    private static final int KEEP = 200;

    /** Which addresses are our side (the VIPs). */
    private final IntPredicate ours;
    /** Connections by (our ip, our port, peer ip, peer port). */
    private final Map<Key, Flow> flows = new HashMap<>();
    /** Violations found, in order (first {@link #KEEP}). */
    private final List<String> violations = new ArrayList<>();
    /** Violations found in all. */
    private long violationCount;
    /** Frames seen. */
    private long frames;
    /** TCP segments of our connections seen. */
    private long segments;
    /** Frames not parsed (not IPv4/TCP, malformed). */
    private long skipped;
    /** Reused views. */
    private final EthernetFrame eth = new EthernetFrame();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final TcpSegment tcp = new TcpSegment();

    /** Monotonic clock, ns: when each frame was seen (for the outage at each sender switch). */
    private final LongSupplier clock;

    /** Audits the connections whose one end is an address {@code ours} accepts. */
    public TransparencyAudit(IntPredicate ours) {
        this(ours, System::nanoTime);
    }

    /** Like {@link #TransparencyAudit(IntPredicate)}, with frames timed by {@code clock} (ns). */
    public TransparencyAudit(IntPredicate ours, LongSupplier clock) {
        this.ours = ours;
        this.clock = clock;
    }

    /** Takes one captured Ethernet frame. */
    public void onFrame(byte[] b, int off, int len) {
        frames++;
        boolean fromUs;
        try {
            eth.wrap(b, off, len);
            if (eth.etherType() != EthernetFrame.TYPE_IPV4) {
                skipped++;
                return;
            }
            ip.wrap(b, eth.payloadOffset(), eth.payloadLength());
            if (ip.protocol() != Ipv4Packet.PROTOCOL_TCP) {
                skipped++;
                return;
            }
            fromUs = ours.test(ip.source());
            if (!fromUs && !ours.test(ip.destination())) {
                skipped++;
                return;
            }
            tcp.wrap(b, ip.payloadOffset(), ip.payloadLength(), ip.source(), ip.destination(), false);
        } catch (MalformedPacketException e) {
            skipped++;
            return;
        }
        segments++;
        Key key = fromUs ? new Key(ip.source(), tcp.sourcePort(), ip.destination(), tcp.destinationPort())
                : new Key(ip.destination(), tcp.destinationPort(), ip.source(), tcp.sourcePort());
        Flow f = flows.computeIfAbsent(key, k -> new Flow());
        if (fromUs) {
            fromUs(key, f);
        } else {
            fromPeer(f);
        }
    }

    private void fromUs(Key key, Flow f) {
        long mac = eth.source();
        long now = clock.getAsLong();
        if (f.senderMac != 0 && f.senderMac != mac) {
            f.senderSwitches++;
            f.switchedAfter = f.lastFromUs;
            f.closedBeforeSwitch = f.closedAtLastFromUs;
        }
        f.senderMac = mac;
        f.lastFromUs = now;
        f.closedAtLastFromUs = f.peerClosedNs(now);
        if (tcp.has(TcpSegment.RST)) {
            violation(key, "RST from our side (seq " + Integer.toUnsignedString(tcp.seq()) + ")");
            return;
        }
        if (tcp.has(TcpSegment.SYN)) {
            String options = "mss=" + tcp.mss() + " wscale=" + tcp.windowScale() + " sack=" + tcp.sackPermitted()
                    + " ts=" + tcp.hasTimestamps();
            if (f.ourSyn == null) {
                f.ourSyn = options;
                f.ourIsn = tcp.seq();
                f.ourShift = f.peerShift >= 0 && tcp.windowScale() >= 0 ? tcp.windowScale() : 0;
                f.out.startAt(0);
                f.ourBase = tcp.seq() + 1;
            } else if (tcp.seq() != f.ourIsn || !options.equals(f.ourSyn)) {
                violation(key, "second SYN from our side: isn " + Integer.toUnsignedString(tcp.seq()) + " " + options
                        + " after " + Integer.toUnsignedString(f.ourIsn) + " " + f.ourSyn);
            }
        }
        if (f.ourSyn == null) {
            return; // joined mid-connection: nothing to compare with
        }
        if (tcp.hasTimestamps()) {
            if (f.haveTs && SeqNum.lt(tcp.tsVal(), f.lastTsVal)) {
                violation(key, "TSval went back from " + Integer.toUnsignedString(f.lastTsVal) + " to "
                        + Integer.toUnsignedString(tcp.tsVal()));
            }
            f.lastTsVal = f.haveTs ? SeqNum.max(f.lastTsVal, tcp.tsVal()) : tcp.tsVal();
            f.haveTs = true;
        }
        if (tcp.has(TcpSegment.ACK) && f.peerSyn && !tcp.has(TcpSegment.SYN)) {
            // RFC 7323 §2.2: the window of a SYN is never scaled; edges are compared from the first non-SYN on.
            int edge = tcp.ack() + (tcp.window() << f.ourShift);
            // RFC 7323 Appendix F: with scaling, a full buffer forces rounding down by less than
            // one unit (2^shift bytes); anything more is a retraction.
            if (f.haveEdge && SeqNum.diff(f.rightEdge, edge) >= (1 << f.ourShift)) {
                violation(key, "window right edge retracted by " + SeqNum.diff(f.rightEdge, edge) + " bytes (ack "
                        + Integer.toUnsignedString(tcp.ack()) + ", window " + tcp.window() + ", from "
                        + MacAddress.format(mac) + "; the edge was set by " + MacAddress.format(f.edgeMac) + ")");
            }
            if (!f.haveEdge || SeqNum.gt(edge, f.rightEdge)) {
                f.rightEdge = edge;
                f.edgeMac = mac;
            }
            f.haveEdge = true;
            long ack = f.peerOffset(tcp.ack());
            if (ack > f.peerEnd) {
                violation(key, "ACK " + Integer.toUnsignedString(tcp.ack()) + " is " + (ack - f.peerEnd)
                        + " bytes beyond what the peer sent");
            }
        }
        int payload = tcp.payloadLength();
        long at = tcp.has(TcpSegment.SYN) ? -1 : f.ourOffset(tcp.seq());
        if (payload > 0) {
            if (at > f.out.end()) {
                violation(key, "gap: data at stream offset " + at + " but only " + f.out.end() + " bytes sent before");
            }
            long bad = f.out.record(at, tcp.buffer(), tcp.payloadOffset(), payload, f.tally);
            if (bad >= 0) {
                violation(key, "retransmitted byte at stream offset " + bad + " differs from the original");
            }
            if (at < f.out.end() - payload) {
                f.retransmitted += payload;
            } else if (f.switchedAfter != 0) {
                f.switchGapsMs.add((now - f.switchedAfter) / 1_000_000); // new data from the new sender
                f.switchClosedMs.add((f.peerClosedNs(now) - f.closedBeforeSwitch) / 1_000_000);
                f.switchedAfter = 0;
            }
        }
        if (tcp.has(TcpSegment.FIN)) {
            if (!f.peerFin) {
                violation(key, "FIN from our side before the peer's");
            }
            f.ourFinAt = at + payload;
        }
    }

    private void fromPeer(Flow f) {
        if (tcp.has(TcpSegment.SYN)) {
            f.peerSyn = true;
            f.peerShift = tcp.windowScale();
            f.peerBase = tcp.seq() + 1;
            f.peerEnd = 0;
            return;
        }
        if (!f.peerSyn) {
            return;
        }
        if (tcp.has(TcpSegment.ACK)) {
            f.peerWindow(tcp.window() == 0, clock.getAsLong());
        }
        long end = f.peerOffset(tcp.seq()) + tcp.payloadLength() + (tcp.has(TcpSegment.FIN) ? 1 : 0);
        f.peerEnd = Math.max(f.peerEnd, end);
        if (tcp.has(TcpSegment.FIN)) {
            f.peerFin = true;
        }
    }

    private void violation(Key key, String what) {
        violationCount++;
        if (violations.size() < KEEP) {
            violations.add(key + ": " + what);
        }
    }

    /** Violations found so far (the first 200 with text). */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    /** How many violations in all. */
    public long violationCount() {
        return violationCount;
    }

    /** A summary of what was watched: one line per connection, then totals and violations. */
    public String report() {
        StringBuilder b = new StringBuilder();
        long sent = 0;
        long checked = 0;
        long retransmitted = 0;
        for (Map.Entry<Key, Flow> e : flows.entrySet()) {
            Flow f = e.getValue();
            sent += f.out.end();
            checked += f.tally.checked;
            retransmitted += f.retransmitted;
            b.append("connection ").append(e.getKey()).append(" sent=").append(f.out.end())
                    .append(" retransmitted=").append(f.retransmitted).append(" checked=").append(f.tally.checked)
                    .append(" unverifiable=").append(f.tally.unverifiable)
                    .append(" senderSwitches=").append(f.senderSwitches).append(" switchGapsMs=")
                    .append(f.switchGapsMs.toString().replace(" ", "")).append(" switchPeerClosedMs=")
                    .append(f.switchClosedMs.toString().replace(" ", "")).append(" handshake=").append(f.ourSyn != null)
                    .append('\n');
        }
        b.append("frames=").append(frames).append(" segments=").append(segments).append(" skipped=").append(skipped)
                .append(" connections=").append(flows.size()).append(" bytesSent=").append(sent)
                .append(" retransmitted=").append(retransmitted).append(" retransmissionsChecked=").append(checked)
                .append(" maxSenderSwitches=").append(flows.values().stream().mapToInt(f -> f.senderSwitches).max().orElse(0))
                .append(" maxSwitchGapMs=").append(flows.values().stream().flatMap(f -> f.switchGapsMs.stream())
                        .mapToLong(Long::longValue).max().orElse(0))
                .append(" violations=").append(violationCount).append('\n');
        for (String v : violations) {
            b.append("violation ").append(v).append('\n');
        }
        return b.toString();
    }

    /**
     * The peer's outage at each sender switch of every connection of a {@link #report()}, ms,
     * in order (the old sender's last segment to the new sender's first new data).
     */
    public static List<Long> switchGapsMs(String report) {
        return listed(report, "switchGapsMs");
    }

    /**
     * For each sender switch of a {@link #report()}, in the order of {@link #switchGapsMs}: ms
     * of its outage during which the peer advertised a zero window, so that no sender could
     * have sent it new data (a reader that paces itself, like curl --limit-rate, closes it).
     */
    public static List<Long> switchPeerClosedMs(String report) {
        return listed(report, "switchPeerClosedMs");
    }

    /** Every number of every {@code name=[...]} list of a report, in order. */
    private static List<Long> listed(String report, String name) {
        List<Long> gaps = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(name + "=\\[([0-9,]*)]").matcher(report);
        while (m.find()) {
            for (String g : m.group(1).split(",")) {
                if (!g.isEmpty()) {
                    gaps.add(Long.parseLong(g));
                }
            }
        }
        return gaps;
    }

    /** A connection: our address and port, the peer's. */
    private record Key(int ourIp, int ourPort, int peerIp, int peerPort) {
        @Override
        public String toString() {
            return Ipv4Address.format(ourIp) + ":" + ourPort + "-" + Ipv4Address.format(peerIp) + ":" + peerPort;
        }
    }

    /** What the audit knows of one connection. */
    private static final class Flow {
        /** Our SYN's options as text, null until seen. */
        String ourSyn;
        /** Our ISN. */
        int ourIsn;
        /** Sequence number of our stream offset 0 (ISN + 1). */
        int ourBase;
        /** Our window scale as the peer applies it. */
        int ourShift;
        /** The peer's SYN was seen. */
        boolean peerSyn;
        /** The peer's window scale option, -1 if none. */
        int peerShift = -1;
        /** Sequence number of the peer's stream offset 0. */
        int peerBase;
        /** Offset one past the highest sequence the peer sent (FIN counted). */
        long peerEnd;
        /** The peer sent FIN. */
        boolean peerFin;
        /** Our stream's recent bytes. */
        final StreamHistory out = new StreamHistory(HISTORY);
        /** Retransmission comparisons. */
        final StreamHistory.Tally tally = new StreamHistory.Tally();
        /** Bytes we sent again. */
        long retransmitted;
        /** A TSval was seen. */
        boolean haveTs;
        /** Highest TSval from us. */
        int lastTsVal;
        /** An advertised window was seen. */
        boolean haveEdge;
        /** Highest right window edge we advertised. */
        int rightEdge;
        /** Source MAC of the segment that advertised {@link #rightEdge}. */
        long edgeMac;
        /** Source MAC of our last segment, 0 before the first. */
        long senderMac;
        /** Times that MAC changed. */
        int senderSwitches;
        /** When our last segment was seen, ns. */
        long lastFromUs;
        /** When the old sender's last segment was seen, ns, until the new sender's first new data; else 0. */
        long switchedAfter;
        /** For each sender switch, ms from the old sender's last segment to the new one's first new data (the peer's outage). */
        final List<Long> switchGapsMs = new ArrayList<>();
        /** For each sender switch, ms of its outage during which the peer's advertised window was zero (no sender could send). */
        final List<Long> switchClosedMs = new ArrayList<>();
        /** ns the peer's window was zero before {@link #closedSince}, summed. */
        long closedNs;
        /** The peer's last advertised window is zero. */
        boolean closed;
        /** Since when it is, ns (while {@link #closed}). */
        long closedSince;
        /** {@link #peerClosedNs} when our last segment was seen. */
        long closedAtLastFromUs;
        /** {@link #peerClosedNs} when the old sender's last segment was seen, for the switch under way. */
        long closedBeforeSwitch;

        /** The peer advertised a zero window ({@code zero}) or an open one at {@code now}. */
        void peerWindow(boolean zero, long now) {
            if (zero && !closed) {
                closedSince = now;
            } else if (!zero && closed) {
                closedNs += now - closedSince;
            }
            closed = zero;
        }

        /** ns the peer's window has been zero in all, up to {@code now}. */
        long peerClosedNs(long now) {
            return closedNs + (closed ? now - closedSince : 0);
        }
        /** Offset of our FIN, -1 before it. */
        long ourFinAt = -1;

        /** The stream offset of our sequence number {@code seq}, unwrapped near what was sent. */
        long ourOffset(int seq) {
            long near = out.end();
            return near + SeqNum.diff(seq, ourBase + (int) near);
        }

        /** The stream offset of the peer's sequence number {@code seq}, unwrapped near what it sent. */
        long peerOffset(int seq) {
            return peerEnd + SeqNum.diff(seq, peerBase + (int) peerEnd);
        }
    }
}
