package dev.handoff.agent.host;

import dev.handoff.agent.ici.IciCodec;
import dev.handoff.agent.ici.IciLimits;
import dev.handoff.agent.ici.InvalidIciException;
import dev.handoff.agent.link.FlowHash;
import dev.handoff.agent.link.PacketLink;
import dev.handoff.agent.tcp.EndpointState;
import dev.handoff.agent.tcp.SegmentSink;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpCounters;
import dev.handoff.agent.tcp.TcpStack;
import dev.handoff.agent.tcp.TcpState;
import dev.handoff.agent.wire.ArpPacket;
import dev.handoff.agent.wire.Bytes;
import dev.handoff.agent.wire.EthernetFrame;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.Ipv4Packet;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.agent.wire.MalformedPacketException;
import dev.handoff.agent.wire.MoveFrame;
import dev.handoff.agent.wire.SeqNum;
import dev.handoff.agent.wire.TcpSegment;
import dev.handoff.proto.v1.Ici;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * One event loop of a {@link Host}: owns the connections whose flows hash onto it
 * ({@link FlowHash}), with everything about them (forwarding, held frames, moves, imports),
 * and a copy of the host's VIPs, listeners and restorers; answers ARP when it is the
 * primary loop (index 0). It feeds TCP segments to its own {@link TcpStack} and drives its
 * connections on its own thread (DESIGN.md "Data path"). Other threads talk to it through
 * {@link #call} and {@link #execute}, which run on the loop.
 *
 * <p>The loop: handle a batch of frames from the link; give touched connections to their
 * drivers; poll them; fire due timers; sleep in the link until a frame, a task or the
 * next deadline (the link's receive waits no longer than that).
 */
public final class HostLoop implements AutoCloseable {
    /** Timer rounds poll every connection; between them only touched ones are polled. */
    private static final long NEVER = TcpConnection.NEVER;
    /** Connections remembered with the incarnation they were last imported at (replay protection). */
    private static final int IMPORTS_REMEMBERED = 100_000;
    /** Least time between two ARP requests for one address, ms. */
    private static final long ARP_RETRY_MS = 200;
    /** Longest a connection back at its relay waits for the data its origin sends back before taking the frames behind it, ms. */
    static final long SETTLE_MS = 5;

    /** Name for logs. */
    private final String name;
    /** This loop's index among its host's loops. */
    private final int index;
    /** How many loops the host has. */
    private final int loops;
    /** The primary loop (index 0) answers ARP and reports VIP changes for the whole host. */
    private final boolean primary;
    /** Where frames come from and go. */
    private final PacketLink link;
    /** The TCP stack. */
    private final TcpStack stack;
    /** Owned VIPs; replaced whole when it changes, read by the loop without locks. */
    private volatile int[] vips = new int[0];
    /** Peers' MACs. */
    private final Neighbors neighbors = new Neighbors();
    /** Frames waiting for ARP to resolve their next hop. */
    private final AwaitingArp awaitingArp = new AwaitingArp();
    /** When an ARP request for an address was last sent (ms, as a MAC-less table). */
    private final Neighbors arpRequested = new Neighbors();
    /** Frame counters. */
    private final HostCounters counters = new HostCounters();
    /** Work submitted by other threads. */
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Ports served, with their acceptors (loop thread only). */
    private final Map<Integer, ConnectionAcceptor> acceptors = new HashMap<>();
    /** How to re-create the application of a connection moved here, by application name (loop thread only). */
    private final Map<String, ConnectionRestorer> restorers = new HashMap<>();
    /** VIPs whose connections may be moved here before the VIP is taken (written on the loop, read by heartbeats too). */
    private final java.util.Set<Integer> expected = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Incarnation each connection was last imported here at, by 4-tuple key, the oldest forgotten first (loop thread only). */
    private final java.util.LinkedHashMap<Long, Imported> imported = new java.util.LinkedHashMap<>();
    /** VIPs being moved out: released here, not yet delivered to their destination (read by heartbeats). */
    private final java.util.Set<Integer> leaving = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Network (masked) whose addresses connections may be moved here for, with {@link #acceptPrefix}. */
    private volatile int acceptNetwork;
    /** Prefix length of {@link #acceptNetwork}; -1 accepts none. */
    private volatile int acceptPrefix = -1;
    /** Connections moved away: their inbound frames go to the new owner (4-tuple key, loop thread only). */
    private final Map<Long, Forward> forwards = new HashMap<>();
    /** VIPs moved away with their connections: every frame for them goes to the new owner (loop thread only). */
    private final Map<Integer, Forward> vipForwards = new HashMap<>();
    /** The settling whose connection just took a frame its origin sent back ({@link #settle}), or null (loop thread only). */
    private Forward settledBy;
    /** The forwarding key of {@link #settledBy}. */
    private long settledKey;
    /**
     * Connections exported and not yet settled by {@link #finishMove}, by 4-tuple key (loop
     * thread only): a failed move re-creates them from a whole dump, as their ICI may leave
     * out bytes pre-copied to the destination. Detached, they no longer change.
     */
    private final Map<Long, Connection> exported = new HashMap<>();
    /** Connections isolated by {@link #isolate} and not yet discarded (by id, loop thread only). */
    private final Map<String, Connection> isolated = new HashMap<>();
    /** Endpoints created by {@link #create} and not yet activated (by id, loop thread only). */
    private final Map<String, Host.Import> created = new HashMap<>();
    /** Connections handed to drivers (loop thread only). */
    private final Map<TcpConnection, Connection> connections = new IdentityHashMap<>();
    /**
     * Connections moved in, by the token of their move, the oldest forgotten first (loop thread
     * only): an ICI that comes both over the link and, its answer lost, over the control
     * channel is imported once and answered twice. Kept as their 4-tuple and incarnation, not
     * the connection: a reference kept every connection ever moved in, send buffer and all,
     * long after it left (a stream moved every 100 ms held ~500 MB of each agent's heap).
     */
    private final java.util.LinkedHashMap<Long, MovedIn> movedInByToken = new java.util.LinkedHashMap<>();
    /** What is done with move frames (ICIs sent loop to loop, and answers); null drops them. */
    private volatile MoveFrames moveFrames;
    /** Reused parser of move frames. */
    private final MoveFrame move = new MoveFrame();
    /** Where events (opened, closed, moved) are reported: the host's log. */
    private final Consumer<HostEvent> events;
    /** Further listeners (control API watchers); called on the loop thread, must not block. */
    private final List<Consumer<HostEvent>> listeners = new CopyOnWriteArrayList<>();
    /** Moved-out ICIs carry cwnd/ssthresh/srtt/rttvar (destination on the same L2 segment). */
    private volatile boolean carryCongestion = true;
    /** How Linux schedules the loop thread ({@link ThreadScheduling#NORMAL}: left as started). */
    private volatile ThreadScheduling scheduling = ThreadScheduling.NORMAL;
    /** Outgoing frame buffer: Ethernet + IPv4 headers, then the TCP segment. */
    private final byte[] out;
    /** Reused parsers. */
    private final EthernetFrame eth = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final TcpSegment tcp = new TcpSegment();
    /** Connections touched in the current round. */
    private final ArrayList<TcpConnection> batch = new ArrayList<>();
    /** Moves waiting for a connection's send buffer to drain ({@link #drainTo}; loop thread only). */
    private final ArrayList<DrainWait> drainWaits = new ArrayList<>();
    /** Origin of {@link #now()}, shared by a host's loops. */
    private final long epochNanos;
    /** Next deadline of any connection, ms. */
    private long nextTimer = NEVER;
    /** The loop runs. */
    private volatile boolean running;
    /** Stop after connections have closed, or at this time (ms) at the latest; NEVER while serving. */
    private long stopDeadline = NEVER;
    /** The loop thread. */
    private Thread loopThread;
    /** Counted down when the loop has ended. */
    private final CountDownLatch ended = new CountDownLatch(1);
    /** What ended the loop abnormally, or null. */
    private volatile Throwable failure;

    /** Largest TCP payload per frame the link segments for us (GSO), or 0. */
    private final int maxPayload;

    /** Writes frames for the stack's segments, in place after room for the link, Ethernet and IPv4 headers. */
    private final SegmentSink sink = new SegmentSink() {
        @Override
        public byte[] buffer() {
            return out;
        }

        @Override
        public int offset() {
            return EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH;
        }

        @Override
        public int maxPayload() {
            return maxPayload;
        }

        @Override
        public boolean partialChecksum() {
            return link.offloadsChecksum();
        }

        @Override
        public void send(int sourceIp, int destinationIp, int len, int gsoSize) {
            sendSegment(sourceIp, destinationIp, len, gsoSize);
        }
    };

    /**
     * Loop {@code index} of {@code loops} of host {@code name}, on {@code link} (its lane of the
     * host's link), with TCP settings {@code config}; {@code events} receives every {@link HostEvent}.
     */
    HostLoop(String name, int index, int loops, long epochNanos, PacketLink link, TcpConfig config, RandomGenerator random,
             Consumer<HostEvent> events) {
        this.name = name;
        this.index = index;
        this.loops = loops;
        this.primary = index == 0;
        this.epochNanos = epochNanos;
        this.link = link;
        this.stack = new TcpStack(config, random);
        this.events = events;
        this.maxPayload = link.maxTcpPayload();
        this.out = new byte[EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH
                + TcpSegment.MAX_HEADER_LENGTH + Math.max(config.mss(), maxPayload)];
    }

    /** Milliseconds since this host started: the engine's clock. */
    public long now() {
        return (System.nanoTime() - epochNanos) / 1_000_000;
    }

    /** Name for logs. */
    public String name() {
        return name;
    }

    /** Takes a VIP: answers ARP for it from now on and announces it with a gratuitous ARP. */
    public CompletableFuture<Void> addVip(int vip) {
        return call(() -> {
            takeVip(vip);
            return null;
        });
    }

    private void takeVip(int vip) {
        expected.remove(vip);
        Forward f = vipForwards.remove(vip);
        if (f != null) {
            release(f, false); // it came back: frames held for its leaving are ours again
        }
        if (owns(vip)) {
            return;
        }
        int[] current = vips;
        int[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = vip;
        vips = next;
        if (primary) { // one announcement and one event for the whole host
            gratuitousArp(vip);
            emit(HostEvent.VIP_TAKEN, Ipv4Address.format(vip), "on " + link.name());
        }
    }

    /** Gives up a VIP: no more ARP answers for it, and its packets are no longer taken. */
    public void removeVip(int vip) {
        execute(() -> {
            if (owns(vip)) {
                vips = Arrays.stream(vips).filter(v -> v != vip).toArray();
                if (primary) {
                    emit(HostEvent.VIP_RELEASED, Ipv4Address.format(vip), "");
                }
            }
        });
    }

    /**
     * Falls silent for a VIP this host may no longer speak for (its lease lapsed): the VIP is
     * no longer answered for, and each of its connections is forgotten without FIN or RST,
     * nothing more sent, so that the agent taking the VIP over resurrects them from their
     * checkpoints and the peer never hears two senders. Completes with how many were dropped.
     */
    public CompletableFuture<Integer> abandonVip(int vip, String reason) {
        return call(() -> {
            boolean owned = owns(vip);
            vips = Arrays.stream(vips).filter(v -> v != vip).toArray();
            expected.remove(vip);
            int dropped = 0;
            for (Connection c : List.copyOf(connections.values())) {
                TcpConnection t = c.tcp();
                if (t.localIp() == vip) {
                    stack.detach(t);
                    connections.remove(t);
                    c.closedNotified = true; // it lives on from its checkpoint: no close event here
                    dropped++;
                }
            }
            if ((owned || dropped > 0) && loops == 1) { // several loops: the host reports their sum
                emit(HostEvent.VIP_ABANDONED, Ipv4Address.format(vip), reason + "; " + dropped
                        + " connections left to their checkpoints");
            }
            return dropped;
        });
    }

    /**
     * Accepts connections moved here for {@code vip} before the VIP itself arrives (it is
     * taken with {@link #addVip} once the connections are in, so no segment finds none).
     */
    public void expectVip(int vip) {
        execute(() -> expected.add(vip));
    }

    /**
     * Accepts connections moved here for any address of {@code network}/{@code prefix}
     * (the interface's subnet) without owning it: their peers keep reaching the VIP's owner,
     * which forwards their frames here.
     */
    public void acceptMovedConnectionsIn(int network, int prefix) {
        acceptNetwork = prefix == 0 ? 0 : network & (-1 << (32 - prefix));
        acceptPrefix = prefix;
    }

    private boolean mayTake(int address) {
        int p = acceptPrefix;
        if (p < 0) {
            return false;
        }
        int mask = p == 0 ? 0 : -1 << (32 - p);
        return (address & mask) == acceptNetwork;
    }

    /** The MAC address of this host's link. */
    public long mac() {
        return link.mac();
    }

    /** Lets connections of {@code application} be moved here; {@code restorer} re-creates their drivers. */
    public void restoreWith(String application, ConnectionRestorer restorer) {
        execute(() -> restorers.put(application, restorer));
    }

    /** Sends moved-out ICIs with (true) or without (false) the congestion state; on by default. */
    public void carryCongestionState(boolean carry) {
        carryCongestion = carry;
    }

    /** Has Linux schedule the loop thread so (see {@link ThreadScheduling}); call before {@link #start}. */
    public void scheduleThreads(ThreadScheduling scheduling) {
        this.scheduling = scheduling;
    }

    /** Schedules the calling (loop) thread as {@link #scheduling} says, and logs how it went. */
    private void takeScheduling() {
        ThreadScheduling s = scheduling;
        if (s.equals(ThreadScheduling.NORMAL)) {
            return;
        }
        String why = s.applyToCurrentThread();
        String thread = Thread.currentThread().getName();
        if (why != null) {
            emitSoon(HostEvent.PRIORITY, thread, "keeps the scheduling it started with: " + why);
        } else {
            emitSoon(HostEvent.PRIORITY, thread, "runs at " + s);
        }
    }

    /** Listens to this host's events besides its log; the listener runs on the loop and must not block. */
    public Runnable addListener(Consumer<HostEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * Moves a connection out (DESIGN.md "Live migration" steps 2 and 5): between two events
     * its endpoint and application are frozen and dumped into an ICI, and the endpoint leaves
     * this stack without a word to the peer. Frames for it that still arrive here are held
     * until {@link #finishMove} says whether the destination took it: then they go on to
     * {@code forwardToMac}, the new owner, or back into the connection re-created here.
     * The send stream's bytes {@code [heldFrom, heldTo)} are held by the destination already
     * (a pre-copy): the ICI leaves out those from SND.UNA on ({@code send_precopied}), and
     * they are not even copied here. With {@code destinationHolds} (it holds the connection's
     * frames until its import: {@link #prepareImport}), frames go on to it at once instead,
     * so that the peer's segments reach the new endpoint as it starts.
     */
    public CompletableFuture<Host.Export> exportConnection(String id, long forwardToMac, long leaseEpoch, long heldFrom,
                                                          long heldTo, boolean destinationHolds) {
        return call(() -> {
            Host.Export e = export(connection(id), leaseEpoch, heldFrom, heldTo);
            Forward f = forwards.get(e.key());
            f.mac = forwardToMac;
            if (destinationHolds) {
                release(f, true);
            }
            return e;
        });
    }

    /** {@link Connection#copySendStream} of connection {@code id}, on the loop: what a pre-copy sends ahead of a move. */
    public CompletableFuture<Connection.SendCopy> copySendStream(String id, long from, int max) {
        return call(() -> connection(id).copySendStream(from, max));
    }

    /**
     * Holds connection {@code id}'s application back from writing (as {@link #holdWrites}) and
     * completes, from the loop, as soon as its send buffer holds at most {@code most} bytes
     * (the peer's ACKs drain it) and the peer pauses between writes (at most
     * {@link DrainWait#LULL_WAIT_MS} later; see {@link DrainWait}), with the bytes held then: a
     * move learns that it may freeze when it may, without asking the loop again and again.
     * Cancelling the answer ends the wait; the writes stay held.
     */
    public CompletableFuture<Integer> drainTo(String id, int most) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        call(() -> {
            Connection c = connection(id);
            c.holdWrites(true);
            long now = now();
            DrainWait w = new DrainWait(c, most, now + DrainWait.LULL_WAIT_MS, done);
            if (!drained(w, now)) {
                drainWaits.add(w);
            }
            return null;
        }).exceptionally(e -> {
            done.completeExceptionally(e);
            return null;
        });
        return done;
    }

    /** Completes {@code w} if its connection may freeze at {@code now}, left, or the wait was cancelled; whether it is over. */
    private boolean drained(DrainWait w, long now) {
        if (w.done().isDone()) {
            return true;
        }
        if (connections.get(w.c().tcp()) != w.c()) {
            return w.done().completeExceptionally(new IllegalStateException("connection " + w.c().id()
                    + " left host " + name + " while its send buffer drained"));
        }
        return w.ready(now) && w.done().complete(w.c().tcp().sendBufferUsed());
    }

    /**
     * Holds connection {@code id}'s application back from writing ({@code hold}), or lets it
     * write again; answers the send bytes in its buffer (unacknowledged or unsent). Before a
     * move of a fast sender: its buffer drains at line rate while nothing new comes in, so the
     * freeze moves little (a pre-copy cannot catch up with a buffer replaced every few ms).
     */
    public CompletableFuture<Integer> holdWrites(String id, boolean hold) {
        return call(() -> {
            Connection c = connection(id);
            c.holdWrites(hold);
            return c.tcp().sendBufferUsed();
        });
    }

    /**
     * Moves a VIP out with every established connection on it: the VIP is no longer
     * answered for, every frame addressed to it is held (then forwarded or replayed, see
     * {@link #finishMove}), and each connection is frozen and dumped. Connections still in
     * their handshake stay behind and are reset by the new owner when the peer completes it.
     */
    public CompletableFuture<List<Host.Export>> exportVip(int vip, long forwardToMac, long leaseEpoch) {
        return call(() -> {
            if (!owns(vip)) {
                throw new IllegalArgumentException(Ipv4Address.format(vip) + " is not a VIP of host " + name);
            }
            vips = Arrays.stream(vips).filter(v -> v != vip).toArray();
            leaving.add(vip);
            vipForwards.put(vip, new Forward(forwardToMac));
            List<Host.Export> out = new ArrayList<>();
            for (Connection c : List.copyOf(connections.values())) {
                if (c.tcp().localIp() == vip) {
                    Host.Export e = export(c, leaseEpoch, 0, 0);
                    forwards.remove(e.key()); // the VIP's forwarding entry holds and forwards its frames
                    out.add(e);
                }
            }
            if (loops == 1) { // several loops: the host reports their sum
                emit(HostEvent.VIP_RELEASED, Ipv4Address.format(vip), out.size() + " connections");
            }
            return out;
        });
    }

    private Host.Export export(Connection c, long leaseEpoch, long heldFrom, long heldTo) {
        long frozenAt = System.nanoTime();
        isolateNow(c);
        Host.Export e = new Host.Export(dumpNow(c, leaseEpoch, heldFrom, heldTo), neighbors.get(c.tcp().remoteIp()), frozenAt);
        isolated.remove(c.id()); // the caller owns the move from here (finishMove)
        exported.put(e.key(), c);
        emitSoon(HostEvent.MOVED_OUT, c.id(), "in=" + c.bytesIn() + " out=" + c.bytesOut()); // after the ICI left
        return e;
    }

    /** Takes {@code c} out of the stack without a word to the peer; its frames are held from now on. */
    private void isolateNow(Connection c) {
        TcpConnection t = c.tcp();
        long key = tupleKey(t.remoteIp(), t.remotePort(), t.localPort());
        endSettlingOf(key); // what waits for returned data is the connection's: it takes it now, and it leaves in the dump
        t.flushDelayedAck(); // the peer gets its ACK before the freeze, not after it
        stack.poll(now(), t, sink);
        stack.detach(t);
        connections.remove(t);
        c.closedNotified = true; // it lives on elsewhere: no close event here
        isolated.put(c.id(), c);
        Forward f = forwards.computeIfAbsent(key, k -> new Forward(-1));
        if (f.held == null) {
            f.held = new ArrayDeque<>();
        }
    }

    /** The ICI of {@code c}, leaving out the send bytes of {@code [heldFrom, heldTo)} from SND.UNA on (its destination holds them). */
    private Ici dumpNow(Connection c, long leaseEpoch, long heldFrom, long heldTo) {
        TcpConnection t = c.tcp();
        long una = c.streamOffset(t.sndUnaData());
        int leaveOut = heldFrom <= una && heldTo > una ? (int) Math.min(heldTo - una, t.sendBufferUsed()) : 0;
        return IciCodec.encode(t.snapshot(leaveOut), now(), System.currentTimeMillis(), c.driver.application(),
                c.driver.snapshot(), leaseEpoch, carryCongestion, una).toBuilder()
                .setIncarnation(c.incarnation() + 1).setSendPrecopied(leaveOut).build();
    }

    // ---------------------------------------------- tcpcp's endpoint operations (paper §2)

    /**
     * Isolates a connection (paper §2 step 2): it leaves the stack, sends nothing more, and
     * every frame for it is held (not discarded, as in tcpcp: nothing the peer sent is lost).
     * Its application is frozen with it, between two events.
     */
    public CompletableFuture<Void> isolate(String id) {
        return call(() -> {
            isolateNow(connection(id));
            return null;
        });
    }

    /** The ICI of an isolated connection (step 3); may be called again, the endpoint stays isolated. */
    public CompletableFuture<Ici> dump(String id, long leaseEpoch) {
        return call(() -> {
            Connection c = isolated.get(id);
            if (c == null) {
                throw new IllegalArgumentException("connection " + id + " is not isolated on host " + name + ": isolate it first");
            }
            return dumpNow(c, leaseEpoch, 0, 0);
        });
    }

    /**
     * Ends an isolated connection here once another agent runs it (step 8): it is forgotten
     * without FIN or RST, and its held and later frames go on to {@code newOwnerMac}.
     */
    public CompletableFuture<Void> discard(String id, long newOwnerMac) {
        return call(() -> {
            Connection c = isolated.remove(id);
            if (c == null) {
                throw new IllegalArgumentException("connection " + id + " is not isolated on host " + name);
            }
            Forward f = forwards.get(keyOf(id));
            f.mac = newOwnerMac;
            release(f, true);
            emit(HostEvent.MOVED_OUT, id, "in=" + c.bytesIn() + " out=" + c.bytesOut());
            return null;
        });
    }

    /**
     * Creates an endpoint from an ICI (step 7), validated like any import, with its local
     * port chosen by {@code mode} (§2.1), but does not activate it: nothing is sent and its
     * frames are held until {@link #activate}. Completes with the new endpoint's id.
     */
    public CompletableFuture<String> create(Ici ici, PortMode mode, long peerMac) {
        return call(() -> {
            Ici placed = switch (mode) {
                case PortMode.Same same -> ici;
                case PortMode.Bound bound -> ici.toBuilder().setLocalPort(bound.port()).build();
                case PortMode.Any any -> ici.toBuilder()
                        .setLocalPort(freeLocalPort(ici.getLocalIp(), ici.getRemoteIp(), ici.getRemotePort())).build();
            };
            IciCodec.Decoded d = decode(placed, 0, 1, 0);
            EndpointState s = d.endpoint();
            String id = Connection.id(s.localIp(), s.localPort(), s.remoteIp(), s.remotePort());
            if (stack.find(s.localIp(), s.localPort(), s.remoteIp(), s.remotePort()) != null || created.containsKey(id)) {
                throw new IllegalArgumentException("connection " + id + " already exists on host " + name);
            }
            created.put(id, new Host.Import(placed, peerMac));
            Forward f = forwards.computeIfAbsent(tupleKey(s.remoteIp(), s.remotePort(), s.localPort()), k -> new Forward(-1));
            if (f.held == null) {
                f.held = new ArrayDeque<>();
            }
            return id;
        });
    }

    /** Activates a created endpoint (steps 9 and 10): pending data, or an ACK that wakes the peer, goes out now. */
    public CompletableFuture<Connection> activate(String id) {
        return call(() -> {
            Host.Import i = created.remove(id);
            if (i == null) {
                throw new IllegalArgumentException("no created endpoint " + id + " on host " + name + ": create it first");
            }
            return importAll(List.of(i), 0).getFirst();
        });
    }

    private Connection connection(String id) {
        for (Connection x : connections.values()) {
            if (x.id().equals(id)) {
                return x;
            }
        }
        throw new IllegalArgumentException("no connection " + id + " on host " + name);
    }

    /** Decodes and validates ICI {@code index} of {@code count} for an import into {@code vip} (or 0). */
    private IciCodec.Decoded decode(Ici ici, int index, int count, int vip) {
        return decode(ici, index, count, vip, 0);
    }

    /** Like {@link #decode(Ici, int, int, int)}, the timestamp clock moved on by {@code clockSkewMs} more. */
    private IciCodec.Decoded decode(Ici ici, int index, int count, int vip, long clockSkewMs) {
        IciLimits limits = new IciLimits(stack.config(),
                ip -> owns(ip) || ip == vip || expected.contains(ip) || mayTake(ip), restorers.keySet(), Host.MAX_APPLICATION_STATE);
        try {
            return IciCodec.decode(ici, limits, now(), System.currentTimeMillis(), clockSkewMs);
        } catch (InvalidIciException e) {
            throw new IllegalArgumentException(count == 1 ? e.getMessage()
                    : "connection " + (index + 1) + " of " + count + ": " + e.getMessage(), e);
        }
    }

    /**
     * Ends a move begun with {@link #exportConnection} or {@link #exportVip} ({@code vip}, else
     * 0). When the destination took the connections ({@code delivered}), the frames held for
     * them go on to it and so will later ones. Otherwise they are re-created here, the VIP is
     * taken back, and the held frames are fed to them: never two owners, never none, no frame lost.
     */
    public CompletableFuture<Void> finishMove(List<Host.Export> exports, int vip, boolean delivered, String reason) {
        return call(() -> {
            List<Forward> ended = new ArrayList<>();
            if (vip != 0) {
                ended.add(delivered ? vipForwards.get(vip) : vipForwards.remove(vip));
                leaving.remove(vip); // delivered: the destination expects it now; or back here
            }
            List<Host.Import> back = new ArrayList<>(exports.size());
            for (Host.Export e : exports) {
                ended.add(delivered ? forwards.get(e.key()) : forwards.remove(e.key()));
                Connection c = exported.remove(e.key());
                if (delivered && c != null) {
                    stack.recycle(c.tcp()); // it lives on at the destination: its ring serves the next arrival here
                }
                if (!delivered) {
                    // Its ICI may leave out bytes pre-copied to the destination: dumped again, whole.
                    boolean partial = e.ici().getSendPrecopied() > 0;
                    back.add(new Host.Import(partial && c != null ? dumpNow(c, e.ici().getLeaseEpoch(), 0, 0) : e.ici(),
                            e.peerMac()));
                }
            }
            if (!delivered) {
                for (Connection c : importAll(back, vip, 0, Arrival.RETURNED)) {
                    emit(HostEvent.MOVE_FAILED, c.id(), reason);
                }
                if (vip != 0) {
                    takeVip(vip);
                }
            }
            for (Forward f : ended) {
                if (f != null) {
                    release(f, delivered);
                }
            }
            return null;
        });
    }

    /**
     * Moves a connection in (steps 4 and 6); see {@link #importConnections}.
     */
    public CompletableFuture<Connection> importConnection(Ici ici, long peerMac) {
        return importConnections(List.of(new Host.Import(ici, peerMac)), 0).thenApply(List::getFirst);
    }

    /**
     * Moves connections in (DESIGN.md "Live migration" steps 4 and 6): validates every ICI
     * first, then re-creates each endpoint and its application and activates it at once
     * (pending data or a window update goes out, waking the peer). {@code vip} (else 0) is
     * the VIP they belong to, expected here ({@link #expectVip}) and taken later with
     * {@link #addVip}. One refused ICI refuses them all and changes nothing; the future fails
     * with the reason.
     */
    public CompletableFuture<List<Connection>> importConnections(List<Host.Import> imports, int vip) {
        return importConnections(imports, vip, 0);
    }

    /**
     * {@link #importConnections}, for the move with {@code token} (0: none): a connection that
     * move already brought in over the link ({@link #importMoved}) is answered, not imported again.
     */
    public CompletableFuture<List<Connection>> importConnections(List<Host.Import> imports, int vip, long token) {
        return call(() -> importOnce(imports, vip, token));
    }

    /**
     * Imports the one connection whose ICI came over the link in a move frame with
     * {@code token} (on this loop's thread: from {@link MoveFrames}). Only a move announced with
     * that token by {@link #prepareImport} is imported: for any other frame (late, replayed, or
     * not for this host) the answer is null and nothing changes. A connection the move already
     * brought in is answered again. Refusals as {@link #importConnections}.
     */
    public Connection importMoved(Host.Import i, long token) {
        Ici ici = i.ici();
        Forward f = forwards.get(tupleKey(ici.getRemoteIp(), ici.getRemotePort(), ici.getLocalPort()));
        if (token == 0 || f == null || f.token != token) {
            return movedInBy(token); // the move brought it in already (its hold is gone), or null
        }
        return importOnce(List.of(i), 0, token).getFirst();
    }

    /** The connection the move with {@code token} brought here, if it still runs here; else null. */
    private Connection movedInBy(long token) {
        MovedIn m = token == 0 ? null : movedInByToken.get(token);
        if (m == null) {
            return null;
        }
        TcpConnection t = stack.find(m.localIp(), m.localPort(), m.remoteIp(), m.remotePort());
        Connection c = t == null ? null : connections.get(t);
        return c != null && c.incarnation() == m.incarnation() ? c : null;
    }

    /** What is remembered of a connection a move brought in: enough to find it while it is still here. */
    private record MovedIn(int localIp, int localPort, int remoteIp, int remotePort, long incarnation) {
        static MovedIn of(Connection c) {
            TcpConnection t = c.tcp();
            return new MovedIn(t.localIp(), t.localPort(), t.remoteIp(), t.remotePort(), c.incarnation());
        }
    }

    private List<Connection> importOnce(List<Host.Import> imports, int vip, long token) {
        Connection before = movedInBy(token);
        if (before != null && imports.size() == 1) {
            return List.of(before); // imported over the link; the origin, its answer lost, sent the ICI again
        }
        List<Connection> in = importAll(imports, vip);
        if (token != 0 && in.size() == 1) {
            movedInByToken.put(token, MovedIn.of(in.getFirst()));
            if (movedInByToken.size() > IMPORTS_REMEMBERED) {
                movedInByToken.pollFirstEntry();
            }
        }
        return in;
    }

    /** Hands move frames received from now on to {@code handler} (null: they are dropped). */
    public void handleMoveFrames(MoveFrames handler) {
        moveFrames = handler;
    }

    /** Sends a whole frame (a move frame) through this loop's link: at once on the loop's thread, else from the loop. */
    public void sendFrame(byte[] frame) {
        if (Thread.currentThread() == loopThread) {
            link.send(frame, 0, frame.length);
        } else {
            execute(() -> link.send(frame, 0, frame.length));
        }
    }

    /**
     * Resurrects connections from their last checkpoints (paper §6.1), after their host died:
     * each {@code ici} carries the checkpointed state with its send bytes. The timestamp clock
     * continues at the checkpointed value plus the wall-clock time since, plus
     * {@code clockSkewMs} (how far apart the hosts' clocks may be); each endpoint probes its
     * peer at once and believes its first ACK. {@code vip} (else 0) is taken and announced
     * once they are all in. All or nothing, like {@link #importConnections}.
     */
    public CompletableFuture<List<Connection>> resurrect(List<Ici> icis, int vip, long clockSkewMs) {
        return call(() -> {
            List<Connection> in = importAll(icis.stream().map(i -> new Host.Import(i, -1)).toList(), vip, clockSkewMs,
                    Arrival.RESURRECTED);
            if (vip != 0) {
                takeVip(vip);
            }
            return in;
        });
    }

    /**
     * With {@code hold}, connections established from now on, and those moved in, acknowledge
     * and send only what a checkpoint holds; a checkpointer (package {@code checkpoint})
     * opens them as its checkpoints become durable.
     */
    public void holdForCheckpoints(boolean hold) {
        execute(() -> stack.holdForCheckpoints(hold));
    }

    /**
     * Before a connection is imported here ({@code hold}): its frames are held here until it
     * is, then fed to it, so the peer's segments reach it in order and the move costs the peer
     * no retransmission. A connection this host forwards (coming back) has its frames forwarded
     * to the origin until the origin, frozen, sends the first of them back: from then on they
     * are held (so the origin may announce the move before it drains); one that is not here at
     * all has the frames its origin forwards held (the origin sends them on at once). Without an
     * import within {@link Host#PREPARE_MS}, or on {@code hold == false}, held frames go back to
     * the origin. Completes with whether this host holds that connection's frames now (false:
     * nothing to do, or the connection runs here). A held connection's ICI may then come over
     * the link in a move frame carrying {@code token} ({@link #importMoved}; 0: none may).
     */
    public CompletableFuture<Boolean> prepareImport(String connectionId, boolean hold, long token) {
        return call(() -> {
            long key = keyOf(connectionId);
            endSettlingOf(key);
            Forward f = forwards.get(key);
            if (f == null && hold && !exported.containsKey(key) && !runsHere(connectionId, key)) {
                f = new Forward(Forward.ARRIVING); // not here yet: its frames wait for it (the origin forwards them at once)
                f.holdUntil = now() + Host.PREPARE_MS;
                f.token = token;
                forwards.put(key, f);
                return true;
            }
            if (f == null) {
                return false;
            }
            if (!hold) {
                endHold(key, f);
                return true;
            }
            if (f.held == null) {
                // Coming back: the origin still needs the peer's segments (the ACKs its drain
                // waits for); the hold begins with the first frame it sends back, once frozen.
                f.holdOnReturn = true;
                f.holdUntil = now() + Host.PREPARE_MS;
            }
            f.token = token; // the move announced last is the one whose frame may come
            return true;
        });
    }

    /**
     * Ends a hold begun by {@link #prepareImport} (forwarding key {@code key}): its frames go on,
     * those of a connection that never arrived back to its origin, and then its entry goes too;
     * answers whether it went.
     */
    private boolean endHold(long key, Forward f) {
        release(f, true);
        if (f.mac != Forward.ARRIVING) {
            return false;
        }
        forwards.remove(key);
        return true;
    }

    /** Whether connection {@code connectionId} (forwarding key {@code key}) runs on this loop. */
    private boolean runsHere(String connectionId, long key) {
        return stack.find(Connection.localIpOf(connectionId), (int) key & 0xffff, (int) (key >>> 32),
                (int) (key >>> 16) & 0xffff) != null;
    }

    /** The forwarding key of a connection id {@code local:port-remote:port}; IllegalArgumentException if malformed. */
    static long keyOf(String connectionId) {
        String[] ends = connectionId.split("-");
        if (ends.length != 2 || ends[0].lastIndexOf(':') < 0 || ends[1].lastIndexOf(':') < 0) {
            throw new IllegalArgumentException("connection id '" + connectionId + "' is not LOCAL:PORT-REMOTE:PORT");
        }
        try {
            int localPort = Integer.parseInt(ends[0].substring(ends[0].lastIndexOf(':') + 1));
            int remoteIp = Ipv4Address.parse(ends[1].substring(0, ends[1].lastIndexOf(':')));
            int remotePort = Integer.parseInt(ends[1].substring(ends[1].lastIndexOf(':') + 1));
            return tupleKey(remoteIp, remotePort, localPort);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("connection id '" + connectionId + "' has a port that is not a number", e);
        }
    }

    private List<Connection> importAll(List<Host.Import> imports, int vip) {
        return importAll(imports, vip, 0, Arrival.MOVED_IN);
    }

    /** How connections come to be created here. */
    private enum Arrival {
        /** Moved in from another agent: fresh, newer than any seen, within the move rate. */
        MOVED_IN,
        /** Given back to this origin after a failed move: its own ICIs, not checked again. */
        RETURNED,
        /** Resurrected from checkpoints. */
        RESURRECTED
    }

    /**
     * Validates {@code imports} as {@link #importConnections} ({@code resurrection} false) or
     * {@link #resurrect} would, changing nothing: a host with several loops checks every
     * loop's share before any imports, so that one refused ICI still refuses them all.
     */
    CompletableFuture<Void> checkImports(List<Host.Import> imports, int vip, long clockSkewMs, boolean resurrection) {
        return call(() -> {
            validate(imports, vip, clockSkewMs, resurrection ? Arrival.RESURRECTED : Arrival.MOVED_IN);
            return null;
        });
    }

    private List<Connection> importAll(List<Host.Import> imports, int vip, long clockSkewMs, Arrival arrival) {
        boolean resurrection = arrival == Arrival.RESURRECTED;
        List<IciCodec.Decoded> decoded = validate(imports, vip, clockSkewMs, arrival);
        List<Connection> in = new ArrayList<>(imports.size());
        try {
            for (int k = 0; k < decoded.size(); k++) {
                in.add(create(decoded.get(k), imports.get(k).peerMac()));
            }
            long nowMs = now();
            for (Connection c : arrival == Arrival.MOVED_IN ? in : List.<Connection>of()) {
                long key = tupleKey(c.tcp().remoteIp(), c.tcp().remotePort(), c.tcp().localPort());
                imported.put(key, Imported.after(imported.remove(key), c.incarnation(), nowMs));
                if (imported.size() > IMPORTS_REMEMBERED) {
                    imported.pollFirstEntry();
                }
            }
        } catch (IllegalArgumentException e) {
            for (Connection c : in) {
                stack.detach(c.tcp());
                connections.remove(c.tcp());
            }
            throw e;
        }
        if (vip != 0 && !owns(vip)) {
            expected.add(vip);
        }
        List<Prepared> prepared = new ArrayList<>();
        for (Connection c : in) {
            TcpConnection t = c.tcp();
            long key = tupleKey(t.remoteIp(), t.remotePort(), t.localPort());
            Forward f = forwards.remove(key);
            if (f != null) {
                prepared.add(new Prepared(key, f, t));
            }
            if (resurrection) {
                t.resurrect(); // probes the peer; holds what no checkpoint covers
                if (!stack.holdsForCheckpoints()) {
                    t.releaseCheckpointHolds(); // no checkpointer here would ever open them
                }
            } else {
                t.requestAck(); // activate: a window update (or pending data) wakes the peer now
                if (stack.holdsForCheckpoints()) {
                    t.holdAtCurrent(); // what the origin sent stays sendable; new data waits for a checkpoint here
                }
            }
            stack.touch(t);
            emitSoon(resurrection ? HostEvent.RESURRECTED : HostEvent.MOVED_IN, c.id(), // after the activation and the answer
                    resurrection ? t.state() + ", " + t.sendBufferUsed() + " bytes to send again" : "");
        }
        for (Prepared p : prepared) {
            Forward f = p.forward();
            release(f, false); // frames held by prepareImport: those the origin sent back first, then in the order they came
            if (f.relayedData && SeqNum.gt(f.relayedEnd, p.connection().rcvNxt())) {
                // Data relayed to the origin after the announcement is still on its way back: the
                // frames that come here straight wait for it.
                f.settling = p.connection();
                f.held = new ArrayDeque<>();
                f.holdUntil = now() + SETTLE_MS;
                forwards.put(p.key(), f);
            }
        }
        long now = now();
        for (Connection c : in) {
            stack.poll(now, c.tcp(), sink); // the activation leaves now, before the applications refill their buffers
        }
        return in;
    }

    /** Decodes every import, refusing (IllegalArgumentException) the first that is invalid, replayed or already here. */
    private List<IciCodec.Decoded> validate(List<Host.Import> imports, int vip, long clockSkewMs, Arrival arrival) {
        List<IciCodec.Decoded> decoded = new ArrayList<>(imports.size());
        java.util.Set<Long> tuples = new java.util.HashSet<>();
        for (Host.Import i : imports) {
            IciCodec.Decoded d = decode(i.ici(), decoded.size(), imports.size(), vip, clockSkewMs);
            EndpointState s = d.endpoint();
            if (arrival == Arrival.MOVED_IN) {
                refuseReplay(d, decoded.size(), imports.size());
            }
            if (stack.find(s.localIp(), s.localPort(), s.remoteIp(), s.remotePort()) != null
                    || !tuples.add(tupleKey(s.remoteIp(), s.remotePort(), s.localPort()))) {
                throw new IllegalArgumentException("connection " + Connection.id(s.localIp(), s.localPort(), s.remoteIp(),
                        s.remotePort()) + " already exists on host " + name);
            }
            decoded.add(d);
        }
        return decoded;
    }

    /**
     * Refuses a moved connection's ICI that is not fresh (dumped more than
     * {@link Host#MAX_MOVE_AGE_MS} from now) or not newer than one of the same connection already
     * imported here (a replay that would roll the connection back).
     */
    private void refuseReplay(IciCodec.Decoded d, int index, int count) {
        EndpointState s = d.endpoint();
        String which = count == 1 ? "" : "connection " + (index + 1) + " of " + count + ": ";
        long age = System.currentTimeMillis() - d.dumpedAtUnixMs();
        if (Math.abs(age) > Host.MAX_MOVE_AGE_MS) {
            throw new IllegalArgumentException(which + "ICI field dumped_at_unix_ms: dumped " + age + " ms from now, more than "
                    + Host.MAX_MOVE_AGE_MS + " ms: a stale or replayed ICI (or wall clocks far apart)");
        }
        Imported seen = imported.get(tupleKey(s.remoteIp(), s.remotePort(), s.localPort()));
        String id = Connection.id(s.localIp(), s.localPort(), s.remoteIp(), s.remotePort());
        if (seen != null && d.incarnation() <= seen.incarnation()) {
            throw new IllegalArgumentException(which + "ICI field incarnation: " + d.incarnation() + " is not above "
                    + seen.incarnation() + ", already imported here for " + id + ": a replayed ICI");
        }
        if (seen != null && seen.tokensAt(now()) < 1) {
            throw new LimitExceededException(which + "connection " + id + " was moved here more than " + (long) Host.MOVE_BURST
                    + " times at over " + (long) Host.MOVES_PER_SECOND + " a second: move it less often");
        }
    }

    /**
     * What this host remembers of a connection it imported: the incarnation, and a token
     * bucket of the moves it may still take in ({@link Host#MOVE_BURST}, refilled at
     * {@link Host#MOVES_PER_SECOND}).
     *
     * @param incarnation the incarnation last imported
     * @param tokens moves left at {@code atMs}
     * @param atMs host time of that count
     */
    private record Imported(long incarnation, double tokens, long atMs) {
        /** Moves left at {@code nowMs}. */
        double tokensAt(long nowMs) {
            return Math.min(Host.MOVE_BURST, tokens + (nowMs - atMs) * Host.MOVES_PER_SECOND / 1000);
        }

        /** The memory after one more import at {@code incarnation} at {@code nowMs} ({@code before} may be null). */
        static Imported after(Imported before, long incarnation, long nowMs) {
            double left = before == null ? Host.MOVE_BURST : before.tokensAt(nowMs);
            return new Imported(incarnation, left - 1, nowMs);
        }
    }

    private Connection create(IciCodec.Decoded d, long peerMac) {
        TcpConnection t = stack.restore(now(), d.endpoint(), d.withCongestion());
        Connection c = new Connection(t, this, System.currentTimeMillis());
        c.startStreamAt(d.streamOffset());
        c.incarnation(d.incarnation());
        try {
            c.driver = restorers.get(d.application()).restore(c, d.applicationState());
        } catch (RuntimeException e) {
            stack.detach(t);
            throw new IllegalArgumentException("application state of " + c.id() + " refused: " + e.getMessage(), e);
        }
        connections.put(t, c);
        if (peerMac != -1) {
            learn(t.remoteIp(), peerMac); // frames forwarded to us carry the forwarder's MAC
        }
        return c;
    }

    static long tupleKey(int remoteIp, int remotePort, int localPort) {
        return ((long) remoteIp << 32) | ((long) remotePort << 16) | localPort;
    }

    /** The VIPs owned now. */
    public int[] vips() {
        return vips.clone();
    }

    /** Whether this host owns {@code vip} now (any thread). */
    public boolean serves(int vip) {
        return owns(vip);
    }

    /** Whether this host owns {@code vip} or has taken its connections and is about to own it (any thread). */
    public boolean servesOrExpects(int vip) {
        return owns(vip) || expected.contains(vip);
    }

    /**
     * The VIPs this host speaks for (any thread): owned, arrived ahead of their VIP, or being
     * moved out and not yet delivered, so that a VIP in transit never looks orphaned.
     */
    public int[] vipsSpokenFor() {
        java.util.Set<Integer> all = new java.util.TreeSet<>(expected);
        all.addAll(leaving);
        for (int v : vips) {
            all.add(v);
        }
        return all.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Serves {@code port} on every owned VIP: each established connection gets a driver from {@code acceptor}. */
    public void serve(int port, ConnectionAcceptor acceptor) {
        execute(() -> {
            stack.listen(0, port);
            acceptors.put(port, acceptor);
        });
    }

    /**
     * Opens a connection from {@code localIp} (an owned VIP) to {@code remoteIp:remotePort};
     * the driver gets activity once it is established. Completes with the connection when
     * it is created (not yet established).
     */
    public CompletableFuture<Connection> connect(int localIp, int remoteIp, int remotePort, ConnectionDriver driver) {
        return call(() -> {
            if (!owns(localIp)) {
                throw new IllegalArgumentException(Ipv4Address.format(localIp) + " is not a VIP of host " + name);
            }
            TcpConnection t = stack.connect(now(), localIp, freeLocalPort(localIp, remoteIp, remotePort), remoteIp, remotePort);
            Connection c = new Connection(t, this, System.currentTimeMillis());
            c.driver = driver;
            connections.put(t, c);
            emit(HostEvent.OPENED, c.id(), where());
            return c;
        });
    }

    /** A free ephemeral port towards {@code remoteIp:remotePort} whose flow hashes onto this loop. */
    private int freeLocalPort(int localIp, int remoteIp, int remotePort) {
        return stack.freeLocalPort(localIp, remoteIp, remotePort,
                p -> FlowHash.loopOf(remoteIp, remotePort, p, loops) == index);
    }

    /** Where a connection runs, for its "opened" line: the loop, when the host has several. */
    private String where() {
        return loops > 1 ? "on loop " + index : "";
    }

    /** This loop's index among its host's loops. */
    public int index() {
        return index;
    }

    /** The loop, of {@code loops}, that runs connection {@code connectionId}; IllegalArgumentException if the id is malformed. */
    static int loopOf(String connectionId, int loops) {
        long key = keyOf(connectionId);
        return FlowHash.loopOf((int) (key >>> 32), (int) (key >>> 16) & 0xffff, (int) key & 0xffff, loops);
    }

    /** Starts the event loop thread. */
    public synchronized void start() {
        if (loopThread != null) {
            throw new IllegalStateException("host " + name + " is already started");
        }
        running = true;
        String thread = "host-" + name + (loops > 1 ? "-" + index : "");
        loopThread = new Thread(this::loop, thread);
        loopThread.start();
    }

    /** Runs {@code task} on the loop thread. */
    public void execute(Runnable task) {
        tasks.add(task);
        link.wakeup();
    }

    /** Runs {@code work} on the loop thread and returns its result. */
    public <T> CompletableFuture<T> call(Supplier<T> work) {
        Call<T> c = new Call<>(work);
        execute(c);
        if (ended.getCount() == 0) {
            c.refuse(); // the loop is gone: nobody would ever answer
        }
        return c.result;
    }

    /** Work from another thread with a result; failed, not lost, if the loop ends first. */
    private final class Call<T> implements Runnable {
        /** What to run on the loop. */
        private final Supplier<T> work;
        /** Its result. */
        final CompletableFuture<T> result = new CompletableFuture<>();

        Call(Supplier<T> work) {
            this.work = work;
        }

        @Override
        public void run() {
            try {
                result.complete(work.get());
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
            }
        }

        void refuse() {
            result.completeExceptionally(new IllegalStateException("host " + name + " has stopped"
                    + (failure != null ? " on an error: " + failure : "")));
        }
    }

    /** Logs and publishes an event of another part of the agent (the checkpointer, the cluster); any thread. */
    public void report(String kind, String subject, String detail) {
        execute(() -> emit(kind, subject, detail));
    }

    /** Frame counters (read from another thread: a snapshot, not exact). */
    public HostCounters counters() {
        return counters;
    }

    /** TCP counters. */
    public TcpCounters tcpCounters() {
        return stack.counters();
    }

    /** Connections with a driver now; call on the loop thread (inside {@link #call}). */
    public List<Connection> connectionsNow() {
        return List.copyOf(connections.values());
    }

    /** Connections with a driver, as a list made on the loop thread. */
    public CompletableFuture<List<Connection>> connections() {
        return call(() -> List.copyOf(connections.values()));
    }

    /** Notes that the application touched {@code c}: it is polled at the end of this round. */
    void touch(TcpConnection c) {
        stack.touch(c);
    }

    /**
     * Closes every connection cleanly (FIN after queued data), waits up to {@code graceMs}
     * for the peers to finish, resets what is left, then stops the loop and the link.
     */
    public void shutdown(long graceMs) {
        beginShutdown(graceMs);
        awaitShutdown(graceMs);
    }

    /** Starts {@link #shutdown}: every connection is asked to close, listeners stop. */
    void beginShutdown(long graceMs) {
        execute(() -> {
            stopDeadline = now() + graceMs;
            for (Connection c : connections.values()) {
                c.close();
            }
            for (int port : acceptors.keySet()) {
                stack.unlisten(port);
            }
            acceptors.clear();
        });
    }

    /** Ends {@link #shutdown}: waits for the loop to end after {@code graceMs}, and stops it if it does not. */
    void awaitShutdown(long graceMs) {
        try {
            if (!ended.await(graceMs + 5000, TimeUnit.MILLISECONDS)) {
                running = false;
                link.wakeup();
                ended.await(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(0);
    }

    /** Waits until the loop has ended; rethrows what ended it abnormally. */
    public void awaitTermination() throws InterruptedException {
        ended.await();
        if (failure != null) {
            throw new IllegalStateException("host " + name + " failed: " + failure, failure);
        }
    }

    // ------------------------------------------------------------------ loop

    private void loop() {
        takeScheduling();
        try {
            while (running) {
                runTasks();
                long now = now();
                drive(now);
                if (!drainWaits.isEmpty()) {
                    drainWaits.removeIf(w -> drained(w, now));
                }
                if (now >= nextTimer) {
                    stack.poll(now, sink); // connections that closed on a timer are touched: drive() reports them
                }
                if (stopDeadline != NEVER && (connections.isEmpty() || now >= stopDeadline)) {
                    abortRemaining(now);
                    break;
                }
                nextTimer = stack.pollAt();
                if (nextTimer <= now || !tasks.isEmpty() || stack.hasTouched()) {
                    continue;
                }
                long wakeAt = Math.min(nextTimer, stopDeadline);
                if (!drainWaits.isEmpty()) {
                    wakeAt = Math.min(wakeAt, now + 1); // a move waiting for the peer to pause looks again each ms
                }
                link.receive(this::onFrame, wakeAt - now);
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            emit(HostEvent.ERROR, name, "host stopped on an error: " + e);
        } finally {
            running = false;
            link.close();
            ended.countDown();
            // Calls queued before the count-down are refused here, later ones by call() itself.
            for (Runnable t; (t = tasks.poll()) != null; ) {
                if (t instanceof Call<?> c) {
                    c.refuse();
                }
            }
            for (DrainWait w : drainWaits) {
                w.done().completeExceptionally(new IllegalStateException("host " + name + " stopped"));
            }
        }
    }

    private void runTasks() {
        Runnable t;
        while ((t = tasks.poll()) != null) {
            t.run();
        }
    }

    private void abortRemaining(long now) {
        for (Connection c : List.copyOf(connections.values())) {
            c.abort();
        }
        drive(now);
        stack.poll(now, sink);
    }

    /** Gives touched connections to their drivers and polls them, until nothing more is touched. */
    private void drive(long now) {
        acceptNew();
        for (int round = 0; round < 16; round++) {
            batch.clear();
            stack.drainTouched(batch);
            if (batch.isEmpty()) {
                return;
            }
            for (int i = 0; i < batch.size(); i++) {
                Connection c = connections.get(batch.get(i));
                if (c != null) {
                    activity(c);
                }
            }
            for (int i = 0; i < batch.size(); i++) {
                stack.poll(now, batch.get(i), sink);
            }
            acceptNew();
        }
    }

    private void acceptNew() {
        for (Map.Entry<Integer, ConnectionAcceptor> e : acceptors.entrySet()) {
            TcpConnection t;
            while ((t = stack.accept(e.getKey())) != null) {
                Connection c = new Connection(t, this, System.currentTimeMillis());
                connections.put(t, c);
                emit(HostEvent.OPENED, c.id(), where());
                c.driver = e.getValue().accept(c);
                stack.touch(t);
            }
        }
    }

    private void activity(Connection c) {
        TcpState s = c.state();
        if (s == TcpState.CLOSED || s == TcpState.TIME_WAIT) {
            closed(c);
            return;
        }
        try {
            c.newTurn();
            c.driver.onActivity(c);
        } catch (RuntimeException e) {
            // One application's bug costs its own connection, never the host's others.
            emit(HostEvent.ERROR, c.id(), "driver failed, resetting the connection: " + e);
            c.abort();
            closed(c);
        }
    }

    private void closed(Connection c) {
        if (c.closedNotified) {
            return;
        }
        c.closedNotified = true;
        connections.remove(c.tcp());
        String reason = c.tcp().closeReason() != null ? c.tcp().closeReason() : "closed";
        emit(HostEvent.CLOSED, c.id(), "in=" + c.bytesIn() + " out=" + c.bytesOut() + " (" + reason + ")");
        try {
            c.driver.onClosed(c, reason);
        } catch (RuntimeException e) {
            emit(HostEvent.ERROR, c.id(), "driver failed while closing: " + e);
        }
    }

    // ---------------------------------------------------------------- frames

    private boolean owns(int address) {
        for (int v : vips) {
            if (v == address) {
                return true;
            }
        }
        return false;
    }

    private void onFrame(byte[] buf, int off, int len) {
        if (primary || !EthernetFrame.isArp(buf, off, len)) {
            counters.framesIn++; // every loop gets each ARP frame: the primary alone counts it
        }
        try {
            eth.wrap(buf, off, len);
            long dst = eth.destination();
            if (dst != link.mac() && dst != MacAddress.BROADCAST) {
                counters.otherMac++;
                return;
            }
            switch (eth.etherType()) {
                case EthernetFrame.TYPE_ARP -> onArp();
                case EthernetFrame.TYPE_IPV4 -> onIpv4();
                case MoveFrame.TYPE -> onMoveFrame();
                default -> counters.otherEtherType++;
            }
            if (settledBy != null) {
                afterReturnedFrame();
            }
        } catch (MalformedPacketException e) {
            switch (e.reason()) {
                case BAD_CHECKSUM -> counters.badChecksum++;
                case FRAGMENT -> counters.fragments++;
                default -> counters.malformed++;
            }
        }
    }

    /** A move frame: to {@link #moveFrames}, with the MAC it came from. */
    private void onMoveFrame() throws MalformedPacketException {
        MoveFrames handler = moveFrames;
        if (handler == null) {
            counters.otherEtherType++;
            return;
        }
        handler.onMoveFrame(this, move.wrap(eth.buffer(), eth.payloadOffset(), eth.payloadLength()), eth.source());
    }

    private void onArp() throws MalformedPacketException {
        arp.wrap(eth.buffer(), eth.payloadOffset(), eth.payloadLength());
        int target = arp.targetIp();
        if (!owns(target)) {
            boolean answersUs = arp.operation() == ArpPacket.OP_REPLY && arp.targetMac() == link.mac()
                    && arpRequested.get(arp.senderIp()) != -1; // asked for a moved connection of a VIP owned elsewhere
            if (answersUs || neighbors.get(arp.senderIp()) != -1) {
                learn(arp.senderIp(), arp.senderMac()); // RFC 826: learn, or update what we know
            }
            if (primary) {
                counters.arpIgnored++;
            }
            return;
        }
        learn(arp.senderIp(), arp.senderMac());
        if (primary && arp.operation() == ArpPacket.OP_REQUEST && arp.senderIp() != target) {
            int p = EthernetFrame.writeHeader(out, 0, arp.senderMac(), link.mac(), EthernetFrame.TYPE_ARP);
            int end = ArpPacket.write(out, p, ArpPacket.OP_REPLY, link.mac(), target, arp.senderMac(), arp.senderIp());
            link.send(out, 0, end);
            counters.framesOut++;
            counters.arpReplies++;
        }
    }

    private void onIpv4() throws MalformedPacketException {
        ip.wrap(eth.buffer(), eth.payloadOffset(), eth.payloadLength());
        if ((!forwards.isEmpty() || !vipForwards.isEmpty()) && forward()) {
            return;
        }
        boolean owned = owns(ip.destination());
        if (ip.protocol() != Ipv4Packet.PROTOCOL_TCP) {
            if (owned) {
                counters.notTcp++;
            } else {
                counters.otherIp++;
            }
            return;
        }
        if (!owned && !hasConnectionFor()) {
            counters.otherIp++; // never answer for an address we do not own
            return;
        }
        tcp.wrap(ip.buffer(), ip.payloadOffset(), ip.payloadLength(), ip.source(), ip.destination());
        // Learn the peer's next hop from a SYN or first contact only: frames another agent
        // forwards to us carry that agent's MAC, which must not replace the peer's.
        if (owned && ((tcp.flags() & TcpSegment.SYN) != 0 || neighbors.get(ip.source()) == -1)) {
            learn(ip.source(), eth.source());
        }
        stack.onSegment(now(), tcp);
    }

    /** A connection moved here (its VIP not taken yet, or staying elsewhere) owns this packet's 4-tuple. */
    private boolean hasConnectionFor() {
        if (ip.payloadLength() < 4) {
            return false;
        }
        byte[] b = ip.buffer();
        int tcpOff = ip.payloadOffset();
        return stack.find(ip.destination(), Bytes.u16(b, tcpOff + 2), ip.source(), Bytes.u16(b, tcpOff)) != null;
    }

    /** Sends a frame of a connection or VIP moved away on to its new owner (or holds it); true if it was one. */
    private boolean forward() {
        Forward f = null;
        long key = 0;
        if (!forwards.isEmpty() && ip.protocol() == Ipv4Packet.PROTOCOL_TCP && ip.payloadLength() >= 4) {
            byte[] b = ip.buffer();
            int tcpOff = ip.payloadOffset();
            key = tupleKey(ip.source(), Bytes.u16(b, tcpOff), Bytes.u16(b, tcpOff + 2));
            f = forwards.get(key);
        }
        if (f == null && !vipForwards.isEmpty()) {
            f = vipForwards.get(ip.destination());
        }
        if (f == null) {
            return false;
        }
        int frameStart = eth.payloadOffset() - EthernetFrame.HEADER_LENGTH;
        int frameLength = EthernetFrame.HEADER_LENGTH + eth.payloadLength();
        if (f.settling != null) {
            return settle(key, f, frameStart, frameLength);
        }
        // The import announced by prepareImport never came: forward again (holds of prepareImport are in forwards).
        if ((f.held != null || f.holdOnReturn) && f.holdUntil != 0 && now() > f.holdUntil && endHold(key, f)) {
            return false; // its frames went back to the origin: this one is no longer held either
        }
        if (f.holdOnReturn) {
            if (eth.source() == f.mac) { // sent back: the origin froze, and every frame now waits for the import
                if (f.held == null) {
                    f.held = new ArrayDeque<>();
                }
                f.holdReturned(ip.buffer(), frameStart, frameLength);
                counters.held++;
                return true;
            }
            if (f.held == null) {
                f.relayed(ip.buffer(), ip.payloadOffset(), ip.payloadLength()); // the origin may yet send it back
            }
        }
        if (f.held != null) {
            f.hold(ip.buffer(), frameStart, frameLength);
            counters.held++;
        } else {
            sendOn(f.mac, ip.buffer(), frameStart, frameLength);
        }
        return true;
    }

    /**
     * A frame of connection {@code f.settling}, imported here while data this host relayed to its
     * origin after the move was announced is still coming back: what the origin sends back goes
     * to the connection now, anything else waits until that data is in (or {@link #SETTLE_MS}
     * passed), so the peer's segments reach the connection in the order they were sent and no
     * burst of them is acknowledged out of order (a Linux peer that sees three segments SACKed
     * before the rest may resend the rest: RFC 8985 with its reordering window still zero).
     * Whether the frame was taken (false: the stack gets it now).
     */
    private boolean settle(long key, Forward f, int frameStart, int frameLength) {
        if (now() > f.holdUntil) {
            endSettling(key, f);
            return false;
        }
        if (eth.source() != f.mac) {
            f.hold(ip.buffer(), frameStart, frameLength);
            counters.held++;
            return true;
        }
        settledBy = f; // after the stack took it: what waited goes on once the data is in
        settledKey = key;
        return false;
    }

    /** After a frame the origin sent back reached its connection: ends the settling it belonged to once the data is in. */
    private void afterReturnedFrame() {
        Forward f = settledBy;
        settledBy = null;
        if (f.settling != null && !SeqNum.gt(f.relayedEnd, f.settling.rcvNxt())) {
            endSettling(settledKey, f);
        }
    }

    /** Ends a settling begun at an import: the frames that waited go to the connection in the order they came. */
    private void endSettling(long key, Forward f) {
        forwards.remove(key, f);
        f.settling = null;
        release(f, false);
    }

    /** Ends the settling of the connection with forwarding key {@code key}, if any (it leaves, or moves again). */
    private void endSettlingOf(long key) {
        Forward f = forwards.get(key);
        if (f != null && f.settling != null) {
            endSettling(key, f);
        }
    }

    /** The forwarding entry (key {@code key}) of a connection that an import brought here, and the connection. */
    private record Prepared(long key, Forward forward, TcpConnection connection) {
    }

    /** Ends holding: held frames go on to the new owner ({@code onward}) or are taken here as if just received. */
    private void release(Forward f, boolean onward) {
        ArrayDeque<byte[]> held = f.held;
        ArrayDeque<byte[]> returned = f.returned;
        f.held = null;
        f.returned = null;
        f.holdUntil = 0;
        f.holdOnReturn = false;
        f.heldBytes = 0;
        if (returned != null) {
            if (held != null) {
                returned.addAll(held); // what the origin sent back was sent by the peer before anything held here
            }
            held = returned;
        }
        if (held == null) {
            return;
        }
        for (byte[] frame : held) {
            if (onward) {
                // A connection that never arrived: each frame back to the agent that forwarded it.
                sendOn(f.mac == Forward.ARRIVING ? Bytes.u48(frame, 6) : f.mac, frame, 0, frame.length);
            } else {
                onFrame(frame, 0, frame.length);
            }
        }
    }

    private void sendOn(long mac, byte[] frame, int off, int len) {
        Bytes.put48(frame, off, mac);
        Bytes.put48(frame, off + 6, link.mac());
        link.send(frame, off, len);
        counters.forwarded++;
    }

    private void sendSegment(int source, int destination, int len, int gsoSize) {
        long mac = neighbors.get(destination);
        EthernetFrame.writeHeader(out, 0, mac, link.mac(), EthernetFrame.TYPE_IPV4);
        Ipv4Packet.writeHeader(out, EthernetFrame.HEADER_LENGTH, source, destination, Ipv4Packet.PROTOCOL_TCP, len);
        int l4 = EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH;
        int tcpHeader = (out[l4 + 12] & 0xf0) >>> 2;
        if (mac == -1) {
            counters.noNeighbor++;
            if (!awaitingArp.add(destination, out, l4 + len, l4, tcpHeader, gsoSize)) {
                counters.arpQueueDrops++; // TCP retransmits; by then ARP has answered
            }
            requestMac(source, destination);
            return;
        }
        link.sendTcp(out, 0, l4 + len, l4, tcpHeader, gsoSize);
        counters.framesOut++;
    }

    /** Learns (or updates) a neighbour's MAC and sends the frames that waited for it. */
    private void learn(int address, long mac) {
        neighbors.put(address, mac);
        ArrayDeque<AwaitingArp.Frame> waiting = awaitingArp.take(address);
        if (waiting != null) {
            for (AwaitingArp.Frame f : waiting) {
                Bytes.put48(f.bytes(), 0, mac);
                link.sendTcp(f.bytes(), 0, f.bytes().length, f.l4Offset(), f.tcpHeaderLength(), f.gsoSize());
                counters.framesOut++;
            }
        }
    }

    private void requestMac(int source, int destination) {
        long now = now();
        long last = arpRequested.get(destination);
        if (last != -1 && now - last < ARP_RETRY_MS) {
            return;
        }
        arpRequested.put(destination, now);
        sendArpRequest(source, destination);
        counters.arpRequests++;
    }

    private void gratuitousArp(int vip) {
        sendArpRequest(vip, vip); // RFC 5227 §3 announcement: sender and target both the address
        counters.gratuitousArps++;
    }

    /** Broadcasts an ARP request from {@code senderIp} (ours) for {@code targetIp}. */
    private void sendArpRequest(int senderIp, int targetIp) {
        byte[] f = new byte[EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH];
        int p = EthernetFrame.writeHeader(f, 0, MacAddress.BROADCAST, link.mac(), EthernetFrame.TYPE_ARP);
        ArpPacket.write(f, p, ArpPacket.OP_REQUEST, link.mac(), senderIp, 0, targetIp);
        link.send(f, 0, f.length);
        counters.framesOut++;
    }

    /**
     * {@link #emit} once the loop's current work is done (loop thread only): a move's events,
     * written to the log, would otherwise lengthen its freeze.
     */
    private void emitSoon(String kind, String subject, String detail) {
        tasks.add(() -> emit(kind, subject, detail));
    }

    private void emit(String kind, String subject, String detail) {
        HostEvent e = new HostEvent(kind, subject, detail);
        events.accept(e);
        for (Consumer<HostEvent> l : listeners) {
            l.accept(e);
        }
    }

    /** Where frames of something moved away go: held while the move is under way, then sent on. */
    private static final class Forward {
        /** Most bytes held for one move; beyond it frames are dropped and TCP recovers. */
        private static final int MAX_HELD_BYTES = 16 << 20;
        /** {@link #mac} of a hold for a connection announced by its origin and not imported yet. */
        static final long ARRIVING = -2;
        /** The new owner's MAC; -1 while it is not known (an isolated or created endpoint); or {@link #ARRIVING}. */
        long mac;
        /** Frames held until the move ends (copies); null once released. */
        ArrayDeque<byte[]> held = new ArrayDeque<>();
        /** When a hold started by prepareImport gives up (host ms), or 0 for holds that end by finishMove. */
        long holdUntil;
        /** The token of the move prepareImport announced (0: none): a move frame with the ICI must carry it. */
        long token;
        /** Coming back (announced by prepareImport): the hold begins with the first frame {@link #mac} sends back. */
        boolean holdOnReturn;
        /** Frames {@link #mac}, frozen, sent back: older than any in {@link #held}, so fed to the connection first. */
        ArrayDeque<byte[]> returned;
        /** Whether data went on to {@link #mac} since the connection's return was announced. */
        boolean relayedData;
        /** The sequence number after the last such data. */
        int relayedEnd;
        /** Imported here while data that went on to its origin is still coming back: frames from elsewhere wait in {@link #held}. */
        TcpConnection settling;
        /** Bytes in {@link #held}. */
        private int heldBytes;

        Forward(long mac) {
            this.mac = mac;
        }

        void hold(byte[] b, int off, int len) {
            hold(held, b, off, len);
        }

        /** Holds a frame {@link #mac} sent back. */
        void holdReturned(byte[] b, int off, int len) {
            if (returned == null) {
                returned = new ArrayDeque<>();
            }
            hold(returned, b, off, len);
        }

        private void hold(ArrayDeque<byte[]> queue, byte[] b, int off, int len) {
            if (heldBytes + len <= MAX_HELD_BYTES) {
                queue.add(Arrays.copyOfRange(b, off, off + len));
                heldBytes += len;
            }
        }

        /**
         * Notes the data of the TCP segment {@code [off, off + len)} of {@code b} as gone on to
         * {@link #mac}; a segment too short for its header is relayed unread (the owner drops it).
         */
        void relayed(byte[] b, int off, int len) {
            if (len < TcpSegment.MIN_HEADER_LENGTH) {
                return;
            }
            int header = (b[off + 12] & 0xf0) >>> 2;
            if (header < TcpSegment.MIN_HEADER_LENGTH || header > len) {
                return;
            }
            int data = len - header + ((b[off + 13] & TcpSegment.FIN) != 0 ? 1 : 0);
            int end = Bytes.i32(b, off + 4) + data;
            if (data > 0 && (!relayedData || SeqNum.gt(end, relayedEnd))) {
                relayedEnd = end;
                relayedData = true;
            }
        }
    }
}
