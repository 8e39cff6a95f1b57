package dev.handoff.agent.rpc;

import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.ConnectionInfo;
import dev.handoff.proto.v1.DescribeRequest;
import dev.handoff.proto.v1.DescribeResponse;
import dev.handoff.proto.v1.Event;
import dev.handoff.proto.v1.ImportChunk;
import dev.handoff.proto.v1.ImportResponse;
import dev.handoff.proto.v1.ListConnectionsRequest;
import dev.handoff.proto.v1.ListConnectionsResponse;
import dev.handoff.proto.v1.MigrateRequest;
import dev.handoff.proto.v1.MigrateResponse;
import dev.handoff.proto.v1.MoveVipRequest;
import dev.handoff.proto.v1.MoveVipResponse;
import dev.handoff.proto.v1.WatchEventsRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/** The agent's control API over one {@link Host}. */
public final class AgentServiceImpl extends AgentServiceGrpc.AgentServiceImplBase {
    /** Deadline of agent-to-agent calls and of work on the host's loop, ms. */
    static final long DEADLINE_MS = 5000;

    /** The host served. */
    private final Host host;
    /** Channels to other agents by control address. */
    private final Function<String, Channel> channels;

    /** Serves {@code host}; {@code channels} opens (or reuses) a channel to another agent's control address. */
    public AgentServiceImpl(Host host, Function<String, Channel> channels) {
        this.host = host;
        this.channels = channels;
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
            List<ConnectionInfo> infos = host.call(() -> host.connectionsNow().stream().map(AgentServiceImpl::info).toList())
                    .get(DEADLINE_MS, TimeUnit.MILLISECONDS);
            out.onNext(ListConnectionsResponse.newBuilder().addAllConnections(infos).build());
            out.onCompleted();
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            out.onError(failure(e, "listing connections"));
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
        long destinationMac;
        try {
            destinationMac = macOf(channel, request.getDestination());
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        long start = System.nanoTime();
        Host.Export export;
        try {
            export = host.exportConnection(request.getConnectionId(), destinationMac, 0).get(DEADLINE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            out.onError(failure(e, "freezing " + request.getConnectionId()));
            return;
        }
        List<Host.Export> exports = List.of(export);
        try {
            ImportResponse r = IciTransfer.send(channel, exports, 0, DEADLINE_MS);
            long freezeUs = (System.nanoTime() - start) / 1000;
            finish(exports, 0, true, "");
            out.onNext(MigrateResponse.newBuilder().setFreezeUs(freezeUs)
                    .setDestinationConnectionId(r.getConnectionIds(0)).build());
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(undo(exports, 0, request.getDestination(), e));
        }
    }

    @Override
    public void moveVip(MoveVipRequest request, StreamObserver<MoveVipResponse> out) {
        Channel channel = channels.apply(request.getDestination());
        int vip = request.getVip();
        long destinationMac;
        try {
            destinationMac = macOf(channel, request.getDestination());
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        long start = System.nanoTime();
        List<Host.Export> exports;
        try {
            exports = host.exportVip(vip, destinationMac, 0).get(DEADLINE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            out.onError(failure(e, "releasing VIP " + Ipv4Address.format(vip)));
            return;
        }
        try {
            IciTransfer.send(channel, exports, vip, DEADLINE_MS);
            long us = (System.nanoTime() - start) / 1000;
            finish(exports, vip, true, "");
            out.onNext(MoveVipResponse.newBuilder().setConnections(exports.size()).setDurationUs(us).build());
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(undo(exports, vip, request.getDestination(), e));
        }
    }

    /** The destination's MAC, or UNAVAILABLE naming it. */
    private static long macOf(Channel channel, String destination) {
        try {
            return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
                    .describe(DescribeRequest.getDefaultInstance()).getMac();
        } catch (StatusRuntimeException e) {
            throw Status.UNAVAILABLE.withDescription("destination " + destination + " unreachable: " + e.getStatus()
                    + "; nothing was moved").asRuntimeException();
        }
    }

    private void finish(List<Host.Export> exports, int vip, boolean delivered, String reason) {
        try {
            host.finishMove(exports, vip, delivered, reason).get(DEADLINE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw failure(e, "ending the move");
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
        return new ImportReceiver(host, out);
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

    static StatusRuntimeException failure(Exception e, String what) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return Status.CANCELLED.withDescription(what + ": interrupted").asRuntimeException();
        }
        if (e instanceof TimeoutException) {
            return Status.DEADLINE_EXCEEDED.withDescription(what + ": the agent's loop did not answer in time").asRuntimeException();
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        Status s = cause instanceof IllegalArgumentException ? Status.INVALID_ARGUMENT : Status.INTERNAL;
        return s.withDescription(what + ": " + cause.getMessage()).asRuntimeException();
    }
}
