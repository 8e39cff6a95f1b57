package dev.handoff.agent.checkpoint;

import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.HostLoop;
import dev.handoff.agent.host.HostEvent;
import dev.handoff.agent.ici.IciCodec;
import dev.handoff.agent.tcp.EndpointState;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpState;
import dev.handoff.proto.v1.Ici;
import dev.handoff.proto.v1.StreamPiece;
import dev.handoff.store.CheckpointStore;
import dev.handoff.store.CheckpointWrite;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The part of a {@link Checkpointer} that checkpoints the connections of one event loop:
 * its rounds run on that loop, and all it tracks is that loop's alone.
 */
final class LoopCheckpointer {
    /** Delay of the round that follows one which stored send bytes, ms. */
    static final long FOLLOW_UP_MS = 1;
    /**
     * Most rounds sent and not yet confirmed. A strict application's bytes wait in its send
     * buffer from its write until the peer acknowledges them; with one round at a time they
     * also waited for the round before to be confirmed before being captured at all.
     */
    static final int MAX_IN_FLIGHT = 4;
    /** The loop whose connections are checkpointed. */
    private final HostLoop host;
    /** Where checkpoints go: this loop's rounds, applied in the order sent. */
    private final CheckpointStore.OrderedWriter store;
    /** Interval and bounds. */
    private final CheckpointSettings settings;
    /** Lease epochs to write under. */
    private final LeaseEpochs epochs;
    /**
     * Runs what a round costs beyond capturing it, in the order rounds are sent: tagging new
     * send pieces and sealing states (HMAC over every byte a strict application sends, at up
     * to a gigabyte a second), and handing the writes to the store; off the loop.
     */
    private final Executor sealer;
    /** Seals each checkpoint's state and tags its send pieces. */
    private final CheckpointSeal seal;
    /** Most send pieces listed in one checkpoint before the newer ones are merged. */
    static final int MAX_PIECES = 16;
    /** The host's clock (ms), stepped by hand in tests. */
    private final LongSupplier clock;
    /** Wall clock, ms since the epoch (stamped into checkpoints for TSval extrapolation). */
    private final LongSupplier wallClock;
    /** What is known of each connection (loop only). */
    private final Map<Connection, Tracked> tracked = new IdentityHashMap<>();
    /** Waiting for the next round to be sent (loop only). */
    private final List<CompletableFuture<Void>> waiters = new ArrayList<>();
    /** Rounds sent to the store and not yet finished, oldest first (loop only). */
    private final ArrayDeque<Round> inFlight = new ArrayDeque<>();
    /** Connections stopped by the MSL bound (or a lost lease) are being reported. */
    private boolean stalled;
    /** Schedules follow-up rounds, or null when driven by hand. */
    private volatile ScheduledExecutorService timer;
    /** Rounds confirmed. */
    private volatile long rounds;
    /** Writes confirmed. */
    private volatile long writes;
    /** Send bytes confirmed in the store. */
    private volatile long bytesAppended;

    /** One connection's checkpointing state. */
    private static final class Tracked {
        /** Stream offset up to which its send bytes are in the store (or in rounds in flight); -1 unknown. */
        long appendedTo = -1;
        /** Host time of the capture of its last confirmed checkpoint. */
        long durableAt;
        /** What its last captured checkpoint saw: SND.UNA, end written, copied_seq, state, FIN flags; to skip idle ones. */
        long signature = Long.MIN_VALUE;
        /** Something of it was written and must be deleted when it ends. */
        boolean stored;
        /** Stopped by the MSL bound or a missing lease. */
        boolean stopped;
        /** Checkpoint it in the next round even if nothing changed. */
        boolean force;
        /** Moved here without its VIP: never checkpointed here, never held or stopped. */
        boolean unprotected;
        /** The pieces of its send stream kept in the store, in order, from the one holding SND.UNA on. */
        final ArrayDeque<Piece> pieces = new ArrayDeque<>();
    }

    /**
     * A piece of a connection's send stream appended to the store, listed in its states. Made
     * on the loop; tagged once, by the sealer, before the first state listing it is sealed.
     */
    private static final class Piece {
        /** Stream offset of its first byte. */
        final long offset;
        /** Its length, bytes. */
        final int length;
        /** Its bytes until tagged (the sealer's thread only). */
        private byte[] bytes;
        /** Its tagged form once tagged (the sealer's thread only). */
        private StreamPiece tagged;

