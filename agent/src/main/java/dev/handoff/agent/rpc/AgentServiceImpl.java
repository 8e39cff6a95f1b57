package dev.handoff.agent.rpc;

import dev.handoff.agent.checkpoint.Durability;
import dev.handoff.agent.cluster.MemberStatus;
import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.host.LimitExceededException;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.agent.ici.InvalidIciException;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.CheckpointRequest;
import dev.handoff.proto.v1.CheckpointResponse;
import dev.handoff.proto.v1.ConnectionInfo;
import dev.handoff.proto.v1.DescribeRequest;
import dev.handoff.proto.v1.DescribeResponse;
import dev.handoff.proto.v1.Event;
import dev.handoff.proto.v1.HeartbeatRequest;
import dev.handoff.proto.v1.HeartbeatResponse;
import dev.handoff.proto.v1.ImportChunk;
import dev.handoff.proto.v1.ImportResponse;
import dev.handoff.proto.v1.ListConnectionsRequest;
import dev.handoff.proto.v1.ListConnectionsResponse;
import dev.handoff.proto.v1.MigrateRequest;
import dev.handoff.proto.v1.PreCopyRequest;
import dev.handoff.proto.v1.PreCopyResponse;
import dev.handoff.proto.v1.MigrateResponse;
import dev.handoff.proto.v1.MoveVipRequest;
import dev.handoff.proto.v1.MoveVipResponse;
import dev.handoff.proto.v1.PrepareImportRequest;
import dev.handoff.proto.v1.PrepareImportResponse;
import dev.handoff.proto.v1.ResurrectRequest;
import dev.handoff.proto.v1.ResurrectResponse;
import dev.handoff.proto.v1.TakeVipRequest;
import dev.handoff.proto.v1.TakeVipResponse;
import dev.handoff.proto.v1.WatchEventsRequest;
import dev.handoff.store.StaleEpochException;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/** The agent's control API over one {@link Host}. */
public final class AgentServiceImpl extends AgentServiceGrpc.AgentServiceImplBase {
    /** Deadline of agent-to-agent calls and of work on the host's loop, ms. */
    static final long DEADLINE_MS = 5000;
    /** Longest a move waits for the send buffer to drain and the peer to pause, its application's writes held, ms (see {@link #drain}). */
    static final long DRAIN_MS = 20;

    /** The host served. */
    private final Host host;
    /** Channels to other agents by control address. */
    private final Function<String, Channel> channels;

    /** Checkpointing, or null when this agent has no store. */
    private final Durability durability;
    /** Seals the ICIs this agent sends and checks those it receives. */
    private final IciSeal seal;
    /** Bounds the imports in progress and the bytes they hold. */
    private final ImportBudget imports = new ImportBudget(ImportBudget.MAX_IMPORTS, ImportBudget.MAX_BYTES);
    /** Send bytes of connections about to move here, copied before their freeze (pre-copy). */
    private final PreCopies preCopies = new PreCopies(System::currentTimeMillis);
    /** ICIs of moves sent and taken over the link, loop to loop. */
    private final LinkMoves links;

    /**
     * Serves {@code host} with checkpointing ({@code durability}, or null without a store);
     * {@code channels} opens (or reuses) a channel to another agent's control address; ICIs
     * sent are sealed and ICIs received checked with {@code seal}.
     */
    public AgentServiceImpl(Host host, Function<String, Channel> channels, Durability durability, IciSeal seal) {
        this.host = host;
        this.channels = channels;
        this.durability = durability;
        this.seal = seal;
        this.links = new LinkMoves(host, seal, preCopies);
        host.handleMoveFrames(links);
    }

