package dev.handoff.agent.host;

import dev.handoff.agent.link.FlowFilter;
import dev.handoff.agent.link.FlowHash;
import dev.handoff.agent.link.LinkLanes;
import dev.handoff.agent.link.PacketLink;
import dev.handoff.agent.tcp.Counters;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpCounters;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.Ici;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * One host on one link: owns VIPs, answers ARP for them, learns peers' MACs, and runs its
 * connections on one or more event loops ({@link HostLoop}, at most one per core), each
 * connection on the loop its flow hashes onto ({@link FlowHash}), as a NIC's receive-side
 * scaling spreads flows over cores (DESIGN.md "Data path"). With several loops, each has
 * a socket of its own that the kernel fills with its flows' frames ({@link FlowFilter}), or
 * a {@link LinkLanes} dispatcher steers the frames of one link to them; an outbound
 * connection takes an ephemeral port that hashes onto the loop that opens it.
 *
 * <p>Each call goes to the loop that owns the connection it names, or to every loop for
 * what concerns the whole host (VIPs, listeners, restorers): the primary loop (index 0)
 * takes a VIP last, so that its gratuitous ARP goes out once every loop accepts the VIP's
 * frames. Imports spread over loops are validated on all of them before any is made, so
 * that one refused ICI still refuses them all.
 */
public final class Host implements AutoCloseable {
    /** How long frames are held for an import announced by {@link #prepareImport}, ms. */
    public static final long PREPARE_MS = 5000;
    /** Largest application state a moved connection may carry, bytes. */
    public static final int MAX_APPLICATION_STATE = 1 << 20;
    /** Oldest (or most future) dump time of a moved connection's ICI accepted, ms from now: replays are refused after it. */
    public static final long MAX_MOVE_AGE_MS = 60_000;
    /** Moves of one connection into this host allowed per second, sustained (a buggy or hostile orchestrator's loop is cut there). */
    public static final double MOVES_PER_SECOND = 50;
    /** Moves of one connection into this host allowed in a burst. */
    public static final double MOVE_BURST = 100;
    /** Most event loops a host runs. */
    public static final int MAX_LOOPS = 64;

    /** Name for logs. */
    private final String name;
    /** Steers frames to the loops; null with one loop, or one filtered link per loop. */
    private final LinkLanes lanes;
    /** The event loops; loop i owns the flows {@link FlowHash#loopOf} maps to i. */
    private final HostLoop[] loops;
    /** Picks the loop of the next outbound connection or {@link PortMode.Any} endpoint, round robin. */
    private final AtomicInteger nextLoop = new AtomicInteger();

    /**
     * A connection frozen and dumped for a move.
     *
     * @param ici its ICI
     * @param peerMac the peer's next-hop MAC here, or -1
     * @param frozenAt when it was isolated, its freeze begun ({@link System#nanoTime})
     */
    public record Export(Ici ici, long peerMac, long frozenAt) {
        /** A connection frozen now. */
        public Export(Ici ici, long peerMac) {
            this(ici, peerMac, System.nanoTime());
        }

        /** The key of its 4-tuple in the forwarding table. */
        long key() {
            return HostLoop.tupleKey(ici.getRemoteIp(), ici.getRemotePort(), ici.getLocalPort());
        }
    }

    /** An ICI to import, with the peer's next-hop MAC as the origin knew it (or -1). */
    public record Import(Ici ici, long peerMac) {
    }

    /** A host with one event loop; see {@link #Host(String, PacketLink, TcpConfig, RandomGenerator, Consumer, int)}. */
    public Host(String name, PacketLink link, TcpConfig config, RandomGenerator random, Consumer<HostEvent> events) {
        this(name, link, config, random, events, 1);
    }

    /**
     * A host on {@code link} with {@code loopCount} event loops, a {@link LinkLanes} dispatcher
     * steering frames to them; see {@link #Host(String, List, TcpConfig, RandomGenerator, Consumer)}.
     */
    public Host(String name, PacketLink link, TcpConfig config, RandomGenerator random, Consumer<HostEvent> events,
                int loopCount) {
        this(name, checkLoops(loopCount) > 1 ? LinkLanes.split(link, loopCount) : null, List.of(link), config, random, events);
    }