        Piece(long offset, byte[] bytes) {
            this.offset = offset;
            this.length = bytes.length;
            this.bytes = bytes;
        }

        long end() {
            return offset + length;
        }

        /** Its tagged form, tagging it the first time (on the sealer). */
        StreamPiece tagged(CheckpointSeal seal, String connectionId) {
            if (tagged == null) {
                tagged = seal.piece(connectionId, offset, bytes);
                bytes = null;
            }
            return tagged;
        }
    }

    /** What a round promised one connection once durable, and how many of its send bytes it appended. */
    private record Capture(Connection c, Tracked t, long at, int ackTo, int gate, long appended) {
    }

    /** A round sent to the store: finished in the order sent, whatever order the answers come in. */
    private static final class Round {
        /** What it promised each connection it captured. */
        final List<Capture> captures;
        /** Writes in it. */
        final int writes;
        /** Send bytes appended by it. */
        final long bytes;
        /** Waiting for it to be durable. */
        final List<CompletableFuture<Void>> waiters;
        /** The store answered. */
        boolean answered;
        /** Why it failed: the store's error, or that of an earlier round it may build on; null if durable. */
        Throwable error;
        /** It failed because an earlier round did (reported with that round, not again). */
        boolean voided;

        Round(List<Capture> captures, int writes, long bytes, List<CompletableFuture<Void>> waiters) {
            this.captures = captures;
            this.writes = writes;
            this.bytes = bytes;
            this.waiters = waiters;
        }
    }

    /** The part for {@code loop}; the loop holds new and moved-in connections until their first checkpoint from now on. */
    LoopCheckpointer(HostLoop loop, CheckpointStore store, CheckpointSettings settings, LeaseEpochs epochs,
                     CheckpointSeal seal, Executor sealer, LongSupplier clock, LongSupplier wallClock) {
        this.sealer = sealer;
        this.seal = seal;
        this.host = loop;
        this.store = store.orderedWriter();
        this.settings = settings;
        this.epochs = epochs;
        this.clock = clock;
        this.wallClock = wallClock;
        loop.holdForCheckpoints(true);
    }

