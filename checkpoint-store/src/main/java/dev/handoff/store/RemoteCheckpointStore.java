package dev.handoff.store;

import dev.handoff.proto.v1.AcquireLeaseRequest;
import dev.handoff.proto.v1.CheckpointStoreServiceGrpc;
import dev.handoff.proto.v1.GetLeaseRequest;
import dev.handoff.proto.v1.LeaseInfo;
import dev.handoff.proto.v1.ListCheckpointsRequest;
import dev.handoff.proto.v1.ReadRequest;
import dev.handoff.proto.v1.ReadResponse;
import dev.handoff.proto.v1.WriteOp;
import dev.handoff.proto.v1.WriteRequest;
import dev.handoff.proto.v1.WriteResponse;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link CheckpointStore} in another process (`handoff store`), over gRPC. Every call has
 * a deadline; a stale epoch comes back as {@link StaleEpochException}, any other failure
 * as an exception naming the store's status.
 */
public final class RemoteCheckpointStore implements BatchedCheckpointStore {
    /** Largest Write request sent, bytes (a quarter of what the store's server takes, {@link StoreServer#MAX_MESSAGE}). */
    static final long BATCH_BYTES = StoreServer.MAX_MESSAGE / 4;
    /** Deadline of each call, ms. */
    static final long DEADLINE_MS = 5000;

    /** The store's channel (owned by the caller). */
    private final Channel channel;

    public RemoteCheckpointStore(Channel channel) {
        this.channel = channel;
    }

    /**
     * A channel to the store at {@code host:port} with {@code credentials} that takes answers
     * as large as the store's own limit (a checkpoint's send bytes may pass gRPC's default 4 MiB).
     */
    public static ManagedChannel channelTo(String host, int port, ChannelCredentials credentials) {
        return Grpc.newChannelBuilderForAddress(host, port, credentials).maxInboundMessageSize(StoreServer.MAX_MESSAGE)
                .build();
    }

    private CheckpointStoreServiceGrpc.CheckpointStoreServiceBlockingStub blocking() {
        return CheckpointStoreServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * One Write call per {@link #BATCH_BYTES} of writes, each sent once the one before is
     * durable (so that appends arrive in order). Calls at once go at once: the store may
     * apply them in any order.
     */
    @Override
    public CompletableFuture<Void> write(List<CheckpointWrite> writes) {
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (WriteRequest r : batches(writes)) {
            chain = chain.thenCompose(x -> send(r));
        }
        return chain;
    }

    /** Writes on one stream, applied in the order sent, each sent without waiting for the answers before ({@link StreamedWriter}). */
    @Override
    public OrderedWriter orderedWriter() {
        return new StreamedWriter(channel);
    }

    /** {@code writes} as Write requests of at most {@link #BATCH_BYTES} (or {@link StoreService#MAX_OPS} writes) each. */
    static List<WriteRequest> batches(List<CheckpointWrite> writes) {
        List<WriteRequest> requests = new java.util.ArrayList<>();
        WriteRequest.Builder batch = WriteRequest.newBuilder();
        long bytes = 0;
        for (CheckpointWrite w : writes) {
            WriteOp built = WriteOps.toProto(w);
            if (batch.getOpsCount() > 0 && (bytes + built.getSerializedSize() > BATCH_BYTES
                    || batch.getOpsCount() == StoreService.MAX_OPS)) {
                requests.add(batch.build());
                batch = WriteRequest.newBuilder();
                bytes = 0;
            }
            batch.addOps(built);
            bytes += built.getSerializedSize();
        }
        if (batch.getOpsCount() > 0) {
            requests.add(batch.build());
        }
        return requests;
    }

    /** Sends one Write request; completes when the store says it is durable. */
    private CompletableFuture<Void> send(WriteRequest request) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        CheckpointStoreServiceGrpc.newStub(channel).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
                .write(request, new StreamObserver<>() {
                    @Override
                    public void onNext(WriteResponse r) {
                        done.complete(null);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(translate(t));
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        return done;
    }

    /** A failed call as the exception the store's API throws: stale epochs and bad requests keep their meaning. */
    static RuntimeException translate(Throwable t) {
        Status s = Status.fromThrowable(t);
        return switch (s.getCode()) {
            case FAILED_PRECONDITION -> new StaleEpochException(s.getDescription());
            case INVALID_ARGUMENT -> new IllegalArgumentException(s.getDescription());
            default -> new IllegalStateException("checkpoint store: " + s.getCode() + " " + s.getDescription(), t);
        };
    }

    @Override
    public Optional<Checkpoint> read(String connectionId) {
        try {
            return Optional.of(checkpoint(blocking().read(ReadRequest.newBuilder().setConnectionId(connectionId).build())));
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw translate(e);
        }
    }

    private static Checkpoint checkpoint(ReadResponse r) {
        return new Checkpoint(r.getConnectionId(), r.getVip(), r.getEpoch(), r.getState().toByteArray(), r.getStreamStart(),
                r.getStream().toByteArray());
    }

    /** One streamed call for all of them. */
    @Override
    public List<Checkpoint> readAll(int vip) {
        try {
            List<Checkpoint> all = new java.util.ArrayList<>();
            blocking().readVip(ListCheckpointsRequest.newBuilder().setVip(vip).build()).forEachRemaining(r -> all.add(checkpoint(r)));
            return all;
        } catch (StatusRuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public List<String> connectionsOf(int vip) {
        try {
            return blocking().listCheckpoints(ListCheckpointsRequest.newBuilder().setVip(vip).build()).getConnectionIdsList();
        } catch (StatusRuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public Lease acquire(int vip, String owner, long ttlMs) {
        return lease(AcquireLeaseRequest.newBuilder().setVip(vip).setOwner(owner).setTtlMs(ttlMs).build());
    }

    @Override
    public Lease acquireFresh(int vip, String owner, long ttlMs) {
        return lease(AcquireLeaseRequest.newBuilder().setVip(vip).setOwner(owner).setTtlMs(ttlMs).setFresh(true).build());
    }

    @Override
    public Lease handOver(int vip, String owner, String successor, long ttlMs) {
        return lease(AcquireLeaseRequest.newBuilder().setVip(vip).setOwner(owner).setTtlMs(ttlMs).setHandOverTo(successor)
                .build());
    }

    /** A lease call gives up after half the lease time: an answer later than that is of no use. */
    private Lease lease(AcquireLeaseRequest request) {
        try {
            return lease(CheckpointStoreServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(Math.clamp(request.getTtlMs() / 2, 1, DEADLINE_MS), TimeUnit.MILLISECONDS)
                    .acquireLease(request));
        } catch (StatusRuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public Optional<Lease> lease(int vip) {
        try {
            return Optional.of(lease(blocking().getLease(GetLeaseRequest.newBuilder().setVip(vip).build())));
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw translate(e);
        }
    }

    private static Lease lease(LeaseInfo i) {
        return new Lease(i.getVip(), i.getOwner(), i.getEpoch(), i.getExpiresAtUnixMs());
    }

    @Override
    public void close() {
        // the channel belongs to the caller
    }
}
