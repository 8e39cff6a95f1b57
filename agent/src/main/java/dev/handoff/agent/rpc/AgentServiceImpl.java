package dev.handoff.agent.rpc;

import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.ConnectionInfo;
import dev.handoff.proto.v1.DescribeRequest;
import dev.handoff.proto.v1.DescribeResponse;
import dev.handoff.proto.v1.ImportRequest;
import dev.handoff.proto.v1.ImportResponse;
import dev.handoff.proto.v1.ListConnectionsRequest;
import dev.handoff.proto.v1.ListConnectionsResponse;
import dev.handoff.proto.v1.MigrateRequest;
import dev.handoff.proto.v1.MigrateResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
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
        AgentServiceGrpc.AgentServiceBlockingStub destination =
                AgentServiceGrpc.newBlockingStub(channels.apply(request.getDestination()));
        DescribeResponse d;
        try {
            d = destination.withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS).describe(DescribeRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            out.onError(Status.UNAVAILABLE.withDescription("destination " + request.getDestination() + " unreachable: "
                    + e.getStatus() + "; the connection keeps running here").asRuntimeException());
            return;
        }
        long start = System.nanoTime();
        Host.Export export;
        try {
            export = host.exportConnection(request.getConnectionId(), d.getMac(), 0).get(DEADLINE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            out.onError(failure(e, "freezing " + request.getConnectionId()));
            return;
        }
        try {
            ImportResponse r = destination.withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
                    .import_(ImportRequest.newBuilder().setIci(export.ici()).setPeerMac(export.peerMac()).build());
            long freezeUs = (System.nanoTime() - start) / 1000;
            out.onNext(MigrateResponse.newBuilder().setFreezeUs(freezeUs)
                    .setDestinationConnectionId(r.getConnectionId()).build());
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            // Never none: the destination did not take it, so it runs here again.
            try {
                host.importConnection(export.ici(), export.peerMac()).get(DEADLINE_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException back) {
                out.onError(Status.INTERNAL.withDescription("move failed (" + e.getStatus()
                        + ") and the connection could not be restored here: " + back).asRuntimeException());
                return;
            }
            out.onError(Status.FAILED_PRECONDITION.withDescription("move to " + request.getDestination() + " failed: "
                    + e.getStatus().getCode() + " " + e.getStatus().getDescription()
                    + "; the connection keeps running here").asRuntimeException());
        }
    }

    @Override
    public void import_(ImportRequest request, StreamObserver<ImportResponse> out) {
        try {
            long mac = request.getPeerMac() == 0 ? -1 : request.getPeerMac();
            Connection c = host.importConnection(request.getIci(), mac).get(DEADLINE_MS, TimeUnit.MILLISECONDS);
            out.onNext(ImportResponse.newBuilder().setConnectionId(c.id()).build());
            out.onCompleted();
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            out.onError(failure(e, "importing a connection"));
        }
    }

    private static StatusRuntimeException failure(Exception e, String what) {
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
