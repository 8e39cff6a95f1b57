package dev.handoff.agent.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.host.EchoDuringMoves;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.ListConnectionsRequest;
import dev.handoff.proto.v1.MigrateRequest;
import dev.handoff.proto.v1.MigrateResponse;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The control API in process: list, migrate back and forth mid-transfer, and failed moves that leave the connection at home. */
class AgentServiceTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT = Ipv4Address.parse("10.9.0.2");

    final List<AutoCloseable> closing = new ArrayList<>();
    final CopyOnWriteArrayList<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    Host host(MemorySwitch sw, String name, long mac, boolean echo) {
        Host h = new Host(name, sw.port(name, mac), TcpConfig.defaults(), new SplittableRandom(mac), events::add);
        if (echo) {
            h.serve(7, HandlerDriver.acceptor(EchoHandler.FACTORY));
            h.restoreWith("echo", HandlerDriver.restorer(EchoHandler.FACTORY));
        }
        h.acceptMovedConnectionsIn(VIP, 24);
        h.start();
        closing.add(() -> h.shutdown(500));
        return h;
    }

    Channel channel(String name) {
        ManagedChannel c = InProcessChannelBuilder.forName(name).build();
        closing.add(() -> c.shutdownNow());
        return c;
    }

    AgentServiceGrpc.AgentServiceBlockingStub serve(String name, Host h) throws Exception {
        AgentServer s = AgentServer.start(InProcessServerBuilder.forName(name), h, this::channel);
        closing.add(s);
        return AgentServiceGrpc.newBlockingStub(channel(name));
    }

    @Test
    void migrateMovesAConnectionAndBackWhileItEchoes() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        Host a = host(sw, "a", MacAddress.parse("02:00:00:00:00:0a"), true);
        a.addVip(VIP);
        Host b = host(sw, "b", MacAddress.parse("02:00:00:00:00:0b"), true);
        Host client = host(sw, "client", MacAddress.parse("02:00:00:00:00:02"), false);
        client.addVip(CLIENT);
        var stubA = serve("agent-a", a);
        var stubB = serve("agent-b", b);

        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        EchoDuringMoves echo = new EchoDuringMoves(s, 8 << 20, 128 * 1024, 9);
        Thread.sleep(30);
        String id = stubA.withDeadlineAfter(5, TimeUnit.SECONDS).listConnections(ListConnectionsRequest.getDefaultInstance())
                .getConnections(0).getId();
        try {
            for (int i = 0; i < 4; i++) {
                var from = i % 2 == 0 ? stubA : stubB;
                String to = i % 2 == 0 ? "agent-b" : "agent-a";
                MigrateResponse r = from.withDeadlineAfter(10, TimeUnit.SECONDS)
                        .migrate(MigrateRequest.newBuilder().setConnectionId(id).setDestination(to).build());
                assertEquals(id, r.getDestinationConnectionId());
                assertTrue(r.getFreezeUs() > 0);
                Thread.sleep(40);
            }
        } finally {
            echo.movesDone();
        }
        byte[][] sentAndGot = echo.finish();
        assertArrayEquals(sentAndGot[0], sentAndGot[1]);
        assertTrue(a.counters().forwarded > 0, "frames that reached a while b held the connection were forwarded");
    }

    @Test
    void aFailedMoveLeavesTheConnectionRunningAtTheOrigin() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        Host a = host(sw, "a", MacAddress.parse("02:00:00:00:00:0a"), true);
        a.addVip(VIP);
        Host b = host(sw, "b", MacAddress.parse("02:00:00:00:00:0b"), false); // serves no echo
        Host client = host(sw, "client", MacAddress.parse("02:00:00:00:00:02"), false);
        client.addVip(CLIENT);
        var stubA = serve("agent-a2", a);
        serve("agent-b2", b);
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        Thread.sleep(30);
        String id = stubA.listConnections(ListConnectionsRequest.getDefaultInstance()).getConnections(0).getId();

        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> stubA.withDeadlineAfter(10, TimeUnit.SECONDS)
                .migrate(MigrateRequest.newBuilder().setConnectionId(id).setDestination("agent-b2").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("application"), refused.getStatus().getDescription());

        StatusRuntimeException unreachable = assertThrows(StatusRuntimeException.class, () -> stubA.withDeadlineAfter(10, TimeUnit.SECONDS)
                .migrate(MigrateRequest.newBuilder().setConnectionId(id).setDestination("nowhere").build()));
        assertEquals(Status.Code.UNAVAILABLE, unreachable.getStatus().getCode());

        // Still at a, still echoing.
        assertEquals(1, stubA.listConnections(ListConnectionsRequest.getDefaultInstance()).getConnectionsCount());
        s.getOutputStream().write("still here".getBytes());
        byte[] back = new byte[10];
        int n = 0;
        InputStream in = s.getInputStream();
        while (n < 10) {
            n += in.read(back, n, 10 - n);
        }
        assertEquals("still here", new String(back));
    }
}
