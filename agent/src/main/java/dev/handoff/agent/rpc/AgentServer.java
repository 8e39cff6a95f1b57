package dev.handoff.agent.rpc;

import dev.handoff.agent.checkpoint.Durability;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.security.Credentials;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
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
     * Starts the control API of {@code host} on {@code builder} for a real network: calls are
     * authorized with {@code credentials} and other agents are dialled with them; checkpointing
     * through {@code durability} (or null); ICIs sealed and checked with {@code seal}.
     */
    public static AgentServer start(ServerBuilder<?> builder, Host host, Credentials credentials, Durability durability,
                                    IciSeal seal) throws IOException {
        Map<String, ManagedChannel> opened = new ConcurrentHashMap<>();
        // Answers to this agent's calls are handled on the transport's thread (they complete a
        // future or fill a queue, never block): one thread hand-off less in every move's freeze.
        Function<String, Channel> dial = address -> opened.computeIfAbsent(address,
                a -> Grpc.newChannelBuilder(a, credentials.channel()).directExecutor().build());
        return start(builder.intercept(credentials.authorizer()), host, dial, durability, seal, opened);
    }

    /**
     * Starts the control API of {@code host} on {@code builder}, other agents reached through
     * {@code channels} (tests pass in-process channels); checkpointing through {@code durability} (or null);
     * ICIs sealed and checked with {@code seal}.
     */
    public static AgentServer start(ServerBuilder<?> builder, Host host, Function<String, Channel> channels,
                                    Durability durability, IciSeal seal) throws IOException {
        return start(builder, host, channels, durability, seal, Map.of());
    }

    private static AgentServer start(ServerBuilder<?> builder, Host host, Function<String, Channel> dial,
                                     Durability durability, IciSeal seal, Map<String, ManagedChannel> opened)
            throws IOException {
        HealthStatusManager health = new HealthStatusManager();
        Server s = builder.maxInboundMessageSize(MAX_MESSAGE).callExecutor(new ImportsInline())
                .addService(new AgentServiceImpl(host, dial, durability, seal))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .build().start();
        health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        return new AgentServer(s, opened);
    }

    /**
     * Runs {@code Import} calls on the transport's thread: the ICI of a frozen connection goes
     * straight from the transport to the loop that creates it (ImportReceiver never blocks
     * there); every other call runs on the server's executor, as they may wait on a loop.
     */
    private static final class ImportsInline implements ServerCallExecutorSupplier {
        @Override
        public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
            return call.getMethodDescriptor().equals(AgentServiceGrpc.getImportMethod()) ? Runnable::run : null;
        }
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