    /** Runs a round every interval on the loop, scheduled by {@code timer}. */
    void start(ScheduledExecutorService timer) {
        this.timer = timer;
        timer.scheduleAtFixedRate(() -> host.execute(this::tick), settings.intervalMs(), settings.intervalMs(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Checkpoints connection {@code id} now, changed or not; completes once durable (for
     * {@code handoff checkpoint}). Fails if there is no such connection.
     */
    CompletableFuture<Void> checkpointNow(String id) {
        return host.call(() -> {
            Connection c = host.connectionsNow().stream().filter(x -> x.id().equals(id)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no connection " + id + " on host " + host.name()));
            tracked.computeIfAbsent(c, k -> fresh()).force = true;
            CompletableFuture<Void> done = new CompletableFuture<>();
            waiters.add(done);
            tick(); // or, with every slot taken, the round sent when the oldest is confirmed
            return done;
        }).thenCompose(f -> f);
    }

    /**
     * One round (on the loop): bounds first, then a batch of what changed since the last round
     * sent, unless {@link #MAX_IN_FLIGHT} rounds await the store. The store applies rounds in
     * the order sent ({@link CheckpointStore#orderedWriter}).
     */
    void tick() {
        long now = clock.getAsLong();
        enforceBounds(now);
        if (inFlight.size() >= MAX_IN_FLIGHT) {
            return;
        }
        List<Supplier<CheckpointWrite>> ops = new ArrayList<>();
        List<Capture> captures = new ArrayList<>();
        Set<Connection> alive = Collections.newSetFromMap(new IdentityHashMap<>());
        long wall = wallClock.getAsLong();
        for (Connection c : host.connectionsNow()) {
            alive.add(c);
            int mark = ops.size();
            try {
                capture(c, tracked.computeIfAbsent(c, k -> fresh()), now, wall, ops, captures);
            } catch (RuntimeException e) {
                // A bug in checkpointing one connection costs that connection, never the loop's others.
                ops.subList(mark, ops.size()).clear();
                host.report(HostEvent.ERROR, c.id(), "checkpointing it failed, resetting it: " + e);
                c.abort();
            }
        }
        for (var it = tracked.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Connection c = e.getKey();
            Tracked t = e.getValue();
            if (!alive.contains(c)) {
                it.remove();
                forget(c, t, ops);
            }
        }
        if (ops.isEmpty()) {
            if (inFlight.isEmpty()) {
                complete(waiters, null);
            } else {
                inFlight.peekLast().waiters.addAll(waiters); // durable once what is in flight is
                waiters.clear();
            }
            return;
        }
        long bytes = captures.stream().mapToLong(Capture::appended).sum();
        Round round = new Round(captures, ops.size(), bytes, new ArrayList<>(waiters));
        waiters.clear();
        inFlight.addLast(round);
        try {
            sealer.execute(() -> write(ops).whenComplete((ok, error) -> host.execute(() -> answered(round, error))));
        } catch (RejectedExecutionException e) {
            answered(round, new IllegalStateException("checkpointing has stopped", e));
        }
        if (bytes > 0) {
            followUp();
        }
    }

    /**
     * Strict applications wait for their bytes to be stored: while they write, the next round
     * goes as soon as they have written again (a round after one that carried send bytes, and
     * after its answer opened the gate), not at the next interval. Not when driven by hand.
     */
    private void followUp() {
        ScheduledExecutorService t = timer;
        if (t != null) {
            t.schedule(() -> host.execute(this::tick), FOLLOW_UP_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** A write of a round that needs no sealing. */
    private static Supplier<CheckpointWrite> ready(CheckpointWrite w) {
        return () -> w;
    }

    /** Seals the writes of a round and hands them to the store (on the sealer). */
    private CompletableFuture<Void> write(List<Supplier<CheckpointWrite>> ops) {
        try {
            List<CheckpointWrite> writes = new ArrayList<>(ops.size());
            for (Supplier<CheckpointWrite> op : ops) {
                writes.add(op.get());
            }
            return store.write(writes);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private Tracked fresh() {
        Tracked t = new Tracked();
        t.durableAt = clock.getAsLong(); // a new connection has the whole MSL for its first checkpoint
        return t;
    }

    /** Adds the writes for {@code c} to the round, if it changed (or is forced, or is getting old). */
    private void capture(Connection c, Tracked t, long now, long wall, List<Supplier<CheckpointWrite>> ops,
                         List<Capture> captures) {
        TcpConnection tcp = c.tcp();
        int vip = tcp.localIp();
        long epoch = epochs.epochFor(vip);
        if (epoch == LeaseEpochs.NONE) {
            if (!host.servesOrExpects(vip) && !t.unprotected) {
                // Moved here alone: its VIP, lease and fail-over stay with the VIP's agent, which
                // deleted its checkpoint when it left; holding it for checkpoints never written
                // would only stall it.
                t.unprotected = true;
                tcp.releaseCheckpointHolds();
                host.report(HostEvent.NOT_CHECKPOINTED, c.id(), "its VIP is served by another agent: not checkpointed"
                        + " here, and lost if this agent dies; move it back, or move the VIP here, to protect it");
            }
            return; // a VIP of ours whose lease is not granted (yet): held, and the MSL bound stops it in time
        }
        long signature = signature(tcp);
        boolean old = now - t.durableAt >= settings.mslMs() / 2;
        if (signature == t.signature && !t.force && !old) {
            return; // nothing changed: no snapshot taken, nothing written
        }
        t.force = false;
        t.signature = signature;
        int una = tcp.sndUnaData(); // not SND.UNA: once the FIN is acknowledged, that is one past the data
        long unsent = Integer.toUnsignedLong(tcp.writtenEnd() - una);
        byte[] rewound = c.applicationStateBefore(unsent);
        boolean deterministic = rewound != null;
        EndpointState s = tcp.checkpointState(deterministic);
        if (s == null) {
            forget(c, t, ops); // it ended (TIME-WAIT): nothing left to resurrect
            return; // or it is still in its handshake: nothing to resurrect yet
        }
        String id = c.id();
        long unaOffset = c.streamOffset(una);
        long endOffset = c.streamOffset(tcp.writtenEnd());
        byte[] app = deterministic ? rewound : c.applicationState();
        Ici ici = IciCodec.encode(s, now, wall, c.application(), app, epoch, false, unaOffset).toBuilder()
                .setIncarnation(c.incarnation()).build();
        int gate;
        long appended = 0;
        if (deterministic) {
            ops.add(() -> new CheckpointWrite.State(id, vip, epoch, seal.state(id, vip, ici, List.of())));
            ops.add(ready(new CheckpointWrite.Trim(id, vip, epoch, endOffset))); // the application regenerates it all
            t.appendedTo = -1;
            t.pieces.clear();
            gate = una + (int) settings.maxBytesBetween();
        } else {
            if (t.appendedTo < unaOffset) {
                t.pieces.clear(); // nothing known in the store from SND.UNA on: send it all again
            }
            while (!t.pieces.isEmpty() && t.pieces.peekFirst().end() <= unaOffset) {
                t.pieces.removeFirst(); // acknowledged by the peer
            }
            long trimTo = t.pieces.isEmpty() ? unaOffset : t.pieces.peekFirst().offset;
            Connection.SendCopy added = c.copySendStream(Math.max(t.appendedTo, unaOffset), Integer.MAX_VALUE);
            appended = added.data().length;
            if (appended > 0) {
                ops.add(ready(new CheckpointWrite.Append(id, vip, epoch, added.offset(), added.data())));
                t.pieces.addLast(new Piece(added.offset(), added.data()));
            }
            if (t.pieces.size() > MAX_PIECES) {
                mergePieces(c, t, unaOffset);
            }
            long needsFrom = t.pieces.isEmpty() ? endOffset : t.pieces.peekFirst().offset;
            List<Piece> listed = List.copyOf(t.pieces);
            // Refused unless the store keeps the bytes the pieces list: one an earlier round in
            // flight appended may yet fail.
            ops.add(() -> new CheckpointWrite.State(id, vip, epoch, seal.state(id, vip, ici,
                    listed.stream().map(p -> p.tagged(seal, id)).toList()), needsFrom, endOffset));
            // Trimmed at a piece's start, so that every byte a piece's tag covers stays in the
            // store; and after the state, which no longer lists what it drops: a crash that keeps
            // only part of the round (a torn commit) leaves the last state with all its bytes.
            ops.add(ready(new CheckpointWrite.Trim(id, vip, epoch, trimTo)));
            t.appendedTo = endOffset;
            gate = tcp.writtenEnd() + (s.finQueued() ? 1 : 0);
        }
        t.stored = true;
        c.rebaseStream(una);
        captures.add(new Capture(c, t, now, s.rcvNxt(), gate, appended));
    }

    /**
     * Replaces the pieces that start at or after SND.UNA by one, to be tagged anew from the
     * bytes still in the send buffer: a slow writer's many small appends would otherwise grow
     * every state record. The bytes re-read are those of at most {@link #MAX_PIECES} rounds.
     */
    private void mergePieces(Connection c, Tracked t, long unaOffset) {
        TcpConnection tcp = c.tcp();
        Piece head = t.pieces.peekFirst().offset < unaOffset ? t.pieces.removeFirst() : null;
        long from = t.pieces.peekFirst().offset;
        byte[] bytes = new byte[(int) (t.pieces.peekLast().end() - from)];
        tcp.copyWritten(tcp.sndUnaData() + (int) (from - unaOffset), bytes, 0, bytes.length);
        t.pieces.clear();
        if (head != null) {
            t.pieces.add(head); // it holds bytes before SND.UNA, no longer in the buffer: kept as it is
        }
        t.pieces.add(new Piece(from, bytes));
    }

    /**
     * A cheap fingerprint of what a checkpoint of {@code tcp} would say, read from the engine
     * alone so that an unchanged connection costs no snapshot: the application's state only
     * changes when it reads (copied_seq) or writes (the end written).
     */
    private static long signature(TcpConnection tcp) {
        long h = tcp.sndUna();
        h = h * 31 + tcp.writtenEnd();
        h = h * 31 + tcp.copiedSeq();
        h = h * 31 + tcp.state().ordinal();
        return h * 31 + (tcp.finQueued() ? 1 : 0);
    }

    /**
     * A connection that left: deleted from the store when it ended here, or when it moved
     * away alone (its VIP stays here, and a fail-over of this agent must not resurrect a
     * copy of a connection alive elsewhere); kept when it left with its VIP (moved or
     * abandoned), to go on from there.
     */
    private void forget(Connection c, Tracked t, List<Supplier<CheckpointWrite>> ops) {
        TcpState st = c.tcp().state();
        int vip = c.tcp().localIp();
        boolean ended = st == TcpState.CLOSED || st == TcpState.TIME_WAIT;
        if (!t.stored || !(ended || host.servesOrExpects(vip))) {
            return;
        }
        long epoch = epochs.epochFor(vip);
        if (epoch != LeaseEpochs.NONE) {
            ops.add(ready(new CheckpointWrite.Delete(c.id(), vip, epoch)));
            t.stored = false;
        }
    }

    /** The store answered {@code round}: finishes it and every answered round after it, in the order sent. */
    private void answered(Round round, Throwable error) {
        round.answered = true;
        if (round.error == null) {
            round.error = error;
        }
        boolean stored = false;
        while (!inFlight.isEmpty() && inFlight.peekFirst().answered) {
            Round r = inFlight.removeFirst();
            stored |= r.error == null && r.bytes > 0;
            finish(r);
        }
        if (!waiters.isEmpty()) {
            tick(); // asked for while every slot was taken
        } else if (stored) {
            followUp();
        }
    }

    /** The oldest round is durable (or failed): open what it covers, or leave everything held. */
    private void finish(Round round) {
        if (round.error != null) {
            startOver(round);
            for (Round later : inFlight) {
                // Built on this one's writes (pieces listed, bytes appended after them): failed
                // too, whatever the store answers; the next round starts over from SND.UNA.
                if (later.error == null) {
                    later.error = round.error;
                    later.voided = true;
                }
                startOver(later);
            }
            if (!round.voided) {
                stall("checkpoint round of " + round.captures.size() + " connections failed: "
                        + rootMessage(round.error) + "; nothing new is acknowledged or sent until one succeeds");
            }
            complete(round.waiters, round.error);
            return;
        }
        rounds++;
        writes += round.writes;
        bytesAppended += round.bytes;
        for (Capture k : round.captures) {
            if (tracked.get(k.c()) != k.t()) {
                continue; // it left meanwhile
            }
            TcpConnection tcp = k.c().tcp();
            k.t().durableAt = k.at();
            k.t().stopped = false;
            tcp.limitAck(k.ackTo());
            tcp.gateSend(k.gate());
        }
        if (stalled && tracked.values().stream().noneMatch(t -> t.stopped)) {
            stalled = false;
            host.report(HostEvent.CHECKPOINT_RESUMED, host.name(), "checkpoints confirmed again");
        }
        complete(round.waiters, null);
    }

    /** The connections {@code round} captured are written from SND.UNA again next time (writes are idempotent). */
    private static void startOver(Round round) {
        for (Capture k : round.captures) {
            k.t().appendedTo = -1;
            k.t().pieces.clear();
            k.t().signature = Long.MIN_VALUE;
        }
    }

    /** MSL bound: a connection whose last confirmed checkpoint is about to pass the MSL sends nothing new. */
    private void enforceBounds(long now) {
        long limit = settings.mslMs() - settings.intervalMs();
        int stopped = 0;
        for (Map.Entry<Connection, Tracked> e : tracked.entrySet()) {
            Tracked t = e.getValue();
            if (!t.stopped && !t.unprotected && now - t.durableAt >= limit) {
                TcpConnection tcp = e.getKey().tcp();
                tcp.gateSend(tcp.sndMax());
                t.stopped = true;
                stopped++;
            }
        }
        if (stopped > 0) {
            stall(stopped + " connections have no checkpoint younger than "
                    + settings.mslMs() + " ms: they send nothing new until the store confirms one");
        }
    }

    /** Says that connections are held back for want of confirmed checkpoints. */
    private void stall(String detail) {
        stalled = true;
        host.report(HostEvent.CHECKPOINT_STALLED, host.name(), detail);
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && (t instanceof CompletionException || t instanceof ExecutionException)) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    private static void complete(List<CompletableFuture<Void>> futures, Throwable error) {
        for (CompletableFuture<Void> f : futures) {
            if (error == null) {
                f.complete(null);
            } else {
                f.completeExceptionally(error);
            }
        }
        futures.clear();
    }

    /** Rounds confirmed so far. */
    long rounds() {
        return rounds;
    }

    /** Writes confirmed so far. */
    long writes() {
        return writes;
    }

    /** Send bytes confirmed so far. */
    long bytesAppended() {
        return bytesAppended;
    }
}
