package dev.handoff.agent.rpc;

import dev.handoff.agent.checkpoint.Durability;
import dev.handoff.agent.host.Host;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** The agent's gRPC server: the control API plus health and reflection. */
public final class AgentServer implements AutoCloseable {
    /** Largest message accepted: two 4 MB queues plus headroom. */
    static final int MAX_MESSAGE = 16 << 20;
    /** The running server. */
    private final Server server;
    /** Channels this agent opened to others. */
    private final Map<String, ManagedChannel> channels;

    private AgentServer(Server server, Map<String, ManagedChannel> channels) {
        this.server = server;
        this.channels = channels;
    }

    /**
     * Starts the control API of {@code host} on {@code builder}; calls to other agents go
     * through {@code channels} (tests pass in-process channels), or plaintext channels by
     * address when it is null.
     */
    public static AgentServer start(ServerBuilder<?> builder, Host host, Function<String, Channel> channels)
            throws IOException {
        return start(builder, host, channels, null);
    }

    /** Like {@link #start(ServerBuilder, Host, Function)}, with checkpointing ({@code durability}, or null). */
    public static AgentServer start(ServerBuilder<?> builder, Host host, Function<String, Channel> channels,
                                    Durability durability) throws IOException {
        Map<String, ManagedChannel> opened = new ConcurrentHashMap<>();
        Function<String, Channel> dial = channels != null ? channels
                : address -> opened.computeIfAbsent(address, a -> ManagedChannelBuilder.forTarget(a).usePlaintext().build());
        HealthStatusManager health = new HealthStatusManager();
        // An ICI carries the send and receive queues: up to the buffer limits (4 MB each by
        // default) in one message until imports are streamed in chunks.
        Server s = builder.maxInboundMessageSize(MAX_MESSAGE)
                .addService(new AgentServiceImpl(host, dial, durability))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .build().start();
        health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        return new AgentServer(s, opened);
    }

    /** The port listened on. */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdown();
        for (ManagedChannel c : channels.values()) {
            c.shutdown();
        }
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
