package dev.handoff.agent.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.EchoDuringMoves;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.host.HostEvent;
import dev.handoff.agent.ici.IciBreakages;
import dev.handoff.agent.ici.IciLimits;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.agent.link.DroppingLink;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.Bytes;
import dev.handoff.agent.wire.EthernetFrame;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.agent.wire.MoveFrame;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.DescribeRequest;
import dev.handoff.proto.v1.Event;
import dev.handoff.proto.v1.ImportChunk;
import dev.handoff.proto.v1.ImportResponse;
import dev.handoff.proto.v1.ListConnectionsRequest;
import dev.handoff.proto.v1.MigrateRequest;
import dev.handoff.proto.v1.MigrateResponse;
import dev.handoff.proto.v1.MoveVipRequest;
import dev.handoff.proto.v1.MoveVipResponse;
import dev.handoff.proto.v1.WatchEventsRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The control API in process: list, migrate back and forth mid-transfer, and failed moves that leave the connection at home. */
class AgentServiceTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT = Ipv4Address.parse("10.9.0.2");

    final List<AutoCloseable> closing = new ArrayList<>();
    /** The cluster's ICI key of these agents. */
    static final IciSeal SEAL = IciSeal.withKey(new byte[IciSeal.BYTES]);

    final CopyOnWriteArrayList<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    /** Each host's link, by name: a test may drop some of the frames it sends. */
    final java.util.Map<String, DroppingLink> links = new java.util.concurrent.ConcurrentHashMap<>();

    Host host(MemorySwitch sw, String name, long mac, boolean echo) {
        DroppingLink link = new DroppingLink(sw.port(name, mac));
        links.put(name, link);
        Host h = new Host(name, link, TcpConfig.defaults(), new SplittableRandom(mac), e -> events.add(e.toString()));
        if (echo) {
            h.serve(7, HandlerDriver.acceptor(EchoHandler.FACTORY));
            h.restoreWith("echo", HandlerDriver.restorer(EchoHandler.FACTORY));
        }
        h.acceptMovedConnectionsIn(VIP, 24);
        h.start();
        closing.add(() -> h.shutdown(500));
        return h;
    }

    /** Every call made on the channels of {@link #channel}: its method's full name. */
    final List<String> calls = new CopyOnWriteArrayList<>();

    Channel channel(String name) {
        ManagedChannel c = InProcessChannelBuilder.forName(name).build();
        closing.add(() -> c.shutdownNow());
        return ClientInterceptors.intercept(c, new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                calls.add(method.getFullMethodName());
                return next.newCall(method, options);
            }
        });
    }

    AgentServiceGrpc.AgentServiceBlockingStub serve(String name, Host h) throws Exception {
        AgentServer s = AgentServer.start(InProcessServerBuilder.forName(name), h, this::channel, null, SEAL);
        closing.add(s);
        return AgentServiceGrpc.newBlockingStub(channel(name));
    }

    /** Two agents and a client on one switch: a owns the VIP and serves echo, b serves echo if asked, both serve the API. */
    record Cluster(Host a, Host b, Host client, AgentServiceGrpc.AgentServiceBlockingStub stubA,
                   AgentServiceGrpc.AgentServiceBlockingStub stubB) {
    }

    Cluster cluster(String nameA, String nameB, boolean bEchoes) throws Exception {
        MemorySwitch sw = new MemorySwitch();
        Host a = host(sw, "a", MacAddress.parse("02:00:00:00:00:0a"), true);
        a.addVip(VIP);
        Host b = host(sw, "b", MacAddress.parse("02:00:00:00:00:0b"), bEchoes);
        Host client = host(sw, "client", MacAddress.parse("02:00:00:00:00:02"), false);
        client.addVip(CLIENT);
        return new Cluster(a, b, client, serve(nameA, a), serve(nameB, b));
    }

    @Test
    void migrateMovesAConnectionAndBackWhileItEchoes() throws Exception {
        Cluster cl = cluster("agent-a", "agent-b", true);
        Host a = cl.a();
        Host b = cl.b();
        Host client = cl.client();
        var stubA = cl.stubA();
        var stubB = cl.stubB();

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
        assertEquals(0, client.tcpCounters().retransmits, "moves on a clean path cost the peer no retransmission: "
                + client.tcpCounters());
    }

    @Test
    void aMoveCopiesTheSendBufferAheadSoTheIciLeavesItOut() throws Exception {
        Cluster cl = cluster("agent-a6", "agent-b6", true);
        FullBuffer f = fillSendBufferAtA(cl, 10 << 20, 2 << 20);
        String id = f.id();
        MigrateResponse r = cl.stubA().withDeadlineAfter(10, TimeUnit.SECONDS)
                .migrate(MigrateRequest.newBuilder().setConnectionId(id).setDestination("agent-b6").build());
        assertTrue(r.getPrecopiedBytes() >= 2 << 20, "the send buffer crossed before the freeze: " + r);
        f.assertAllEchoed();
        assertEquals(1, cl.b().call(() -> cl.b().connectionsNow().size()).get(), "the connection lives at b");
    }

    /** A connection of the client's to a's echo, its 10 MB sent, read back by {@link #assertAllEchoed} only. */
    record FullBuffer(String id, TcpSocket socket, byte[] data, Thread writer) {
        void assertAllEchoed() throws Exception {
            byte[] back = socket.getInputStream().readNBytes(data.length);
            writer.join();
            assertArrayEquals(data, back, "every byte echoed, in order, across the move");
        }
    }

    /**
     * Opens a {@link FullBuffer} of {@code bytes} (10 MB also fill a's receive queue; 7 MB leave
     * it empty): returns once the client's 4 MB window is closed and a's send buffer holds
     * {@code atLeast} bytes or more.
     */
    FullBuffer fillSendBufferAtA(Cluster cl, int bytes, int atLeast) throws Exception {
        Host a = cl.a();
        TcpSocket s = TcpSocket.connect(cl.client(), CLIENT, VIP, 7, 5000);
        byte[] data = new byte[bytes];
        new SplittableRandom(6).nextBytes(data);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                s.getOutputStream().write(data);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        // The client reads nothing yet: its window closes, then a's send buffer fills with echoed
        // bytes that stay there (while the window is open, a move's drain could still empty it).
        long deadline = System.currentTimeMillis() + 10_000;
        while (a.call(() -> {
            if (a.connectionsNow().isEmpty()) {
                return 0; // the client is connected; a has not had the handshake's last ACK yet
            }
            var t = a.connectionsNow().getFirst().tcp();
            return t.sndWnd() == 0 ? t.sendBufferUsed() : 0;
        }).get() < atLeast) {
            assertTrue(System.currentTimeMillis() < deadline, "a's send buffer did not fill");
            Thread.sleep(10);
        }
        String id = cl.stubA().withDeadlineAfter(5, TimeUnit.SECONDS).listConnections(ListConnectionsRequest.getDefaultInstance())
                .getConnections(0).getId();
        return new FullBuffer(id, s, data, writer);
    }

    @Test
    void aPreCopyWithoutTheClustersTagIsRefused() throws Exception {
        Cluster cl = cluster("agent-a7", "agent-b7", true);
        ByteString data = ByteString.copyFromUtf8("forged bytes");
        byte[] otherKey = new byte[IciSeal.BYTES];
        otherKey[0] = 1;
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> cl.stubB()
                .withDeadlineAfter(5, TimeUnit.SECONDS).preCopy(dev.handoff.proto.v1.PreCopyRequest.newBuilder()
                        .setConnectionId("10.0.0.100:7-10.0.0.2:5000").setOffset(0).setData(data)
                        .setTag(IciSeal.withKey(otherKey).seal(SendPreCopy.purpose("10.0.0.100:7-10.0.0.2:5000", 0), data))
                        .build()));
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.getStatus().toString());
    }

    @Test
    void aFailedMoveLeavesTheConnectionRunningAtTheOrigin() throws Exception {
        Cluster cl = cluster("agent-a2", "agent-b2", false);
        Host a = cl.a();
        Host client = cl.client();
        var stubA = cl.stubA();
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
        assertTrue(unreachable.getStatus().getDescription().contains("destination nowhere unreachable")
                && unreachable.getStatus().getDescription().contains("nothing was moved"), unreachable.getStatus().getDescription());

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

    @Test
    void moveVipTakesEveryConnectionAndTheVipWhileAWatcherSeesIt() throws Exception {
        Cluster cl = cluster("agent-a3", "agent-b3", true);
        Host a = cl.a();
        Host client = cl.client();
        var stubA = cl.stubA();
        var stubB = cl.stubB();
        List<TcpSocket> sockets = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            sockets.add(TcpSocket.connect(client, CLIENT, VIP, 7, 5000));
        }
        EchoDuringMoves busy = new EchoDuringMoves(TcpSocket.connect(client, CLIENT, VIP, 7, 5000), 4 << 20, 64 * 1024, 3);
        BlockingQueue<Event> seen = new LinkedBlockingQueue<>();
        Context.CancellableContext watch = Context.current().withCancellation();
        closing.add(() -> watch.cancel(null));
        watch.run(() -> AgentServiceGrpc.newStub(channel("agent-b3")).watchEvents(WatchEventsRequest.getDefaultInstance(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(Event e) {
                        seen.add(e);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                }));
        Thread.sleep(50);
        MoveVipResponse r;
        try {
            r = stubA.withDeadlineAfter(10, TimeUnit.SECONDS)
                    .moveVip(MoveVipRequest.newBuilder().setVip(VIP).setDestination("agent-b3").build());
        } finally {
            busy.movesDone();
        }
        assertEquals(101, r.getConnections());
        assertEquals(0, a.vips().length);
        assertEquals(VIP, stubB.describe(DescribeRequest.getDefaultInstance()).getVips(0));
        assertEquals(101, stubB.listConnections(ListConnectionsRequest.getDefaultInstance()).getConnectionsCount());
        byte[][] sentAndGot = busy.finish();
        assertArrayEquals(sentAndGot[0], sentAndGot[1]);
        for (int i = 0; i < sockets.size(); i++) {
            byte[] word = ("still " + i).getBytes();
            sockets.get(i).getOutputStream().write(word);
            assertArrayEquals(word, sockets.get(i).getInputStream().readNBytes(word.length));
        }
        List<String> kinds = new ArrayList<>();
        for (Event e; (e = seen.poll(2, TimeUnit.SECONDS)) != null && kinds.size() < 102; ) {
            kinds.add(e.getKind());
        }
        assertEquals(101, kinds.stream().filter(HostEvent.MOVED_IN::equals).count(), kinds.toString());
        assertTrue(kinds.contains(HostEvent.VIP_TAKEN), kinds.toString());
    }

    @Test
    void aVipMoveRefusedByTheDestinationLeavesEverythingAtTheOrigin() throws Exception {
        Cluster cl = cluster("agent-a4", "agent-b4", false);
        Host a = cl.a();
        Host b = cl.b();
        Host client = cl.client();
        var stubA = cl.stubA();
        List<TcpSocket> sockets = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sockets.add(TcpSocket.connect(client, CLIENT, VIP, 7, 5000));
        }
        Thread.sleep(30);
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> stubA.withDeadlineAfter(10, TimeUnit.SECONDS)
                .moveVip(MoveVipRequest.newBuilder().setVip(VIP).setDestination("agent-b4").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("VIP and its connections stay here"), refused.getStatus().getDescription());
        assertArrayEquals(new int[] {VIP}, a.vips());
        assertEquals(0, b.vips().length);
        assertEquals(0, b.connections().get().size());
        for (TcpSocket s : sockets) {
            s.getOutputStream().write("ok".getBytes());
            assertEquals("ok", new String(s.getInputStream().readNBytes(2)));
        }
    }

    @Test
    void aVipWithoutConnectionsChangesHands() throws Exception {
        Cluster cl = cluster("agent-a8", "agent-b8", true);
        var r = cl.stubA().withDeadlineAfter(10, TimeUnit.SECONDS)
                .moveVip(MoveVipRequest.newBuilder().setVip(VIP).setDestination("agent-b8").build());
        assertEquals(0, r.getConnections());
        assertEquals(0, cl.a().vips().length);
        assertArrayEquals(new int[] {VIP}, cl.b().vips());
        try (TcpSocket s = TcpSocket.connect(cl.client(), CLIENT, VIP, 7, 5000)) {
            s.getOutputStream().write("at b".getBytes());
            assertEquals("at b", new String(s.getInputStream().readNBytes(4)));
        }
    }

    @Test
    void importsAreChunkedAndAnIncompleteOneIsRefused() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        Host a = host(sw, "a", MacAddress.parse("02:00:00:00:00:0a"), true);
        serve("agent-a5", a);
        SingleAnswer<ImportResponse> answer = new SingleAnswer<>("Import");
        StreamObserver<ImportChunk> in = AgentServiceGrpc.newStub(channel("agent-a5")).withDeadlineAfter(5, TimeUnit.SECONDS)
                .import_(answer);
        in.onNext(ImportChunk.newBuilder().setData(ByteString.copyFrom(new byte[IciTransfer.CHUNK])).build());
        in.onCompleted();
        ExecutionException e = assertThrows(ExecutionException.class, () -> answer.future.get(5, TimeUnit.SECONDS));
        assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(e.getCause()).getCode());
        assertTrue(e.getCause().getMessage().contains("ici_complete"), e.getCause().getMessage());
        assertEquals(0, a.connections().get().size());
    }

    @Test
    void theCongestionStateTravelsUnlessTurnedOff() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        Host a = host(sw, "a", MacAddress.parse("02:00:00:00:00:0a"), true);
        a.addVip(VIP);
        Host client = host(sw, "client", MacAddress.parse("02:00:00:00:00:02"), false);
        client.addVip(CLIENT);
        TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        Thread.sleep(30);
        List<Connection> conns = a.connections().get();
        Host.Export with = a.exportConnection(conns.get(0).id(), 2, 0).get();
        a.carryCongestionState(false);
        Host.Export without = a.exportConnection(conns.get(1).id(), 2, 0).get();
        assertTrue(with.ici().hasCongestion());
        assertTrue(!without.ici().hasCongestion());
    }

    @Test
    void everyIciRuleIsEnforcedAtImportAndARefusalChangesNothing() throws Exception {
        Cluster cl = cluster("agent-a7", "agent-b7", true);
        Host a = cl.a();
        Host b = cl.b();
        Host client = cl.client();
        var stubA = cl.stubA();
        TcpSocket atB = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        TcpSocket atA = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        Thread.sleep(30);
        List<Connection> conns = a.connections().get();
        stubA.withDeadlineAfter(10, TimeUnit.SECONDS).migrate(MigrateRequest.newBuilder()
                .setConnectionId(conns.get(0).id()).setDestination("agent-b7").build());
        Host.Export export = a.exportConnection(conns.get(1).id(), 2, 0).get();
        IciLimits limits = new IciLimits(TcpConfig.defaults(), ip -> true, Set.of("echo"), Host.MAX_APPLICATION_STATE);
        for (IciBreakages.Breakage broken : IciBreakages.all(limits)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> IciTransfer.send(channel("agent-b7"),
                    List.of(new Host.Export(broken.apply(export.ici()), -1)), 0, 5000, SEAL), broken.field());
            // Bytes left out for a pre-copy this agent does not hold: its state, not the ICI's form, refuses it.
            Status.Code want = broken.field().equals("send_precopied") ? Status.Code.FAILED_PRECONDITION
                    : Status.Code.INVALID_ARGUMENT;
            assertEquals(want, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("ICI field " + broken.field() + ":"), e.getStatus().getDescription());
            assertEquals(1, b.connections().get().size(), "b's connections are untouched after the rule on " + broken.field());
        }
        a.finishMove(List.of(export), 0, false, "test over").get();
        for (TcpSocket s : List.of(atB, atA)) {
            s.getOutputStream().write("alive".getBytes());
            assertEquals("alive", new String(s.getInputStream().readNBytes(5)));
        }
    }

    @Test
    void anImportCallOpenedAheadOfTheFreezeImportsWhatItIsSentAndNothingOnceGivenUp() throws Exception {
        Cluster cl = cluster("agent-a9", "agent-b9", true);
        TcpSocket s = TcpSocket.connect(cl.client(), CLIENT, VIP, 7, 5000);
        for (int i = 0; i < 200 && cl.a().connections().get().isEmpty(); i++) {
            Thread.sleep(10);
        }
        Host.Export export = cl.a().exportConnection(cl.a().connections().get().getFirst().id(), cl.b().mac(), 0).get();

        IciTransfer givenUp = IciTransfer.open(channel("agent-b9"), 5000);
        assertTrue(givenUp.cancelUnlessSent("test: the freeze failed"));
        givenUp.send(List.of(export), 0, SEAL, 0); // goes nowhere
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, givenUp::answer);
        assertEquals(Status.Code.CANCELLED, e.getStatus().getCode(), e.getStatus().toString());
        Thread.sleep(100);
        assertEquals(0, cl.b().connections().get().size(), "a call given up before its ICIs imports nothing");

        IciTransfer ahead = IciTransfer.open(channel("agent-b9"), 5000);
        Thread.sleep(300); // open, waiting for a freeze
        ahead.send(List.of(export), 0, SEAL, 0);
        ImportResponse in = ahead.answer();
        assertFalse(ahead.cancelUnlessSent("test: too late"), "ICIs sent cannot be called back");
        assertEquals(List.of(export.ici().getLocalIp()), cl.b().connections(c -> c.tcp().localIp()).get());
        assertEquals(1, in.getConnectionIdsCount());
        cl.a().finishMove(List.of(export), 0, true, "").get();
        s.getOutputStream().write("moved".getBytes());
        assertEquals("moved", new String(s.getInputStream().readNBytes(5)), "the connection echoes from b");
    }

    /** Picks move frames of {@code kind} ({@link MoveFrame#ICI} or {@link MoveFrame#ANSWER}). */
    static java.util.function.Predicate<byte[]> moveFrames(int kind) {
        return moveFrames(kind, new AtomicInteger());
    }

    /** Picks move frames of {@code kind} ({@link MoveFrame#ICI} or {@link MoveFrame#ANSWER}), counting them in {@code picked}. */
    static java.util.function.Predicate<byte[]> moveFrames(int kind, AtomicInteger picked) {
        return f -> {
            boolean it = f.length > 15 && Bytes.u16(f, 12) == MoveFrame.TYPE && f[15] == kind;
            if (it) {
                picked.incrementAndGet();
            }
            return it;
        };
    }

    /** Moves the only connection of {@code from} to {@code to} (an agent name). */
    static MigrateResponse move(AgentServiceGrpc.AgentServiceBlockingStub from, Host origin, String to) throws Exception {
        String id = origin.connections().get().getFirst().id();
        return from.withDeadlineAfter(10, TimeUnit.SECONDS)
                .migrate(MigrateRequest.newBuilder().setConnectionId(id).setDestination(to).build());
    }

    /** A client connection to a's echo, echoing already. */
    static TcpSocket echoingAtA(Cluster cl) throws Exception {
        TcpSocket s = TcpSocket.connect(cl.client(), CLIENT, VIP, 7, 5000);
        assertEchoes(s, "hello");
        return s;
    }

    static void assertEchoes(TcpSocket s, String word) throws Exception {
        s.getOutputStream().write(word.getBytes());
        assertEquals(word, new String(s.getInputStream().readNBytes(word.length())), "the connection echoes");
    }

    @Test
    void aSmallIciAndItsAnswerGoOverTheLinkLoopToLoopThereAndBack() throws Exception {
        Cluster cl = cluster("agent-a10", "agent-b10", true);
        TcpSocket s = echoingAtA(cl);
        calls.clear();
        MigrateResponse there = move(cl.stubA(), cl.a(), "agent-b10");
        assertTrue(there.getOverLink(), "the ICI and its answer went over the link: " + there);
        assertEquals(List.of("handoff.v1.AgentService/Migrate", "handoff.v1.AgentService/PrepareImport"), calls,
                "the agents made no other call: the destination's MAC came with PrepareImport's answer, no Import was opened");
        assertEchoes(s, "at b");
        MigrateResponse back = move(cl.stubB(), cl.b(), "agent-a10");
        assertTrue(back.getOverLink(), "and back: " + back);
        assertEchoes(s, "at a again");
        assertEquals(1, cl.a().connections().get().size());
        assertEquals(0, cl.b().connections().get().size());
    }

    @Test
    void anAgentAConnectionMovedInAndOutOfKeepsNothingOfIt() throws Exception {
        Cluster cl = cluster("agent-a16", "agent-b16", true);
        TcpSocket s = echoingAtA(cl);
        assertTrue(move(cl.stubA(), cl.a(), "agent-b16").getOverLink());
        assertEchoes(s, "at b");
        java.lang.ref.WeakReference<Object> atB = new java.lang.ref.WeakReference<>(cl.b().connections().get().getFirst());
        assertTrue(move(cl.stubB(), cl.b(), "agent-a16").getOverLink());
        assertEchoes(s, "at a again");
        for (int i = 0; i < 50 && atB.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(atB.get(), "b let go of the connection (and its buffers) once it left: an agent a stream is moved"
                + " through every 100 ms must not keep every copy it held");
    }

    @Test
    void anIciTheLinkLosesGoesOverImport() throws Exception {
        Cluster cl = cluster("agent-a11", "agent-b11", true);
        TcpSocket s = echoingAtA(cl);
        AtomicInteger lost = new AtomicInteger();
        links.get("a").dropWhen(moveFrames(MoveFrame.ICI, lost));
        MigrateResponse r = move(cl.stubA(), cl.a(), "agent-b11");
        assertFalse(r.getOverLink(), "answered over Import: " + r);
        assertEquals(1, lost.get(), "the ICI frame was lost");
        assertEchoes(s, "at b");
        assertEquals(0, cl.a().connections().get().size());
        assertEquals(1, cl.b().connections().get().size());
    }

    @Test
    void anAnswerTheLinkLosesIsGivenAgainOverImportAndTheConnectionImportedOnce() throws Exception {
        Cluster cl = cluster("agent-a12", "agent-b12", true);
        FullBuffer f = fillSendBufferAtA(cl, 7 << 20, 2 << 20); // pre-copied: the ICI sent twice splices its bytes twice
        AtomicInteger lost = new AtomicInteger();
        links.get("b").dropWhen(moveFrames(MoveFrame.ANSWER, lost));
        MigrateResponse r = move(cl.stubA(), cl.a(), "agent-b12");
        assertFalse(r.getOverLink(), "answered over Import: " + r);
        assertEquals(1, lost.get(), "the answer frame was lost");
        assertEquals(f.id(), r.getDestinationConnectionId());
        assertTrue(r.getPrecopiedBytes() >= 2 << 20, "the send buffer crossed before the freeze: " + r);
        assertEquals(0, cl.a().connections().get().size(), "one owner: b");
        assertEquals(1, cl.b().connections().get().size(), "imported once");
        f.assertAllEchoed();
    }

    @Test
    void aMoveFrameNoMoveAnnouncedImportsNothing() throws Exception {
        Cluster cl = cluster("agent-a13", "agent-b13", true);
        TcpSocket s = echoingAtA(cl);
        String id = cl.a().connections().get().getFirst().id();
        Host.Export export = cl.a().exportConnection(id, cl.b().mac(), 0).get();
        long token = 42; // sealed with the cluster's key, but never given to b by PrepareImport
        byte[] body = MoveFrame.iciBody(export.peerMac(), export.ici().toByteArray());
        cl.a().sendMoveFrame(id, MoveFrame.write(cl.b().mac(), cl.a().mac(), MoveFrame.ICI, export.ici().getRemoteIp(),
                export.ici().getRemotePort(), export.ici().getLocalPort(), token,
                SEAL.seal(LinkMoves.iciPurpose(token), ByteString.copyFrom(body)).toByteArray(), body));
        Thread.sleep(200);
        assertEquals(0, cl.b().connections().get().size(), "b imported nothing");
        cl.a().finishMove(List.of(export), 0, false, "test: given back").get();
        assertEchoes(s, "still at a");
    }

    @Test
    void anIciLargerThanAFrameGoesInPiecesAndALostPieceSendsItOverImport() throws Exception {
        Cluster cl = cluster("agent-a14", "agent-b14", true);
        // The client's 4 MB window closed, a keeps the last ~20 KB: too few to copy ahead, they go in the ICI.
        FullBuffer f = fillSendBufferAtA(cl, (4 << 20) + 20_000, 10_000);
        MigrateResponse there = move(cl.stubA(), cl.a(), "agent-b14");
        assertTrue(there.getOverLink() && there.getIciBytes() > MoveFrame.MAX_PAYLOAD && there.getPrecopiedBytes() == 0,
                "an ICI of several frames went over the link: " + there);
        AtomicInteger pieces = new AtomicInteger();
        links.get("b").dropWhen(frame -> moveFrames(MoveFrame.ICI, pieces).test(frame) && pieces.get() == 2);
        MigrateResponse back = move(cl.stubB(), cl.b(), "agent-a14");
        assertFalse(back.getOverLink(), "its second piece lost, the ICI went over Import: " + back);
        assertTrue(pieces.get() > 2, "sent in pieces: " + pieces);
        assertEquals(1, cl.a().connections().get().size());
        assertEquals(0, cl.b().connections().get().size());
        f.assertAllEchoed();
    }

    @Test
    void anAnswerNotSealedByTheClusterIsIgnored() throws Exception {
        Cluster cl = cluster("agent-a15", "agent-b15", true);
        TcpSocket s = echoingAtA(cl);
        String id = cl.a().connections().get().getFirst().id();
        var isAnswer = moveFrames(MoveFrame.ANSWER);
        java.util.concurrent.atomic.AtomicReference<byte[]> forged = new java.util.concurrent.atomic.AtomicReference<>();
        links.get("b").dropWhen(f -> {
            if (!isAnswer.test(f) || java.util.Arrays.equals(f, forged.get())) {
                return false;
            }
            byte[] copy = f.clone();
            copy[EthernetFrame.HEADER_LENGTH + 22] ^= 1; // a byte of its seal
            forged.set(copy);
            cl.b().sendMoveFrame(id, copy); // in place of the real answer, which is lost
            return true;
        });
        MigrateResponse r = move(cl.stubA(), cl.a(), "agent-b15");
        assertTrue(forged.get() != null, "a forged answer was sent");
        assertFalse(r.getOverLink(), "the forged answer was ignored; the move went on over Import: " + r);
        assertEchoes(s, "at b");
        assertEquals(1, cl.b().connections().get().size());
    }

    @Test
    void anAnswerOverTheLinkSlowerThanItsWaitStillCountsAndTheIciIsImportedOnce() throws Exception {
        Cluster cl = cluster("agent-a16", "agent-b16", true);
        TcpSocket s = echoingAtA(cl);
        var isAnswer = moveFrames(MoveFrame.ANSWER);
        links.get("b").dropWhen(f -> {
            if (isAnswer.test(f)) {
                // Queued ahead of the Import call's copy of the ICI, which comes during the wait below:
                // b's loop takes its time there too, so that the answer on the link reaches a first
                // (the in-process call could otherwise overtake it in this test).
                cl.b().loops().getFirst().execute(() -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(LinkMoves.WAIT_MS)));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2 * LinkMoves.WAIT_MS)); // b's loop is slow to answer
            }
            return false;
        });
        MigrateResponse r = move(cl.stubA(), cl.a(), "agent-b16");
        assertTrue(r.getOverLink(), "the answer over the link came first, after the ICI went over Import too: " + r);
        assertTrue(r.getFreezeUs() >= 2 * LinkMoves.WAIT_MS * 1000, r.toString());
        assertEchoes(s, "at b");
        assertEquals(0, cl.a().connections().get().size());
        assertEquals(1, cl.b().connections().get().size(), "imported once");
    }
}