    @Override
    public void checkpoint(CheckpointRequest request, StreamObserver<CheckpointResponse> out) {
        try {
            requireDurability();
            await(durability.checkpointer().checkpointNow(request.getConnectionId()),
                    "checkpointing " + request.getConnectionId());
            out.onNext(CheckpointResponse.getDefaultInstance());
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    @Override
    public void resurrect(ResurrectRequest request, StreamObserver<ResurrectResponse> out) {
        String vip = Ipv4Address.format(request.getVip());
        try {
            requireDurability();
            List<Connection> in = await(durability.resurrector().resurrect(request.getVip()), "resurrecting " + vip);
            out.onNext(ResurrectResponse.newBuilder().addAllConnectionIds(in.stream().map(Connection::id).toList())
                    .setLeaseEpoch(durability.leases().epochFor(request.getVip())).build());
            out.onCompleted();
        } catch (StaleEpochException e) {
            out.onError(Status.FAILED_PRECONDITION.withDescription("cannot take " + vip + ": " + e.getMessage()
                    + "; retry once that lease has run out").asRuntimeException());
        } catch (IllegalArgumentException | IllegalStateException e) {
            out.onError(Status.INTERNAL.withDescription("resurrecting " + vip + ": " + e.getMessage()).asRuntimeException());
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    private void requireDurability() {
        if (durability == null) {
            throw Status.FAILED_PRECONDITION.withDescription("agent " + host.name()
                    + " keeps no checkpoints: start it with --store ADDR:PORT or --store-dir DIR").asRuntimeException();
        }
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
        MemberStatus from = MemberStatus.fromProto(request.getFrom());
        MemberStatus me = durability != null && durability.membership() != null ? durability.membership().heard(from)
                : new MemberStatus(host.name(), host.vipsSpokenFor(), durability != null && durability.leases().storeReachable());
        out.onNext(HeartbeatResponse.newBuilder().setStatus(me.toProto()).build());
        out.onCompleted();
    }

    @Override
    public void describe(DescribeRequest request, StreamObserver<DescribeResponse> out) {
        DescribeResponse.Builder b = DescribeResponse.newBuilder().setName(host.name()).setMac(host.mac());
        for (int v : host.vips()) {
            b.addVips(v);
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void listConnections(ListConnectionsRequest request, StreamObserver<ListConnectionsResponse> out) {
        try {
            List<ConnectionInfo> infos = await(host.connections(AgentServiceImpl::info), "listing connections");
            out.onNext(ListConnectionsResponse.newBuilder().addAllConnections(infos).build());
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    private static ConnectionInfo info(Connection c) {
        var t = c.tcp();
        return ConnectionInfo.newBuilder().setId(c.id()).setVip(t.localIp()).setPort(t.localPort())
                .setPeer(t.remoteIp()).setPeerPort(t.remotePort()).setState(t.state().name())
                .setBytesIn(c.bytesIn()).setBytesOut(c.bytesOut())
                .setAgeMs(Math.max(0, System.currentTimeMillis() - c.openedAt())).setApplication(c.application())
                .build();
    }

    @Override
    public void migrate(MigrateRequest request, StreamObserver<MigrateResponse> out) {
        Channel channel = channels.apply(request.getDestination());
        String id = request.getConnectionId();
        long destinationMac;
        SendPreCopy.Held held;
        PrepareImportResponse prepared;
        long token = links.newToken();
        try {
            // The destination is told first, while the application still writes: the link does
            // not idle for that round trip. From now on it holds the connection's frames, or,
            // if they come through it (a connection coming back), from the first one the origin
            // sends back once frozen: the acknowledgements the drain waits for still pass.
            prepared = prepareAsync(channel, id, false, token).await(DEADLINE_MS);
            // Its answer names the destination's MAC (an older agent's does not: then asked apart).
            destinationMac = prepared.getMac() != 0 ? prepared.getMac() : macOf(channel, request.getDestination());
        } catch (StatusRuntimeException e) {
            out.onError(cancelled(channel, id, destinationFailed(request, e)));
            return;
        }
        try {
            // The application's writes held, a fast sender's buffer drains at line rate; what a
            // slow peer leaves in it is copied ahead while the connection runs on, no longer
            // overtaken by new writes.
            held = drain(id) > SendPreCopy.ENOUGH ? SendPreCopy.run(channel, host, id, seal, DEADLINE_MS) : SendPreCopy.Held.NONE;
        } catch (StatusRuntimeException e) {
            releaseWrites(id);
            out.onError(cancelled(channel, id, destinationFailed(request, e)));
            return;
        }
        // The ICI leaves from the loop as soon as it is dumped, without first going back to this
        // thread: over the link, loop to loop, when the destination takes it there and it fits in
        // 128 frames, else on an Import call. That call is set up before the freeze when the link
        // is not offered; else only if needed (a large ICI, or the link's answer late).
        LinkMoves.Attempt link = prepared.getOverLink() ? links.attempt(id, token, destinationMac) : null;
        IciTransfer call = link != null ? IciTransfer.onDemand(channel, DEADLINE_MS) : IciTransfer.open(channel, DEADLINE_MS);
        try {
            moveFrozen(request, out, channel, call, link, destinationMac, held, prepared.getHolding());
        } finally {
            if (link != null) {
                link.close();
            }
        }
    }

    /** {@link #migrate} from the freeze on: the ICI over {@code link} (or null) or {@code call}, the answer, the end of the move. */
    private void moveFrozen(MigrateRequest request, StreamObserver<MigrateResponse> out, Channel channel, IciTransfer call,
                            LinkMoves.Attempt link, long destinationMac, SendPreCopy.Held held, boolean holding) {
        String id = request.getConnectionId();
        long token = link != null ? link.token() : 0;
        CompletableFuture<Host.Export> frozen = host.exportConnection(id, destinationMac, 0, held.from(), held.to(), holding);
        CompletableFuture<Void> sending = frozen.thenAccept(e -> {
            if (link == null || !link.send(e)) {
                call.send(List.of(e), 0, seal, token);
            }
        });
        try {
            await(sending, "freezing " + id);
        } catch (StatusRuntimeException e) {
            boolean overLink = link != null && !link.cancelUnlessSent();
            if (!overLink && call.cancelUnlessSent("the freeze failed: " + e.getStatus().getDescription())) {
                // A loop that freezes the connection after all keeps it: it runs on here.
                frozen.thenAccept(late -> host.finishMove(List.of(late), 0, false, "its freeze came after the move was given up"));
                releaseWrites(id);
                out.onError(cancelled(channel, id, e));
                return;
            }
            sending.join(); // the loop answered just late: the ICI is on its way
        }
        Host.Export export = frozen.join();
        List<Host.Export> exports = List.of(export);
        try {
            Delivery d = deliver(call, link, export);
            // From the isolation of the endpoint to the destination's answer (which comes after its
            // first segment): the freeze, not this thread's wake-ups around it.
            long freezeUs = (d.answeredAt() - export.frozenAt()) / 1000;
            finish(exports, 0, true, "");
            out.onNext(MigrateResponse.newBuilder().setFreezeUs(freezeUs)
                    .setDestinationConnectionId(d.connectionId()).setIciBytes(export.ici().getSerializedSize())
                    .setPrecopiedBytes(export.ici().getSendPrecopied()).setOverLink(d.overLink()).build());
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(cancelled(channel, id, undo(exports, 0, request.getDestination(), e)));
        }
    }

    /**
     * A move delivered: the connection's id at the destination, when its answer came
     * ({@link System#nanoTime}), and whether over the link.
     */
    private record Delivery(String connectionId, long answeredAt, boolean overLink) {
    }

    /**
     * The destination's answer to the ICI of {@code export}: over the link if it went there and
     * the answer comes within {@link LinkMoves#WAIT_MS}; else the ICI goes (again) on {@code call},
     * with the move's token, and the first answer, either way, counts (the destination imports a
     * move's connection once and answers both). Fails with the destination's refusal, or the
     * call's failure.
     */
    private Delivery deliver(IciTransfer call, LinkMoves.Attempt link, Host.Export export) {
        if (link != null && link.sent()) {
            LinkMoves.Answer a = link.await();
            if (a == null) {
                // Unanswered over the link: the ICI goes on the call too, and the first answer counts
                // (the link's may only have been slow; the destination imports the connection once).
                call.send(List.of(export), 0, seal, link.token());
                try {
                    CompletableFuture.anyOf(link.answered(), call.answered()).get(DEADLINE_MS, TimeUnit.MILLISECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    // the call failed or did not answer: call.answer() below reports it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                a = link.answerNow();
            }
            if (a != null) {
                call.cancelUnlessSent("answered over the link");
                if (!a.status().isOk()) {
                    throw a.status().asRuntimeException();
                }
                return new Delivery(a.status().getDescription(), a.at(), true);
            }
        }
        ImportResponse r = call.answer();
        return new Delivery(r.getConnectionIds(0), call.answeredAt(), false);
    }

    /**
     * Holds the application's writes while the send buffer drains, until at most
     * {@link SendPreCopy#ENOUGH} bytes are left and the peer pauses between its writes (see
     * {@code DrainWait}: its data caught by the freeze would wait for the destination's ACK), or
     * {@link #DRAIN_MS} passed; answers the bytes left. A fast sender empties a full buffer in a
     * few ms without a pause, where a pre-copy never catches up with it and the freeze would move
     * megabytes. The writes stay held until the freeze (a move that fails before it lets them go
     * again). The loop says when the moment came (no polling).
     */
    private int drain(String id) {
        CompletableFuture<Integer> drained = host.drainTo(id, SendPreCopy.ENOUGH);
        try {
            return drained.get(DRAIN_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            drained.cancel(false); // a slow peer: what is left is copied ahead, or moves in the ICI
            return await(host.holdWrites(id, true), "draining " + id);
        } catch (InterruptedException | ExecutionException e) {
            throw failure(e, "draining " + id);
        }
    }

    /** Lets the application of {@code id} write again after a move given up before its freeze (best effort: it may be gone). */
    private void releaseWrites(String id) {
        host.holdWrites(id, false).exceptionally(e -> null);
    }

    @Override
    public void moveVip(MoveVipRequest request, StreamObserver<MoveVipResponse> out) {
        Channel channel = channels.apply(request.getDestination());
        int vip = request.getVip();
        DescribeResponse destination;
        try {
            destination = describe(channel, request.getDestination());
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        long destinationMac = destination.getMac();
        long start = System.nanoTime();
        List<Host.Export> exports;
        try {
            exports = await(host.exportVip(vip, destinationMac, 0), "releasing VIP " + Ipv4Address.format(vip));
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        try {
            if (!exports.isEmpty()) { // a VIP without connections just changes hands
                IciTransfer.send(channel, exports, vip, DEADLINE_MS, seal);
            }
        } catch (StatusRuntimeException e) {
            out.onError(undo(exports, vip, request.getDestination(), e));
            return;
        }
        // The frames held here go on first, then the destination announces the VIP: the peers'
        // segments reach it in the order they were sent.
        if (durability != null) {
            // Before the frames go on: the destination checkpoints (and acknowledges) under its own
            // epoch at once, and the VIP is never free for a take-over in between.
            durability.leases().handOver(vip, destination.getName());
        }
        finish(exports, vip, true, "");
        try {
            AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
                    .takeVip(TakeVipRequest.newBuilder().setVip(vip).build());
        } catch (StatusRuntimeException e) {
            out.onError(Status.INTERNAL.withDescription("the connections of " + Ipv4Address.format(vip) + " moved to "
                    + request.getDestination() + " but it did not take the VIP (" + e.getStatus()
                    + "); this agent forwards the VIP's traffic there: retry with TakeVip").asRuntimeException());
            return;
        }
        long us = (System.nanoTime() - start) / 1000;
        out.onNext(MoveVipResponse.newBuilder().setConnections(exports.size()).setDurationUs(us).build());
        out.onCompleted();
    }

    @Override
    public void prepareImport(PrepareImportRequest request, StreamObserver<PrepareImportResponse> out) {
        if (request.getCancel()) {
            preCopies.drop(request.getConnectionId());
        }
        try {
            boolean holding = await(host.prepareImport(request.getConnectionId(), !request.getCancel(), request.getToken()),
                    "preparing the import of " + request.getConnectionId());
            // Holding, it takes the ICI of the move with this token in a move frame too.
            out.onNext(PrepareImportResponse.newBuilder().setHolding(holding)
                    .setOverLink(holding && !request.getCancel() && request.getToken() != 0).setMac(host.mac()).build());
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    @Override
    public void preCopy(PreCopyRequest request, StreamObserver<PreCopyResponse> out) {
        String id = request.getConnectionId();
        if (id.isEmpty() || request.getData().isEmpty()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("a pre-copy needs connection_id and data").asRuntimeException());
            return;
        }
        try {
            seal.check(SendPreCopy.purpose(id, request.getOffset()), request.getData(), request.getTag());
            SendPreCopy.Held h = preCopies.add(id, request.getOffset(), request.getData());
            out.onNext(PreCopyResponse.newBuilder().setHeldFrom(h.from()).setHeldTo(h.to()).build());
            out.onCompleted();
        } catch (InvalidIciException e) {
            out.onError(Status.PERMISSION_DENIED.withDescription("pre-copy of " + id + " refused: " + e.getMessage())
                    .asRuntimeException());
        } catch (IllegalStateException e) {
            out.onError(Status.RESOURCE_EXHAUSTED.withDescription("pre-copy of " + id + " refused: " + e.getMessage()
                    + "; the move sends these bytes in its ICI instead").asRuntimeException());
        }
    }

    @Override
    public void takeVip(TakeVipRequest request, StreamObserver<TakeVipResponse> out) {
        try {
            await(host.addVip(request.getVip()), "taking VIP " + Ipv4Address.format(request.getVip()));
            out.onNext(TakeVipResponse.getDefaultInstance());
            out.onCompleted();
            if (durability != null) {
                durability.leases().claim(request.getVip()); // its connections are checkpointed once the lease is ours
            }
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    /** {@link #prepare} without waiting for the answer, for the move with {@code token} (0: none). */
    private static SingleAnswer<PrepareImportResponse> prepareAsync(Channel channel, String id, boolean cancel, long token) {
        SingleAnswer<PrepareImportResponse> answer = new SingleAnswer<>("PrepareImport");
        AgentServiceGrpc.newStub(channel).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
                .prepareImport(PrepareImportRequest.newBuilder().setConnectionId(id).setCancel(cancel).setToken(token).build(),
                        answer);
        return answer;
    }

    /** Tells the destination to hold (or, with {@code cancel}, stop holding) the frames of {@code id}; whether it holds them. */
    private static boolean prepare(Channel channel, String id, boolean cancel) {
        return prepareAsync(channel, id, cancel, 0).await(DEADLINE_MS).getHolding();
    }

    /** {@code error}, after telling the destination the move is off (and saying so if that failed too). */
    private static StatusRuntimeException cancelled(Channel channel, String id, StatusRuntimeException error) {
        try {
            prepare(channel, id, true);
            return error;
        } catch (StatusRuntimeException e) {
            return error.getStatus().augmentDescription("the destination could not be told the move is off ("
                    + e.getStatus() + "); it forwards the connection's frames again within "
                    + Host.PREPARE_MS + " ms").asRuntimeException();
        }
    }

    /** The destination's MAC, or UNAVAILABLE naming it. */
    private static long macOf(Channel channel, String destination) {
        return describe(channel, destination).getMac();
    }

    /** The destination's name, MAC and VIPs, or UNAVAILABLE naming it. */
    private static DescribeResponse describe(Channel channel, String destination) {
        try {
            return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
                    .describe(DescribeRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            throw unreachable(destination, e);
        }
    }

    /** {@code e}, or UNAVAILABLE naming the destination of {@code request} when a call to it failed so. */
    private static StatusRuntimeException destinationFailed(MigrateRequest request, StatusRuntimeException e) {
        return e.getStatus().getCode() == Status.Code.UNAVAILABLE ? unreachable(request.getDestination(), e) : e;
    }

    /** UNAVAILABLE: the call to {@code destination} failed with {@code e}, and nothing was moved. */
    private static StatusRuntimeException unreachable(String destination, StatusRuntimeException e) {
        return Status.UNAVAILABLE.withDescription("destination " + destination + " unreachable: " + e.getStatus()
                + "; nothing was moved").asRuntimeException();
    }

    private void finish(List<Host.Export> exports, int vip, boolean delivered, String reason) {
        await(host.finishMove(exports, vip, delivered, reason), "ending the move");
    }

    /** The result of work on the host's loop, or a status naming {@code what} failed (INVALID_ARGUMENT for refused input). */
    static <T> T await(CompletableFuture<T> work, String what) {
        try {
            return work.get(DEADLINE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw failure(e, what);
        }
    }

    /** After a refused or failed import: the connections (and VIP) run here again; the error says why. */
    private StatusRuntimeException undo(List<Host.Export> exports, int vip, String destination, StatusRuntimeException why) {
        String reason = "move to " + destination + " failed: " + why.getStatus().getCode() + " "
                + why.getStatus().getDescription();
        try {
            finish(exports, vip, false, reason);
        } catch (StatusRuntimeException back) {
            return Status.INTERNAL.withDescription(reason + ", and the connections could not be restored here: "
                    + back.getStatus().getDescription()).asRuntimeException();
        }
        return Status.FAILED_PRECONDITION.withDescription(reason + "; "
                + (vip != 0 ? "the VIP and its connections stay here" : "the connection keeps running here")).asRuntimeException();
    }

    @Override
    public StreamObserver<ImportChunk> import_(StreamObserver<ImportResponse> out) {
        return new ImportReceiver(host, out, seal, durability == null ? vip -> 0 : durability.leases()::storedEpoch, imports,
                preCopies);
    }

    @Override
    public void watchEvents(WatchEventsRequest request, StreamObserver<Event> out) {
        ServerCallStreamObserver<Event> call = (ServerCallStreamObserver<Event>) out;
        Runnable[] remove = new Runnable[1];
        remove[0] = host.addListener(e -> {
            try {
                call.onNext(Event.newBuilder().setUnixMs(System.currentTimeMillis()).setKind(e.kind())
                        .setSubject(e.subject()).setDetail(e.detail()).build());
            } catch (RuntimeException gone) {
                remove[0].run(); // the watcher went away between two events: stop sending to it
            }
        });
        call.setOnCancelHandler(remove[0]);
    }

    /** The status for work on the loop that failed with {@code e} (as thrown by a future's get, or given to its callbacks). */
    static StatusRuntimeException failure(Throwable e, String what) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return Status.CANCELLED.withDescription(what + ": interrupted").asRuntimeException();
        }
        Throwable cause = (e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null
                ? e.getCause() : e;
        if (cause instanceof TimeoutException) {
            return Status.DEADLINE_EXCEEDED.withDescription(what + ": the agent's loop did not answer in time").asRuntimeException();
        }
        Status s = cause instanceof IllegalArgumentException ? Status.INVALID_ARGUMENT
                : cause instanceof LimitExceededException ? Status.RESOURCE_EXHAUSTED : Status.INTERNAL;
        return s.withDescription(what + ": " + cause.getMessage()).asRuntimeException();
    }
}
