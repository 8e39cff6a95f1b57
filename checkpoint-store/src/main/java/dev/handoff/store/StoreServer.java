package dev.handoff.store;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** The store's gRPC server: the store API plus health and reflection. */
public final class StoreServer implements AutoCloseable {
    /** Largest message accepted: a batch of writes with send bytes. */
    static final int MAX_MESSAGE = 64 << 20;

    /** The running server. */
    private final Server server;

    private StoreServer(Server server) {
        this.server = server;
    }

    /** Serves {@code store} on {@code builder} (tests pass an in-process builder). */
    public static StoreServer start(ServerBuilder<?> builder, CheckpointStore store) throws IOException {
        HealthStatusManager health = new HealthStatusManager();
        Server s = builder.maxInboundMessageSize(MAX_MESSAGE)
                .addService(new StoreService(store))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .build().start();
        health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
        return new StoreServer(s);
    }

    /** The port listened on. */
    public int port() {
        return server.getPort();
    }

    /** Waits until the server has stopped. */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
