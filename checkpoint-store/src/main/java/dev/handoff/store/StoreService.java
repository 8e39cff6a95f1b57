package dev.handoff.store;

import com.google.protobuf.ByteString;
import dev.handoff.proto.v1.AcquireLeaseRequest;
import dev.handoff.proto.v1.CheckpointStoreServiceGrpc;
import dev.handoff.proto.v1.GetLeaseRequest;
import dev.handoff.proto.v1.LeaseInfo;
import dev.handoff.proto.v1.ListCheckpointsRequest;
import dev.handoff.proto.v1.ListCheckpointsResponse;
import dev.handoff.proto.v1.ReadRequest;
import dev.handoff.proto.v1.ReadResponse;
import dev.handoff.proto.v1.WriteOp;
import dev.handoff.proto.v1.WriteRequest;
import dev.handoff.proto.v1.WriteResponse;
import dev.handoff.proto.v1.WriteResult;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** The store's gRPC API over a {@link CheckpointStore}. */
final class StoreService extends CheckpointStoreServiceGrpc.CheckpointStoreServiceImplBase {
    /** Most operations in one Write. */
    static final int MAX_OPS = 100_000;

    /** The store served. */
    private final CheckpointStore store;

    StoreService(CheckpointStore store) {
        this.store = store;
    }

    @Override
    public void write(WriteRequest request, StreamObserver<WriteResponse> out) {
        apply(request).thenAccept(s -> {
            if (s.isOk()) {
                out.onNext(WriteResponse.getDefaultInstance());
                out.onCompleted();
            } else {
                out.onError(s.asRuntimeException());
            }
        });
    }

    /**
     * Each request applied in the order received (the store queues them so: callbacks of one
     * call come one at a time) and answered in that order, whatever order they are durable in.
     */
    @Override
    public StreamObserver<WriteRequest> writeStream(StreamObserver<WriteResult> out) {
        return new StreamObserver<>() {
            /** Done once the answer to the last request received is sent (callbacks of this call only). */
            private CompletableFuture<Void> answered = CompletableFuture.completedFuture(null);

            @Override
            public void onNext(WriteRequest request) {
                CompletableFuture<Status> result = apply(request);
                answered = answered.thenCombine(result, (x, s) -> s).thenAccept(s -> {
                    synchronized (out) {
                        out.onNext(WriteResult.newBuilder().setCode(s.getCode().value())
                                .setDescription(s.getDescription() == null ? "" : s.getDescription()).build());
                    }
                });
            }

            @Override
            public void onError(Throwable t) {
                // the writer went away: what it sent is applied (and durable) all the same
            }

            @Override
            public void onCompleted() {
                answered.thenRun(() -> {
                    synchronized (out) {
                        out.onCompleted();
                    }
                });
            }
        };
    }

    /** Validates and applies {@code request}; completes with OK once durable, or with why not (never exceptionally). */
    private CompletableFuture<Status> apply(WriteRequest request) {
        if (request.getOpsCount() > MAX_OPS) {
            return CompletableFuture.completedFuture(Status.RESOURCE_EXHAUSTED.withDescription(request.getOpsCount()
                    + " operations in one Write, at most " + MAX_OPS));
        }
        List<CheckpointWrite> writes = new ArrayList<>(request.getOpsCount());
        try {
            for (WriteOp op : request.getOpsList()) {
                writes.add(WriteOps.fromProto(op));
            }
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
        }
        return store.write(writes).handle((ok, error) -> error == null ? Status.OK : status(error));
    }

    @Override
    public void read(ReadRequest request, StreamObserver<ReadResponse> out) {
        store.read(request.getConnectionId()).ifPresentOrElse(c -> {
            out.onNext(response(c));
            out.onCompleted();
        }, () -> out.onError(Status.NOT_FOUND.withDescription("no checkpoint of " + request.getConnectionId()).asRuntimeException()));
    }

    private static ReadResponse response(Checkpoint c) {
        return ReadResponse.newBuilder().setConnectionId(c.connectionId()).setVip(c.vip()).setEpoch(c.epoch())
                .setState(ByteString.copyFrom(c.state())).setStreamStart(c.streamStart())
                .setStream(ByteString.copyFrom(c.stream())).build();
    }

    @Override
    public void readVip(ListCheckpointsRequest request, StreamObserver<ReadResponse> out) {
        for (Checkpoint c : store.readAll(request.getVip())) {
            out.onNext(response(c));
        }
        out.onCompleted();
    }

    @Override
    public void listCheckpoints(ListCheckpointsRequest request, StreamObserver<ListCheckpointsResponse> out) {
        out.onNext(ListCheckpointsResponse.newBuilder().addAllConnectionIds(store.connectionsOf(request.getVip())).build());
        out.onCompleted();
    }

    @Override
    public void acquireLease(AcquireLeaseRequest request, StreamObserver<LeaseInfo> out) {
        if (request.getOwner().isEmpty() || request.getTtlMs() < 1) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("a lease needs an owner and ttl_ms >= 1").asRuntimeException());
            return;
        }
        try {
            Lease l;
            if (!request.getHandOverTo().isEmpty()) {
                l = store.handOver(request.getVip(), request.getOwner(), request.getHandOverTo(), request.getTtlMs());
            } else if (request.getFresh()) {
                l = store.acquireFresh(request.getVip(), request.getOwner(), request.getTtlMs());
            } else {
                l = store.acquire(request.getVip(), request.getOwner(), request.getTtlMs());
            }
            out.onNext(info(l));
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(status(e).asRuntimeException());
        }
    }

    @Override
    public void getLease(GetLeaseRequest request, StreamObserver<LeaseInfo> out) {
        store.lease(request.getVip()).ifPresentOrElse(l -> {
            out.onNext(info(l));
            out.onCompleted();
        }, () -> out.onError(Status.NOT_FOUND.withDescription("no lease was ever granted on this VIP").asRuntimeException()));
    }

    static LeaseInfo info(Lease l) {
        return LeaseInfo.newBuilder().setVip(l.vip()).setOwner(l.owner()).setEpoch(l.epoch()).setExpiresAtUnixMs(l.expiresAt())
                .build();
    }

    /** The status for a store error: stale epochs are FAILED_PRECONDITION, bad requests INVALID_ARGUMENT. */
    private static Status status(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof StaleEpochException) {
            return Status.FAILED_PRECONDITION.withDescription(cause.getMessage());
        }
        if (cause instanceof IllegalArgumentException) {
            return Status.INVALID_ARGUMENT.withDescription(cause.getMessage());
        }
        return Status.UNAVAILABLE.withDescription("the store could not write: " + cause.getMessage());
    }
}
