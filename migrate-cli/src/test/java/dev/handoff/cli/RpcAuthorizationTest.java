package dev.handoff.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.host.Host;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.rpc.AgentServer;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.CheckpointStoreServiceGrpc;
import dev.handoff.security.Credentials;
import dev.handoff.security.Role;
import dev.handoff.security.RpcPolicy;
import dev.handoff.store.FileCheckpointStore;
import dev.handoff.store.StoreServer;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every RPC of the agent and the store over real mutual TLS (issue "Security" tests): called
 * with no certificate, one of another CA, an expired one, and each role. Refused calls never
 * reach the service (a counter behind the authorizer stays still) and change nothing.
 */
class RpcAuthorizationTest {
    @TempDir
    static Path dir;

    /** Calls that got past authorization, by server. */
    static final AtomicInteger reached = new AtomicInteger();
    static Host host;
    static AgentServer agent;
    static StoreServer storeServer;
    static FileCheckpointStore store;
    static Path pki;

    @BeforeAll
    static void start() throws Exception {
        pki = Files.createDirectories(dir.resolve("pki"));
        ClusterCa.init(pki, "test", Duration.ofDays(10));
        for (Role r : Role.values()) {
            ClusterCa.issue(pki, r.label(), r, List.of("127.0.0.1"), List.of(), Duration.ofDays(1), false);
        }
        Instant now = Instant.now();
        ClusterCa.issue(pki, "expired", Role.OPERATOR, List.of(), List.of(), now.minus(Duration.ofDays(10)),
                now.minus(Duration.ofDays(1)), false);
        Path other = Files.createDirectories(dir.resolve("other"));
        ClusterCa.init(other, "other", Duration.ofDays(10));
        ClusterCa.issue(other, "mallory", Role.OPERATOR, List.of(), List.of(), Duration.ofDays(1), false);

        Credentials server = credentials(pki, "agent");
        host = new Host("a", new MemorySwitch().port("a", 0x02000000000aL), TcpConfig.defaults(), new SplittableRandom(1), e -> { });
        host.start();
        agent = AgentServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), server.server())
                .intercept(new Counter()), host, server, null, IciSeal.withKey(new byte[IciSeal.BYTES]));
        store = FileCheckpointStore.open(dir.resolve("store"), System::currentTimeMillis);
        storeServer = StoreServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), server.server())
                .intercept(new Counter()).intercept(server.authorizer()), store);
    }

    @AfterAll
    static void stop() {
        agent.close();
        storeServer.close();
        store.close();
        host.shutdown(0);
    }

    static Credentials credentials(Path in, String holder) {
        return Credentials.mutualTls(in.resolve(holder + ".pem"), in.resolve(holder + "-key.pem"), pki.resolve("ca.pem"));
    }

    /** Counts the calls that reach the services. */
    static final class Counter implements ServerInterceptor {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata h, ServerCallHandler<Q, A> next) {
            reached.incrementAndGet();
            return next.startCall(call, h);
        }
    }

    /** A method of one of the two services and the port serving it. */
    record Rpc(MethodDescriptor<?, ?> method, int port) {
    }

    static List<Rpc> everyRpc() {
        List<Rpc> all = new ArrayList<>();
        for (ServerServiceDefinition s : List.of(
                new AgentServiceGrpc.AgentServiceImplBase() { }.bindService(),
                new CheckpointStoreServiceGrpc.CheckpointStoreServiceImplBase() { }.bindService())) {
            int port = s.getServiceDescriptor().getName().contains("Agent") ? agent.port() : storeServer.port();
            s.getMethods().forEach(m -> all.add(new Rpc(m.getMethodDescriptor(), port)));
        }
        assertEquals(19, all.size(), "the two services' RPCs: 12 of the agent, 7 of the store");
        return all;
    }

    /** The status a call of {@code rpc} with one default request ends with (OK when still streaming after a second). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Status call(Rpc rpc, io.grpc.ChannelCredentials as) throws Exception {
        ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", rpc.port(), as).build();
        try {
            MethodDescriptor m = rpc.method();
            Object request = ((MethodDescriptor.PrototypeMarshaller) m.getRequestMarshaller()).getMessagePrototype();
            CompletableFuture<Status> closed = new CompletableFuture<>();
            ClientCall c = ch.newCall(m, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
            c.start(new ClientCall.Listener() {
                @Override
                public void onClose(Status status, Metadata trailers) {
                    closed.complete(status);
                }
            }, new Metadata());
            c.request(1);
            c.sendMessage(request);
            c.halfClose();
            try {
                return closed.get(1500, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException streaming) {
                c.cancel("test done", null);
                return Status.OK.withDescription("still streaming");
            }
        } finally {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** What a refused call must not have changed: the host's VIPs and connections, the store's commits. */
    static String state() throws Exception {
        return Arrays.toString(host.vips()) + " " + host.connections().get().size() + " " + store.commits() + " "
                + store.lease(0).isPresent();
    }

    @Test
    void everyRpcRefusesCallersWithoutAValidCertificateOfTheCluster() throws Exception {
        io.grpc.ChannelCredentials none = io.grpc.TlsChannelCredentials.newBuilder()
                .trustManager(pki.resolve("ca.pem").toFile()).build();
        io.grpc.ChannelCredentials otherCa = io.grpc.TlsChannelCredentials.newBuilder()
                .keyManager(dir.resolve("other/mallory.pem").toFile(), dir.resolve("other/mallory-key.pem").toFile())
                .trustManager(pki.resolve("ca.pem").toFile()).build();
        io.grpc.ChannelCredentials expired = io.grpc.TlsChannelCredentials.newBuilder()
                .keyManager(pki.resolve("expired.pem").toFile(), pki.resolve("expired-key.pem").toFile())
                .trustManager(pki.resolve("ca.pem").toFile()).build();
        String before = state();
        int reachedBefore = reached.get();
        for (Rpc rpc : everyRpc()) {
            for (var as : List.of(none, otherCa, expired)) {
                Status s = call(rpc, as);
                assertEquals(Status.Code.UNAVAILABLE, s.getCode(), rpc.method().getFullMethodName() + ": " + s);
            }
        }
        assertEquals(reachedBefore, reached.get(), "no refused call reached a service");
        assertEquals(before, state(), "and nothing changed");
    }

    @Test
    void everyRpcRefusesEachRoleThePolicyDoesNotNameWithTheRoleNeeded() throws Exception {
        RpcPolicy policy = RpcPolicy.handoff();
        String before = state();
        int reachedBefore = reached.get();
        int refusals = 0;
        for (Rpc rpc : everyRpc()) {
            for (Role r : Role.values()) {
                if (policy.rolesFor(rpc.method().getFullMethodName()).contains(r)) {
                    continue;
                }
                Status s = call(rpc, credentials(pki, r.label()).channel());
                assertEquals(Status.Code.PERMISSION_DENIED, s.getCode(), rpc.method().getFullMethodName() + " as " + r + ": " + s);
                assertTrue(s.getDescription().contains(" needs role ") && s.getDescription().contains("has role " + r.label()),
                        s.getDescription());
                refusals++;
            }
        }
        assertTrue(refusals >= 20, "refusals checked: " + refusals);
        assertEquals(reachedBefore, reached.get(), "no refused call reached a service");
        assertEquals(before, state(), "and nothing changed");
    }

    @Test
    void everyRpcLetsItsRolesThrough() throws Exception {
        RpcPolicy policy = RpcPolicy.handoff();
        for (Rpc rpc : everyRpc()) {
            for (Role r : policy.rolesFor(rpc.method().getFullMethodName())) {
                int before = reached.get();
                Status s = call(rpc, credentials(pki, r.label()).channel());
                assertFalse(List.of(Status.Code.PERMISSION_DENIED, Status.Code.UNAUTHENTICATED, Status.Code.UNAVAILABLE)
                        .contains(s.getCode()), rpc.method().getFullMethodName() + " as " + r + ": " + s);
                assertEquals(before + 1, reached.get(), rpc.method().getFullMethodName() + " as " + r + " reached its service");
            }
        }
    }
}