    /**
     * A host whose event loop i sends and receives on {@code links.get(i)}, each taking only
     * its loop's frames (as {@link FlowFilter} selects: one filtered socket per loop, the
     * kernel steering frames without a dispatcher thread). TCP settings are {@code config},
     * its connection limit shared out among the loops; {@code events} receives every
     * {@link HostEvent}, one at a time. {@code random} gives ISNs and ports: it must be safe
     * to share between threads (as SecureRandom is) unless it is splittable.
     */
    public Host(String name, List<PacketLink> links, TcpConfig config, RandomGenerator random, Consumer<HostEvent> events) {
        this(name, null, links, config, random, events);
    }

    private static int checkLoops(int loopCount) {
        if (loopCount < 1 || loopCount > MAX_LOOPS) {
            throw new IllegalArgumentException("event loops: " + loopCount + " asked for; give 1.." + MAX_LOOPS
                    + ", at most one per core");
        }
        return loopCount;
    }

    /** A host on {@code lanes} if given, else one loop on each of {@code links}. */
    private Host(String name, LinkLanes lanes, List<PacketLink> links, TcpConfig config, RandomGenerator random,
                 Consumer<HostEvent> events) {
        List<PacketLink> perLoop = lanes != null ? lanes.lanes() : links;
        int loopCount = checkLoops(perLoop.size());
        this.name = name;
        this.lanes = lanes;
        this.loops = new HostLoop[loopCount];
        TcpConfig share = loopCount == 1 ? config
                : config.toBuilder().maxConnections(Math.max(1, (config.maxConnections() + loopCount - 1) / loopCount)).build();
        Consumer<HostEvent> oneAtATime = loopCount == 1 ? events : serialized(events);
        long epochNanos = System.nanoTime();
        for (int i = 0; i < loopCount; i++) {
            RandomGenerator r = i > 0 && random instanceof RandomGenerator.SplittableGenerator s ? s.split() : random;
            loops[i] = new HostLoop(name, i, loopCount, epochNanos, perLoop.get(i), share, r, oneAtATime);
        }
    }

    /** {@code listener}, called by one loop at a time. */
    private static <T> Consumer<T> serialized(Consumer<T> listener) {
        Object lock = new Object();
        return e -> {
            synchronized (lock) {
                listener.accept(e);
            }
        };
    }

    /** Milliseconds since this host started: the engines' clock. */
    public long now() {
        return loops[0].now();
    }

    /** Name for logs. */
    public String name() {
        return name;
    }

    /** The event loops, in index order (a checkpointer runs one part per loop). */
    public List<HostLoop> loops() {
        return List.of(loops);
    }

    /** The index of the loop that runs connection {@code id} ({@code local:port-remote:port}); IllegalArgumentException if malformed. */
    public int loopIndexOf(String id) {
        return HostLoop.loopOf(id, loops.length);
    }

    private HostLoop loopOf(String id) {
        return loops[loopIndexOf(id)];
    }

    /** The loop that owns the flow of {@code ici}, or would with local port {@code localPort}. */
    private HostLoop loopOf(Ici ici, int localPort) {
        return loops[FlowHash.loopOf(ici.getRemoteIp(), ici.getRemotePort(), localPort, loops.length)];
    }

