package dev.handoff.agent.tcp;

import static dev.handoff.agent.wire.TcpSegment.ACK;
import static dev.handoff.agent.wire.TcpSegment.RST;
import static dev.handoff.agent.wire.TcpSegment.SYN;

import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.TcpHeaderWriter;
import dev.handoff.agent.wire.TcpSegment;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The connections of one host: demultiplexing by 4-tuple, listeners with bounded SYN
 * backlogs, the connection limit, and resets for segments that match nothing. Sans-IO
 * like {@link TcpConnection}: segments in through {@link #onSegment}, out through
 * {@link #poll}, deadlines from {@link #pollAt}.
 */
public final class TcpStack {
    /** Segments one connection may emit per {@link #poll} before the others get a turn. */
    private static final int BURST = 64;
    /** RFC 6335 §6: the dynamic port range for ephemeral ports. */
    private static final int EPHEMERAL_FIRST = 49152;

    /** A listening port. */
    static final class Listener {
        /** Address listened on, or 0 for any. */
        final int ip;
        /** Port listened on. */
        final int port;
        /** Connections in SYN-RECEIVED made by this listener. */
        int halfOpen;
        /** Established connections not yet taken by {@link #accept}. */
        final ArrayDeque<TcpConnection> acceptQueue = new ArrayDeque<>();

        Listener(int ip, int port) {
            this.ip = ip;
            this.port = port;
        }
    }

    /** Settings. */
    private final TcpConfig config;
    /** ISNs, timestamp offsets, ephemeral ports. */
    private final RandomGenerator random;
    /** Counters of everything dropped, refused or notable. */
    private final TcpCounters counters = new TcpCounters();
    /** Resets waiting to be sent. */
    private final ResetQueue resets;
    /** Connections by 4-tuple. */
    private final ConnectionTable table = new ConnectionTable();
    /** Listeners by port. */
    private final Map<Integer, Listener> listeners = new HashMap<>();
    /** Connections touched by input or by the application since the last drain. */
    private final ArrayDeque<TcpConnection> touched = new ArrayDeque<>();
    /** Header builder for resets. */
    private final TcpHeaderWriter resetHeader = new TcpHeaderWriter();

    /** Connections by their next deadline. */
    private final TimerHeap timers = new TimerHeap();
    /** Send rings of connections that moved away, for the next ones that fill their buffers. */
    private final RingPool rings = new RingPool(counters);
    /** Connections whose deadline an application call may have changed, to re-place in {@link #timers}. */
    private final ArrayDeque<TcpConnection> stale = new ArrayDeque<>();
    /** Timer rounds so far: a connection is polled at most once per round. */
    private long round;
    /** Connections due in the current timer round (reused). */
    private final java.util.ArrayList<TcpConnection> due = new java.util.ArrayList<>();

    /** New connections start with ACKs and data held until a checkpoint holds them (issue 5). */
    private boolean holdForCheckpoints;

    /** A stack with these settings; {@code random} supplies ISNs (RFC 9293 §3.4.1, RFC 6528), timestamp offsets and ports. */
    public TcpStack(TcpConfig config, RandomGenerator random) {
        this.config = config;
        this.random = random;
        this.resets = new ResetQueue(256, counters);
    }

    /** Settings. */
    public TcpConfig config() {
        return config;
    }

    /** Counters. */
    public TcpCounters counters() {
        return counters;
    }

    /** Starts accepting connections on {@code port} of {@code ip} (0: any address). */
    public void listen(int ip, int port) {
        checkPort(port);
        Listener existing = listeners.get(port);
        if (existing != null) {
            throw new IllegalStateException("port " + port + " is already listened on");
        }
        listeners.put(port, new Listener(ip, port));
    }

    /** Stops accepting on {@code port}; connections already made stay. */
    public void unlisten(int port) {
        listeners.remove(port);
    }

    /** The next established connection on a listening port, or null. */
    public TcpConnection accept(int port) {
        Listener l = listeners.get(port);
        if (l == null) {
            throw new IllegalStateException("port " + port + " is not listened on: call listen() first");
        }
        TcpConnection c = l.acceptQueue.poll();
        if (c != null) {
            c.listener = null;
        }
        return c;
    }

    /** Opens a connection (active open); {@code localPort} 0 picks a free ephemeral port. */
    public TcpConnection connect(long now, int localIp, int localPort, int remoteIp, int remotePort) {
        checkPort(remotePort);
        if (table.size() >= config.maxConnections()) {
            counters.connectionLimitDrops++;
            throw new IllegalStateException("connection limit of " + config.maxConnections() + " reached");
        }
        int port = localPort != 0 ? localPort : freeLocalPort(localIp, remoteIp, remotePort);
        checkPort(port);
        if (table.find(localIp, port, remoteIp, remotePort) != null) {
            throw new IllegalStateException("a connection " + Ipv4Address.format(localIp) + ":" + port + " -> "
                    + Ipv4Address.format(remoteIp) + ":" + remotePort + " already exists");
        }
        TcpConnection c = TcpConnection.connect(config, counters, resets, localIp, port, remoteIp, remotePort,
                random.nextInt(), random.nextInt());
        add(c);
        touch(c);
        settle(c);
        return c;
    }

    /** A free ephemeral local port towards {@code remoteIp:remotePort}; IllegalStateException if none. */
    public int freeLocalPort(int localIp, int remoteIp, int remotePort) {
        return freeLocalPort(localIp, remoteIp, remotePort, p -> true);
    }

    /**
     * A free ephemeral local port towards {@code remoteIp:remotePort} that {@code eligible}
     * accepts (a host with several event loops takes only ports whose 4-tuple hashes onto
     * the loop asking); IllegalStateException if none.
     */
    public int freeLocalPort(int localIp, int remoteIp, int remotePort, java.util.function.IntPredicate eligible) {
        int span = 65536 - EPHEMERAL_FIRST;
        int start = random.nextInt(span);
        for (int i = 0; i < span; i++) {
            int p = EPHEMERAL_FIRST + (start + i) % span;
            if (eligible.test(p) && table.find(localIp, p, remoteIp, remotePort) == null && !listeners.containsKey(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no free ephemeral port towards " + Ipv4Address.format(remoteIp) + ":" + remotePort);
    }

    private static void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 1..65535");
        }
    }

    /**
     * Connections established from now on ACK nothing and send nothing until a checkpointer
     * opens them ({@link TcpConnection#limitAck}, {@link TcpConnection#gateSend}).
     */
    public void holdForCheckpoints(boolean hold) {
        this.holdForCheckpoints = hold;
    }

    /** See {@link #holdForCheckpoints(boolean)}. */
    public boolean holdsForCheckpoints() {
        return holdForCheckpoints;
    }

    /**
     * Re-creates an endpoint from a snapshot and adds it to this stack (see
     * {@link TcpConnection#restore}). The endpoint keeps the state's send queue array as its
     * send buffer: the caller must not use the state again.
     */
    public TcpConnection restore(long now, EndpointState state, boolean withCongestionState) {
        if (table.find(state.localIp(), state.localPort(), state.remoteIp(), state.remotePort()) != null) {
            throw new IllegalStateException("a connection with this 4-tuple already exists here");
        }
        if (table.size() >= config.maxConnections()) {
            counters.connectionLimitDrops++;
            throw new IllegalStateException("connection limit of " + config.maxConnections() + " reached");
        }
        TcpConnection c = TcpConnection.restore(config, counters, resets, now, state, withCongestionState);
        add(c);
        touch(c);
        settle(c);
        return c;
    }

    /** Removes a connection without a word to the peer (no FIN, no RST): it lives on elsewhere. */
    public void detach(TcpConnection c) {
        if (c.tableIndex >= 0) {
            forget(c);
        }
    }

    /** The connection with this 4-tuple, or null. */
    public TcpConnection find(int localIp, int localPort, int remoteIp, int remotePort) {
        return table.find(localIp, localPort, remoteIp, remotePort);
    }

    /** Every connection (not listeners), in a stable order. */
    public List<TcpConnection> connections() {
        return table.list();
    }

    /** Handles one checked segment (its addresses come from the IP header). */
    public void onSegment(long now, TcpSegment seg) {
        counters.segmentsIn++;
        int localIp = seg.destinationIp();
        int localPort = seg.destinationPort();
        TcpConnection c = table.find(localIp, localPort, seg.sourceIp(), seg.sourcePort());
        if (c != null) {
            c.onSegment(now, seg);
            afterInput(c);
            touch(c);
            settle(c);
            return;
        }
        int flags = seg.flags();
        if ((flags & RST) != 0) {
            return; // RFC 9293 §3.10.7.1: never answer a reset
        }
        Listener l = listeners.get(localPort);
        if (l != null && (l.ip == 0 || l.ip == localIp) && (flags & (SYN | ACK)) == SYN) {
            acceptSyn(now, l, seg);
            return;
        }
        // RFC 9293 §3.10.7.1 (CLOSED) and §3.10.7.2 (LISTEN, an ACK): answer with a reset.
        if ((flags & ACK) != 0) {
            resets.add(localIp, seg.sourceIp(), localPort, seg.sourcePort(), seg.ack(), 0, RST);
        } else if (l == null) {
            resets.add(localIp, seg.sourceIp(), localPort, seg.sourcePort(), 0,
                    seg.seq() + seg.segmentLength(), RST | ACK);
        } else {
            return; // LISTEN: neither SYN nor ACK nor RST: drop
        }
        counters.resetsSent++;
    }

    private void acceptSyn(long now, Listener l, TcpSegment seg) {
        if (l.halfOpen >= config.synBacklog()) {
            counters.synBacklogDrops++; // the peer retransmits its SYN later
            return;
        }
        if (table.size() >= config.maxConnections()) {
            counters.connectionLimitDrops++;
            return;
        }
        TcpConnection c = TcpConnection.accept(config, counters, resets, now, seg, random.nextInt(), random.nextInt());
        c.listener = l;
        l.halfOpen++;
        add(c);
        touch(c);
        settle(c);
    }

    /** Notes that {@code c} has something to do (input arrived, the application wrote or read). */
    public void touch(TcpConnection c) {
        if (!c.touched) {
            c.touched = true;
            touched.add(c);
        }
    }

    /** Some connection was touched since the last {@link #drainTouched}. */
    public boolean hasTouched() {
        return !touched.isEmpty();
    }

    /** Moves the connections touched since the last call into {@code out}, clearing their mark. */
    public void drainTouched(java.util.Collection<TcpConnection> out) {
        TcpConnection c;
        while ((c = touched.poll()) != null) {
            c.touched = false;
            out.add(c);
        }
    }

    /**
     * Emits what one connection has due now (after input or an application call). A
     * connection no longer in this stack (detached: moved away) emits nothing, even if it
     * was touched before it left: two senders must never speak for one connection.
     */
    public void poll(long now, TcpConnection c, SegmentSink sink) {
        resets.drain(sink, resetHeader);
        if (c.tableIndex >= 0) {
            emitFrom(now, c, sink);
        }
        resets.drain(sink, resetHeader);
    }

    /** Up to {@link #BURST} segments from one connection. */
    private void emitFrom(long now, TcpConnection c, SegmentSink sink) {
        c.polledRound = round;
        for (int k = 0; k < BURST; k++) {
            int len = c.poll(now, sink.buffer(), sink.offset(), sink.maxPayload(), sink.partialChecksum());
            if (len == 0) {
                break;
            }
            sink.send(c.localIp(), c.remoteIp(), len, c.lastGsoSize());
        }
        afterInput(c);
        settle(c);
    }

    /** Re-places {@code c} by its next deadline, or lets it go once closed (the application holds it if it wants). */
    private void settle(TcpConnection c) {
        c.deadlineStale = false;
        if (c.tableIndex < 0) {
            return;
        }
        if (c.state() == TcpState.CLOSED && c.listener == null) {
            remove(c);
        } else {
            timers.schedule(c, c.pollAt());
        }
    }

    private void add(TcpConnection c) {
        table.add(c);
        c.stack = this;
        c.drawRingsFrom(rings);
    }

    /**
     * Empties the send buffer of {@code c}, detached from this stack for good (it moved away
     * and the move is settled: nothing will dump or run it again), and keeps its ring for
     * the next connection whose buffer fills.
     */
    public void recycle(TcpConnection c) {
        if (c.tableIndex >= 0) {
            throw new IllegalStateException("connection " + c + " is still in the stack: detach it before recycling it");
        }
        c.releaseSendBuffer();
    }

    private void remove(TcpConnection c) {
        table.remove(c);
        timers.remove(c);
        c.stack = null;
    }

    /** An application call on {@code c} may have changed its deadline (see {@link TcpConnection}). */
    void deadlineStale(TcpConnection c) {
        stale.add(c);
    }

    /** Polls the connections application calls changed since they were last polled (some arm timers only when polled). */
    private void pollStale(long now, SegmentSink sink) {
        TcpConnection c;
        while ((c = stale.poll()) != null) {
            if (c.deadlineStale) {
                if (c.tableIndex >= 0) {
                    emitFrom(now, c, sink);
                }
                c.deadlineStale = false;
            }
        }
    }

    /** After input or a timer: hand newly established connections to their listener, forget closed ones. */
    private void afterInput(TcpConnection c) {
        Listener l = c.listener;
        if (l != null && c.state() != TcpState.SYN_RECEIVED && c.tableIndex >= 0 && !l.acceptQueue.contains(c)) {
            l.halfOpen--;
            if (c.state() != TcpState.CLOSED) {
                l.acceptQueue.add(c);
            } else {
                c.listener = null;
            }
        }
    }

    private void forget(TcpConnection c) {
        Listener l = c.listener;
        if (l != null) {
            if (!l.acceptQueue.remove(c)) {
                l.halfOpen--;
            }
            c.listener = null;
        }
        remove(c);
    }

    /**
     * A timer round: emits what every connection whose deadline has come has to send, and
     * lets go of those that closed; connections whose state changed on a timer are touched.
     */
    public void poll(long now, SegmentSink sink) {
        round++;
        resets.drain(sink, resetHeader);
        pollStale(now, sink);
        due.clear();
        timers.due(now, due); // only the connections whose deadline has come: O(due · log n), not O(n)
        for (int i = 0; i < due.size(); i++) {
            TcpConnection c = due.get(i);
            if (c.polledRound == round) {
                continue; // polled in this round already (an application call had changed it)
            }
            TcpState before = c.state();
            emitFrom(now, c, sink);
            if (c.state() != before) {
                touch(c); // closed or timed out on a timer: its owner hears of it
            }
        }
        resets.drain(sink, resetHeader);
    }

    /** When {@link #poll} must run next: {@code Long.MIN_VALUE} for now, {@link TcpConnection#NEVER} for no deadline. */
    public long pollAt() {
        if (!resets.isEmpty()) {
            return Long.MIN_VALUE;
        }
        TcpConnection c;
        while ((c = stale.peek()) != null && !c.deadlineStale) {
            stale.poll(); // polled since the application call: its deadline is in the heap
        }
        return stale.isEmpty() ? timers.next() : Long.MIN_VALUE;
    }

    /** Connections held (all states). */
    public int connectionCount() {
        return table.size();
    }
}