    private HostLoop nextLoop() {
        return loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)];
    }

    /** Runs {@code call} on every loop; completes with their results in loop order. */
    private <T> CompletableFuture<List<T>> onEach(List<HostLoop> which, Function<HostLoop, CompletableFuture<T>> call) {
        List<CompletableFuture<T>> all = which.stream().map(call).toList();
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
    }

    /** Runs {@code call} on the secondary loops, then on the primary (which announces the host's VIPs). */
    private <T> CompletableFuture<List<T>> primaryLast(Function<HostLoop, CompletableFuture<T>> call) {
        List<HostLoop> secondaries = Arrays.asList(loops).subList(1, loops.length);
        return onEach(secondaries, call).thenCompose(rest -> call.apply(loops[0]).thenApply(first -> {
            List<T> all = new ArrayList<>(rest.size() + 1);
            all.add(first);
            all.addAll(rest);
            return all;
        }));
    }

    /** Takes a VIP: answers ARP for it from now on and announces it with a gratuitous ARP. */
    public CompletableFuture<Void> addVip(int vip) {
        return primaryLast(l -> l.addVip(vip)).thenApply(x -> null);
    }

    /** Gives up a VIP: no more ARP answers for it, and its packets are no longer taken. */
    public void removeVip(int vip) {
        for (HostLoop l : loops) {
            l.removeVip(vip);
        }
    }

    /** {@link HostLoop#abandonVip} on every loop; completes with how many connections were dropped in all. */
    public CompletableFuture<Integer> abandonVip(int vip, String reason) {
        if (loops.length == 1) {
            return loops[0].abandonVip(vip, reason);
        }
        boolean owned = serves(vip);
        return onEach(List.of(loops), l -> l.abandonVip(vip, reason)).thenApply(counts -> {
            int dropped = counts.stream().mapToInt(Integer::intValue).sum();
            if (owned || dropped > 0) {
                report(HostEvent.VIP_ABANDONED, Ipv4Address.format(vip), reason + "; " + dropped
                        + " connections left to their checkpoints");
            }
            return dropped;
        });
    }

    /** See {@link HostLoop#expectVip}. */
    public void expectVip(int vip) {
        for (HostLoop l : loops) {
            l.expectVip(vip);
        }
    }

    /** See {@link HostLoop#acceptMovedConnectionsIn}. */
    public void acceptMovedConnectionsIn(int network, int prefix) {
        for (HostLoop l : loops) {
            l.acceptMovedConnectionsIn(network, prefix);
        }
    }

    /** The MAC address of this host's link. */
    public long mac() {
        return loops[0].mac();
    }

    /** Lets connections of {@code application} be moved here; {@code restorer} re-creates their drivers (on any loop). */
    public void restoreWith(String application, ConnectionRestorer restorer) {
        for (HostLoop l : loops) {
            l.restoreWith(application, restorer);
        }
    }

    /** Sends moved-out ICIs with (true) or without (false) the congestion state; on by default. */
    public void carryCongestionState(boolean carry) {
        for (HostLoop l : loops) {
            l.carryCongestionState(carry);
        }
    }

    /**
     * Has Linux schedule every loop's thread so; call before {@link #start}. A
     * real-time priority or a nice value below 0 needs root or CAP_SYS_NICE; a thread that
     * cannot logs why.
     */
    public void scheduleLoops(ThreadScheduling scheduling) {
        for (HostLoop l : loops) {
            l.scheduleThreads(scheduling);
        }
    }

    /** Listens to this host's events besides its log; called by one loop at a time, must not block. */
    public Runnable addListener(Consumer<HostEvent> listener) {
        Consumer<HostEvent> one = loops.length == 1 ? listener : serialized(listener);
        List<Runnable> removers = Arrays.stream(loops).map(l -> l.addListener(one)).toList();
        return () -> removers.forEach(Runnable::run);
    }

    /** See {@link HostLoop#exportConnection}; nothing pre-copied. */
    public CompletableFuture<Export> exportConnection(String id, long forwardToMac, long leaseEpoch) {
        return exportConnection(id, forwardToMac, leaseEpoch, 0, 0, false);
    }

    /**
     * See {@link HostLoop#exportConnection}: the destination holds the send stream's bytes
     * {@code [heldFrom, heldTo)}, and, with {@code destinationHolds}, the connection's frames.
     */
    public CompletableFuture<Export> exportConnection(String id, long forwardToMac, long leaseEpoch, long heldFrom,
                                                      long heldTo, boolean destinationHolds) {
        return loopOf(id).exportConnection(id, forwardToMac, leaseEpoch, heldFrom, heldTo, destinationHolds);
    }

    /** {@link Connection#copySendStream} of connection {@code id}, on its loop: what a pre-copy sends ahead of a move. */
    public CompletableFuture<Connection.SendCopy> copySendStream(String id, long from, int max) {
        return loopOf(id).copySendStream(id, from, max);
    }

    /** See {@link HostLoop#drainTo}. */
    public CompletableFuture<Integer> drainTo(String id, int most) {
        return loopOf(id).drainTo(id, most);
    }

    /** See {@link HostLoop#holdWrites}. */
    public CompletableFuture<Integer> holdWrites(String id, boolean hold) {
        return loopOf(id).holdWrites(id, hold);
    }

    /** {@link HostLoop#exportVip} on every loop: the VIP's connections of all of them. */
    public CompletableFuture<List<Export>> exportVip(int vip, long forwardToMac, long leaseEpoch) {
        if (loops.length == 1) {
            return loops[0].exportVip(vip, forwardToMac, leaseEpoch);
        }
        if (!serves(vip)) {
            return CompletableFuture.failedFuture(
                    new IllegalArgumentException(Ipv4Address.format(vip) + " is not a VIP of host " + name));
        }
        return onEach(List.of(loops), l -> l.exportVip(vip, forwardToMac, leaseEpoch)).thenApply(parts -> {
            List<Export> all = parts.stream().flatMap(List::stream).toList();
            report(HostEvent.VIP_RELEASED, Ipv4Address.format(vip), all.size() + " connections");
            return all;
        });
    }

    /** See {@link HostLoop#isolate}. */
    public CompletableFuture<Void> isolate(String id) {
        return loopOf(id).isolate(id);
    }

    /** See {@link HostLoop#dump}. */
    public CompletableFuture<Ici> dump(String id, long leaseEpoch) {
        return loopOf(id).dump(id, leaseEpoch);
    }

    /** See {@link HostLoop#discard}. */
    public CompletableFuture<Void> discard(String id, long newOwnerMac) {
        return loopOf(id).discard(id, newOwnerMac);
    }

    /** See {@link HostLoop#create}; the endpoint goes to the loop of its flow (with {@link PortMode.Any}, any loop picks a port of its own). */
    public CompletableFuture<String> create(Ici ici, PortMode mode, long peerMac) {
        HostLoop l = switch (mode) {
            case PortMode.Same same -> loopOf(ici, ici.getLocalPort());
            case PortMode.Bound bound -> loopOf(ici, bound.port());
            case PortMode.Any any -> nextLoop();
        };
        return l.create(ici, mode, peerMac);
    }

    /** See {@link HostLoop#activate}. */
    public CompletableFuture<Connection> activate(String id) {
        return loopOf(id).activate(id);
    }

    /** {@link HostLoop#finishMove} on the loops of {@code exports} (on every loop when a VIP moved). */
    public CompletableFuture<Void> finishMove(List<Export> exports, int vip, boolean delivered, String reason) {
        List<List<Export>> byLoop = split(exports, e -> loopOf(e.ici(), e.ici().getLocalPort()));
        List<HostLoop> which = new ArrayList<>();
        for (int i = 0; i < loops.length; i++) {
            if (vip != 0 || !byLoop.get(i).isEmpty()) {
                which.add(loops[i]);
            }
        }
        return onEach(which, l -> l.finishMove(byLoop.get(l.index()), vip, delivered, reason)).thenApply(x -> null);
    }

    /** Moves a connection in (steps 4 and 6); see {@link #importConnections}. */
    public CompletableFuture<Connection> importConnection(Ici ici, long peerMac) {
        return importConnections(List.of(new Import(ici, peerMac)), 0).thenApply(List::getFirst);
    }

    /** See {@link HostLoop#importConnections}: each connection goes to the loop of its flow; one refused refuses them all. */
    public CompletableFuture<List<Connection>> importConnections(List<Import> imports, int vip) {
        return importConnections(imports, vip, 0);
    }

    /** See {@link HostLoop#importConnections(List, int, long)}: {@code token} counts for a connection moved alone. */
    public CompletableFuture<List<Connection>> importConnections(List<Import> imports, int vip, long token) {
        if (loops.length == 1) {
            return loops[0].importConnections(imports, vip, token);
        }
        List<List<Import>> byLoop = split(imports, i -> loopOf(i.ici(), i.ici().getLocalPort()));
        HostLoop only = vip == 0 ? onlyLoopWith(byLoop) : null;
        if (only != null) { // a connection moved without its VIP: its loop alone is involved, and validates as it imports
            return only.importConnections(imports, 0, token);
        }
        return onEach(List.of(loops), l -> l.checkImports(byLoop.get(l.index()), vip, 0, false))
                .thenCompose(ok -> onEach(List.of(loops), l -> l.importConnections(byLoop.get(l.index()), vip)))
                .thenApply(in -> inOrder(imports, i -> loopOf(i.ici(), i.ici().getLocalPort()), in));
    }

    /** See {@link HostLoop#resurrect}: every loop resurrects its share, the primary (announcing the VIP) last. */
    public CompletableFuture<List<Connection>> resurrect(List<Ici> icis, int vip, long clockSkewMs) {
        if (loops.length == 1) {
            return loops[0].resurrect(icis, vip, clockSkewMs);
        }
        List<List<Ici>> byLoop = split(icis, i -> loopOf(i, i.getLocalPort()));
        return onEach(List.of(loops), l -> l.checkImports(
                        byLoop.get(l.index()).stream().map(i -> new Import(i, -1)).toList(), vip, clockSkewMs, true))
                .thenCompose(ok -> primaryLast(l -> l.resurrect(byLoop.get(l.index()), vip, clockSkewMs)))
                .thenApply(in -> inOrder(icis, i -> loopOf(i, i.getLocalPort()), in));
    }

    /** The one loop with a non-empty part in {@code byLoop}, or null if several have one. */
    private <T> HostLoop onlyLoopWith(List<List<T>> byLoop) {
        HostLoop only = null;
        for (HostLoop l : loops) {
            if (!byLoop.get(l.index()).isEmpty()) {
                if (only != null) {
                    return null;
                }
                only = l;
            }
        }
        return only;
    }

    /** {@code items} split by the loop each belongs to, in loop order, each part in the items' order. */
    private <T> List<List<T>> split(List<T> items, Function<T, HostLoop> loop) {
        List<List<T>> parts = new ArrayList<>();
        for (int i = 0; i < loops.length; i++) {
            parts.add(new ArrayList<>());
        }
        for (T item : items) {
            parts.get(loop.apply(item).index()).add(item);
        }
        return parts;
    }

    /** The connections made from {@code items} by their loops ({@code byLoop}, in loop index order), back in the items' order. */
    private <T> List<Connection> inOrder(List<T> items, Function<T, HostLoop> loop, List<List<Connection>> byLoop) {
        int[] taken = new int[loops.length];
        List<Connection> out = new ArrayList<>(items.size());
        for (T item : items) {
            int i = loop.apply(item).index();
            out.add(byLoop.get(i).get(taken[i]++));
        }
        return out;
    }

    /** See {@link HostLoop#holdForCheckpoints}. */
    public void holdForCheckpoints(boolean hold) {
        for (HostLoop l : loops) {
            l.holdForCheckpoints(hold);
        }
    }

    /** See {@link HostLoop#prepareImport}: on the loop of the connection's flow. */
    public CompletableFuture<Boolean> prepareImport(String connectionId, boolean hold) {
        return prepareImport(connectionId, hold, 0);
    }

    /** See {@link HostLoop#prepareImport}: the ICI may come over the link in a move frame carrying {@code token}. */
    public CompletableFuture<Boolean> prepareImport(String connectionId, boolean hold, long token) {
        return loopOf(connectionId).prepareImport(connectionId, hold, token);
    }

    /** The loop that owns the flow of a connection with that remote address and port and local port. */
    public HostLoop loopOfFlow(int remoteIp, int remotePort, int localPort) {
        return loops[FlowHash.loopOf(remoteIp, remotePort, localPort, loops.length)];
    }

    /** Hands the move frames every loop receives to {@code handler}. */
    public void handleMoveFrames(MoveFrames handler) {
        for (HostLoop l : loops) {
            l.handleMoveFrames(handler);
        }
    }

    /** Sends a move frame about connection {@code id} from its loop (at once when called there). */
    public void sendMoveFrame(String id, byte[] frame) {
        loopOf(id).sendFrame(frame);
    }

    /** The VIPs owned now. */
    public int[] vips() {
        return loops[0].vips();
    }

    /** Whether this host owns {@code vip} now (any thread). */
    public boolean serves(int vip) {
        return loops[0].serves(vip);
    }

    /** Whether this host owns {@code vip} or has taken its connections and is about to own it (any thread). */
    public boolean servesOrExpects(int vip) {
        return loops[0].servesOrExpects(vip);
    }

    /** See {@link HostLoop#vipsSpokenFor}. */
    public int[] vipsSpokenFor() {
        return loops[0].vipsSpokenFor();
    }

    /** Serves {@code port} on every owned VIP, on every loop: each established connection gets a driver from {@code acceptor}. */
    public void serve(int port, ConnectionAcceptor acceptor) {
        for (HostLoop l : loops) {
            l.serve(port, acceptor);
        }
    }

    /** See {@link HostLoop#connect}: the loops take outbound connections in turn. */
    public CompletableFuture<Connection> connect(int localIp, int remoteIp, int remotePort, ConnectionDriver driver) {
        return nextLoop().connect(localIp, remoteIp, remotePort, driver);
    }

    /** Starts the event loop threads. */
    public void start() {
        for (HostLoop l : loops) {
            l.start();
        }
    }

    /**
     * Runs {@code work} on the host's only loop (tests, tools); a host with several loops
     * refuses, as work on a connection belongs on its own loop ({@link Connection#onLoop}).
     */
    public <T> CompletableFuture<T> call(Supplier<T> work) {
        return only("call").call(work);
    }

    /** Connections with a driver now, read on the only loop (inside {@link #call}); see {@link #connections()}. */
    public List<Connection> connectionsNow() {
        return only("connectionsNow").connectionsNow();
    }

    private HostLoop only(String what) {
        if (loops.length > 1) {
            throw new IllegalStateException(what + " needs a host with one loop; host " + name + " has " + loops.length
                    + ": use Connection.onLoop or connections()");
        }
        return loops[0];
    }

    /** Logs and publishes an event of another part of the agent (the checkpointer, the cluster); any thread. */
    public void report(String kind, String subject, String detail) {
        loops[0].report(kind, subject, detail);
    }

    /**
     * Frame counters: with one loop its live counters (read from another thread: a snapshot,
     * not exact); with several, their sum now, with the frames their lanes dropped.
     */
    public HostCounters counters() {
        if (loops.length == 1) {
            return loops[0].counters();
        }
        HostCounters sum = Counters.sum(Arrays.stream(loops).map(HostLoop::counters).toList(), HostCounters::new);
        sum.laneDrops = lanes == null ? 0 : lanes.drops();
        return sum;
    }

    /** TCP counters: with one loop its live counters; with several, their sum now. */
    public TcpCounters tcpCounters() {
        return loops.length == 1 ? loops[0].tcpCounters()
                : Counters.sum(Arrays.stream(loops).map(HostLoop::tcpCounters).toList(), TcpCounters::new);
    }

    /** Connections with a driver, as lists made on each loop. */
    public CompletableFuture<List<Connection>> connections() {
        return onEach(List.of(loops), HostLoop::connections).thenApply(parts -> parts.stream().flatMap(List::stream).toList());
    }

    /** {@code view} of every connection with a driver, each made on its connection's loop. */
    public <T> CompletableFuture<List<T>> connections(Function<Connection, T> view) {
        return onEach(List.of(loops), l -> l.call(() -> l.connectionsNow().stream().map(view).toList()))
                .thenApply(parts -> parts.stream().flatMap(List::stream).toList());
    }

    /**
     * Closes every connection cleanly (FIN after queued data), waits up to {@code graceMs}
     * for the peers to finish, resets what is left, then stops the loops and the link.
     */
    public void shutdown(long graceMs) {
        for (HostLoop l : loops) {
            l.beginShutdown(graceMs);
        }
        for (HostLoop l : loops) {
            l.awaitShutdown(graceMs);
        }
    }

    @Override
    public void close() {
        shutdown(0);
    }

    /** Waits until every loop has ended; rethrows what ended one abnormally. */
    public void awaitTermination() throws InterruptedException {
        for (HostLoop l : loops) {
            l.awaitTermination();
        }
    }
}
