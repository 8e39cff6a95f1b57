package dev.handoff.agent.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.audit.TransparencyAudit;
import dev.handoff.agent.link.DroppingLink;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.link.ParkingLink;
import dev.handoff.agent.link.TapLink;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Bytes;
import dev.handoff.agent.wire.EthernetFrame;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.Ipv4Packet;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.agent.wire.TcpSegment;
import dev.handoff.proto.v1.Ici;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection moves between two hosts in the middle of an echo transfer, back and forth,
 * through real ICIs, with its VIP following it by gratuitous ARP and frames that reach the
 * old owner forwarded: the client's stream comes back intact and it never sees a reset.
 */
class HostMigrationTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT = Ipv4Address.parse("10.9.0.2");
    static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");

    final CopyOnWriteArrayList<String> events = new CopyOnWriteArrayList<>();
    /** Checks what the client sees (its link is tapped). */
    final TransparencyAudit audit = new TransparencyAudit(ip -> ip == VIP);
    Host a;
    Host b;
    Host client;
    /** The client's link, which tests make drop chosen frames. */
    DroppingLink clientLink;

    @AfterEach
    void stop() {
        for (Host h : new Host[] {client, a, b}) {
            if (h != null) {
                h.shutdown(500);
            }
        }
    }

    /** Event loops of the servers a and b. */
    int loops() {
        return 1;
    }

    /** b's link, which tests make keep back chosen frames. */
    ParkingLink bLink;

    Host server(MemorySwitch sw, String name, long mac, long seed) {
        ParkingLink link = new ParkingLink(sw.port(name, mac));
        if (name.equals("b")) {
            bLink = link;
        }
        Host h = new Host(name, link, TcpConfig.defaults(), new SplittableRandom(seed), e -> events.add(e.toString()),
                loops());
        h.serve(7, HandlerDriver.acceptor(EchoHandler.FACTORY));
        h.restoreWith("echo", HandlerDriver.restorer(EchoHandler.FACTORY));
        h.start();
        return h;
    }

    /** a owns the VIP and serves echo, b serves echo too but owns nothing, the client owns its address. */
    void startHosts() {
        MemorySwitch sw = new MemorySwitch();
        a = server(sw, "a", MAC_A, 1);
        a.addVip(VIP);
        b = server(sw, "b", MAC_B, 2);
        client = client(sw);
    }

    /** The client's TCP settings (a test may give it a longer minimum RTO). */
    TcpConfig clientConfig = TcpConfig.defaults();

    Host client(MemorySwitch sw) {
        // The client's link is tapped by the transparency audit: it sees what the peer sees.
        clientLink = new DroppingLink(sw.port("client", MacAddress.parse("02:00:00:00:00:02")));
        Host h = new Host("client", new TapLink(clientLink, audit::onFrame),
                clientConfig, new SplittableRandom(3), e -> events.add(e.toString()));
        h.addVip(CLIENT);
        h.start();
        return h;
    }

    /** Writes {@code data} to {@code s} on a thread of its own (joined by the test). */
    static Thread writeInBackground(TcpSocket s, byte[] data) {
        return Thread.ofVirtual().start(() -> {
            try {
                s.getOutputStream().write(data);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** Moves the only connection of {@code from} to {@code to}, VIP included. */
    static void move(Host from, Host to, long toMac) throws Exception {
        move(from, to, toMac, ici -> { });
    }

    /** Moves the only connection, first showing its ICI to {@code check}. */
    static void move(Host from, Host to, long toMac, java.util.function.Consumer<Ici> check) throws Exception {
        List<Connection> conns = from.connections().get();
        assertEquals(1, conns.size(), "one connection to move");
        to.expectVip(VIP);
        Host.Export export = from.exportConnection(conns.getFirst().id(), toMac, 1).get();
        check.accept(export.ici());
        Ici overTheWire = Ici.parseFrom(export.ici().toByteArray());
        to.importConnection(overTheWire, export.peerMac()).get();
        from.finishMove(List.of(export), 0, true, "").get(); // frames held during the move go on to the new owner
        from.removeVip(VIP);
        to.addVip(VIP); // gratuitous ARP: the client's next segments go to the new owner
    }

    @Test
    void anEchoConnectionMovesBackAndForthMidTransfer() throws Exception {
        startHosts();

        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        EchoDuringMoves echo = new EchoDuringMoves(s, 6 << 20, 256 * 1024, 4);
        Host from = a;
        Host to = b;
        long toMac = MAC_B;
        try {
            for (int i = 0; i < 6; i++) {
                Thread.sleep(30);
                move(from, to, toMac);
                Host t = from;
                from = to;
                to = t;
                toMac = toMac == MAC_B ? MAC_A : MAC_B;
            }
        } finally {
            echo.movesDone();
        }
        byte[][] sentAndGot = echo.finish();
        assertArrayEquals(sentAndGot[0], sentAndGot[1], "every byte came back, in order, across six moves");
        assertEquals(0, client.tcpCounters().resetsReceived, "the client never saw a reset");
        assertEquals(0, audit.violationCount(), audit.report());
        assertTrue(audit.report().contains("senderSwitches=6"), audit.report());
        assertTrue(events.stream().filter(e -> e.startsWith(HostEvent.MOVED_IN)).count() == 6, events.toString());
    }

    @Test
    void aConnectionMovedInTooOftenIsRefusedAndKeepsRunningWhereItIs() throws Exception {
        startHosts();
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        Thread.sleep(30); // a accepted it
        Host from = a;
        Host to = b;
        long toMac = MAC_B;
        int moves = 0;
        java.util.concurrent.ExecutionException refused = null;
        while (refused == null && moves < 2000) {
            List<Connection> conns = from.connections().get();
            assertEquals(1, conns.size(), "after " + moves + " moves: " + events);
            to.expectVip(VIP);
            Host.Export export = from.exportConnection(conns.getFirst().id(), toMac, 1).get();
            try {
                to.importConnection(Ici.parseFrom(export.ici().toByteArray()), export.peerMac()).get();
            } catch (java.util.concurrent.ExecutionException e) {
                refused = e;
                from.finishMove(List.of(export), 0, false, "refused").get(); // it runs on where it was
                break;
            }
            from.finishMove(List.of(export), 0, true, "").get();
            from.removeVip(VIP);
            to.addVip(VIP);
            moves++;
            Host t = from;
            from = to;
            to = t;
            toMac = toMac == MAC_B ? MAC_A : MAC_B;
        }
        assertTrue(refused != null, "a tight loop of moves is cut off");
        assertTrue(refused.getCause() instanceof LimitExceededException, String.valueOf(refused.getCause()));
        assertTrue(refused.getCause().getMessage().contains("was moved here more than 100 times at over 50 a second"),
                refused.getCause().getMessage());
        assertTrue(moves >= 2 * Host.MOVE_BURST - 1, "the burst is allowed first: " + moves + " moves");
        s.getOutputStream().write("alive".getBytes());
        assertEquals("alive", new String(s.getInputStream().readNBytes(5)), "and the connection still echoes");
    }

    @Test
    void aRefusedIciChangesNothing() throws Exception {
        startHosts();
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        Thread.sleep(50);
        Host.Export export = a.exportConnection(a.connections().get().getFirst().id(), MAC_B, 1).get();
        s.getOutputStream().write("sent while frozen".getBytes()); // held by a during the move
        // b neither owns nor expects the VIP: the ICI is refused, b holds no connection.
        ExecutionException e = assertThrows(ExecutionException.class, () -> b.importConnection(export.ici(), -1).get());
        assertTrue(e.getCause().getMessage().contains("local_ip"), e.getCause().getMessage());
        assertEquals(0, b.connections().get().size());
        // The move is undone: the connection runs at a again and the held bytes reach it.
        a.finishMove(List.of(export), 0, false, "refused").get();
        assertEquals(1, a.connections().get().size());
        assertEquals("sent while frozen", new String(s.getInputStream().readNBytes(17)));
        assertTrue(events.stream().anyMatch(x -> x.startsWith(HostEvent.MOVE_FAILED)), events.toString());
        s.close();
    }

    /** A client connection to a, announced to b, frozen at a; "sent while frozen" is on its way to b, which holds it. */
    private record HeldAtB(TcpSocket socket, String id, Host.Export export) {
    }

    private HeldAtB frozenWithAFrameHeldAtB() throws Exception {
        // The held frame must reach its owner before the client retransmits it: with a minimum
        // RTO of 1 s rather than 200 ms, a test JVM busy with other tests does not outrun it
        // (CI once took over 200 ms between the hold and its end), and a lost frame still shows.
        clientConfig = TcpConfig.defaults().toBuilder().minRtoMs(1000).build();
        startHosts();
        b.acceptMovedConnectionsIn(VIP & 0xffffff00, 24);
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        Thread.sleep(50);
        String id = a.connections().get().getFirst().id();
        assertTrue(b.prepareImport(id, true).get(), "b holds the frames of a connection announced to it");
        Host.Export export = a.exportConnection(id, MAC_B, 1, 0, 0, true).get();
        s.getOutputStream().write("sent while frozen".getBytes()); // a forwards it at once; b holds it
        for (int i = 0; i < 200 && b.counters().held == 0; i++) {
            Thread.sleep(5);
        }
        assertTrue(b.counters().held > 0, "the frame waits at b, not at a: " + b.counters());
        return new HeldAtB(s, id, export);
    }

    @Test
    void theDestinationHoldsTheFramesOfAnAnnouncedConnectionUntilItArrives() throws Exception {
        HeldAtB m = frozenWithAFrameHeldAtB();
        b.importConnection(m.export().ici(), m.export().peerMac()).get();
        a.finishMove(List.of(m.export()), 0, true, "").get();
        assertEquals("sent while frozen", new String(m.socket().getInputStream().readNBytes(17)),
                "fed to the connection as it arrived");
        assertEquals(0, client.tcpCounters().retransmits, "nothing lost, nothing sent twice: " + client.tcpCounters());
        m.socket().close();
    }

    @Test
    void framesHeldForAConnectionThatNeverArrivesGoBackToItsOrigin() throws Exception {
        HeldAtB m = frozenWithAFrameHeldAtB();
        a.finishMove(List.of(m.export()), 0, false, "given up").get(); // the move failed: the connection runs at a again
        assertTrue(b.prepareImport(m.id(), false).get(), "b held its frames");
        TcpSocket s = m.socket();
        assertEquals("sent while frozen", new String(s.getInputStream().readNBytes(17)), "b sent them back to a");
        assertEquals(0, client.tcpCounters().retransmits, "not by a retransmission: " + client.tcpCounters());
        assertEquals(0, b.connections().get().size());
        assertFalse(b.prepareImport(m.id(), false).get(), "b holds nothing for it any more");
        s.getOutputStream().write("after".getBytes());
        assertEquals("after", new String(s.getInputStream().readNBytes(5)), "and a serves it");
        s.close();
    }

    /** A client of echo whose connection {@code id} runs at b, relayed by a (which keeps the VIP). */
    record RelayedToB(TcpSocket s, String id) {
    }

    /**
     * Starts the hosts, connects the client to a's echo and moves the connection to b, its VIP
     * staying at a (which forwards the client's frames to b), then announces its return to a.
     */
    RelayedToB relayedToBAndAnnouncedBackToA() throws Exception {
        clientConfig = TcpConfig.defaults().toBuilder().minRtoMs(1000).build(); // a frame lost, not just late, shows
        startHosts();
        b.acceptMovedConnectionsIn(VIP & 0xffffff00, 24);
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        Thread.sleep(50);
        String id = a.connections().get().getFirst().id();
        Host.Export out = a.exportConnection(id, MAC_B, 1).get();
        b.importConnection(out.ici(), out.peerMac()).get();
        a.finishMove(List.of(out), 0, true, "").get();
        assertEquals("at b", echo(s, "at b"), "a forwards the client's segments to b");
        assertTrue(a.prepareImport(id, true).get(), "a announces that it holds the connection's frames");
        return new RelayedToB(s, id);
    }

    @Test
    void aConnectionComingBackHasItsFramesForwardedToItsOriginUntilTheOriginSendsOneBack() throws Exception {
        RelayedToB r = relayedToBAndAnnouncedBackToA();
        TcpSocket s = r.s();
        String id = r.id();
        // b drains before it freezes: the client's segments (its ACKs) must still reach it.
        assertEquals("draining", echo(s, "draining"), "announced, a still forwards to b");
        assertEquals(0, a.counters().held, "a holds nothing before b sends a frame back");

        Host.Export back = b.exportConnection(id, MAC_A, 1, 0, 0, true).get();
        s.getOutputStream().write("sent while frozen".getBytes()); // a forwards it; b, frozen, sends it back
        for (int i = 0; i < 200 && a.counters().held == 0; i++) {
            Thread.sleep(5);
        }
        assertTrue(a.counters().held > 0, "a holds what b sent back, instead of forwarding it again: " + a.counters());
        a.importConnection(back.ici(), back.peerMac()).get();
        b.finishMove(List.of(back), 0, true, "").get();
        assertEquals("sent while frozen", new String(s.getInputStream().readNBytes(17)), "fed to the connection back at a");
        assertEquals(0, client.tcpCounters().retransmits, "nothing lost, nothing sent twice: " + client.tcpCounters());
        s.close();
    }

    @Test
    void whatWaitsForReturnedDataGoesToTheConnectionBeforeItMovesAgain() throws Exception {
        RelayedToB r = relayedToBAndAnnouncedBackToA();
        TcpSocket s = r.s();
        backAtAWithFirstComingBackLate(r);
        writeSecondStraightToA(s);
        // Moved on to b while "second" waits at a: it must leave in the connection, not after it.
        Host.Export again = a.exportConnection(r.id(), MAC_B, 1).get();
        b.importConnection(again.ici(), again.peerMac()).get();
        a.finishMove(List.of(again), 0, true, "").get();
        bLink.release();
        assertEquals("firstsecond", new String(s.getInputStream().readNBytes(11)));
        assertEquals(0, client.tcpCounters().resetsReceived, "no reset for what waited: " + client.tcpCounters());
        s.close();
    }

    @Test
    void aTruncatedSegmentReachingARelayAnnouncedBackIsRelayedAndTheLoopRunsOn() throws Exception {
        RelayedToB r = relayedToBAndAnnouncedBackToA();
        int clientPort = Integer.parseInt(r.id().substring(r.id().lastIndexOf(':') + 1));
        // IPv4 says TCP, but only its ports follow: too short to say where its data ends.
        byte[] frame = new byte[EthernetFrame.HEADER_LENGTH + 20 + 4];
        int ip = EthernetFrame.writeHeader(frame, 0, MAC_A, MacAddress.parse("02:00:00:00:00:02"), EthernetFrame.TYPE_IPV4);
        int tcp = Ipv4Packet.writeHeader(frame, ip, CLIENT, VIP, Ipv4Packet.PROTOCOL_TCP, 4);
        Bytes.put16(frame, tcp, clientPort);
        Bytes.put16(frame, tcp + 2, 7);
        clientLink.send(frame, 0, frame.length);
        assertEquals("after it", echo(r.s(), "after it"), "a's loop still relays the connection's frames to b");
        r.s().close();
    }

    @Test
    void dataTheOriginSendsBackAfterTheImportReachesTheConnectionBeforeWhatCameStraightToIt() throws Exception {
        RelayedToB r = relayedToBAndAnnouncedBackToA();
        TcpSocket s = r.s();
        backAtAWithFirstComingBackLate(r);
        long outOfOrder = a.tcpCounters().outOfOrderQueued;
        writeSecondStraightToA(s);
        bLink.release();
        assertEquals("firstsecond", new String(s.getInputStream().readNBytes(11)));
        assertEquals(outOfOrder, a.tcpCounters().outOfOrderQueued, "the connection took them in order: " + a.tcpCounters());
        assertEquals(0, client.tcpCounters().retransmits, "nothing lost, nothing sent twice: " + client.tcpCounters());
        s.close();
    }

    /**
     * b freezes the connection relayed to it and a imports it back; "first", which a relayed to
     * b meanwhile, is on its way back to a (b's link keeps it until {@code bLink.release()}).
     */
    void backAtAWithFirstComingBackLate(RelayedToB r) throws Exception {
        bLink.parkWhen(f -> Bytes.u48(f, 0) == MAC_A && Bytes.u16(f, 12) == EthernetFrame.TYPE_IPV4);
        Host.Export back = b.exportConnection(r.id(), MAC_A, 1, 0, 0, true).get();
        r.s().getOutputStream().write("first".getBytes());
        for (int i = 0; i < 200 && bLink.parked() == 0; i++) {
            Thread.sleep(5);
        }
        assertEquals(1, bLink.parked(), "b sent \"first\" back to a");
        a.importConnection(back.ici(), back.peerMac()).get();
        b.finishMove(List.of(back), 0, true, "").get();
    }

    /** Writes "second", which goes straight to a and waits there for "first". */
    void writeSecondStraightToA(TcpSocket s) throws Exception {
        long held = a.counters().held;
        s.getOutputStream().write("second".getBytes());
        for (int i = 0; i < 100 && a.counters().held == held; i++) {
            Thread.sleep(1);
        }
    }

    /** Writes {@code text} to the echo connection {@code s} and reads as much back, or fails after 2 s. */
    static String echo(TcpSocket s, String text) throws Exception {
        s.getOutputStream().write(text.getBytes());
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(s.getInputStream().readNBytes(text.length()));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(2, TimeUnit.SECONDS);
    }

    /** A client of a's echo that wrote {@code data} and reads nothing yet, and its writer, still blocked. */
    record FullEcho(TcpSocket s, byte[] data, Thread writer) {
    }

    /** Starts the hosts and fills a's echo send buffer with {@code bytes} random bytes ({@link #fillEchoSendBufferAtA}). */
    FullEcho fullEchoAtA(int bytes, long seed) throws Exception {
        startHosts();
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        byte[] data = new byte[bytes];
        return new FullEcho(s, data, fillEchoSendBufferAtA(s, data, seed));
    }

    /**
     * Writes {@code data} (random from {@code seed}; more than the client's receive buffer and a's
     * send buffer together) to echo at a, reading nothing, until the client's window is closed:
     * a's send buffer then holds bytes that stay there. (The server side may not even have taken
     * the handshake's last ACK when connect returns.) Returns the writer, still blocked.
     */
    Thread fillEchoSendBufferAtA(TcpSocket s, byte[] data, long seed) throws Exception {
        new SplittableRandom(seed).nextBytes(data);
        Thread writer = writeInBackground(s, data);
        for (int i = 0; i < 400 && a.connections(c -> c.tcp().sndWnd() == 0 && c.tcp().sendBufferUsed() > 0).get()
                .stream().noneMatch(full -> full); i++) {
            Thread.sleep(25);
        }
        return writer;
    }

    @Test
    void aConnectionBackWhereItWasFillsItsBufferInTheRingItLeftThere() throws Exception {
        FullEcho f = fullEchoAtA(16 << 20, 31);
        move(a, b, MAC_B); // a's full send ring is kept for the next connection that fills here
        move(b, a, MAC_A); // back: its queue is the ICI's bytes; what it writes next goes to a ring
        byte[] got = new byte[f.data().length];
        int half = got.length / 2; // past the queue it came back with: the echo writes anew
        f.s().getInputStream().readNBytes(got, 0, half);
        for (int i = 0; i < 400 && a.tcpCounters().ringsReused == 0; i++) {
            Thread.sleep(25); // the client reads nothing more: a's buffer fills again
        }
        assertEquals(1, a.tcpCounters().ringsReused, "the buffer refilled in the ring a kept: " + a.tcpCounters());
        f.s().getInputStream().readNBytes(got, half, got.length - half);
        f.writer().join(10_000);
        assertArrayEquals(f.data(), got, "every byte echoed through the reused ring");
        f.s().close();
    }

    @Test
    void aFailedMoveGivesBackTheSendBytesItsIciLeftOutForAPreCopy() throws Exception {
        FullEcho f = fullEchoAtA(12 << 20, 9);
        String id = a.connections().get().getFirst().id();
        // As if a pre-copy had given the destination every send byte: the ICI carries none of them.
        Host.Export export = a.exportConnection(id, MAC_B, 1, 0, Long.MAX_VALUE, false).get();
        assertTrue(export.ici().getSendPrecopied() > 0 && export.ici().getSendQueue().isEmpty(),
                "left out: " + export.ici().getSendPrecopied());
        a.finishMove(List.of(export), 0, false, "the destination refused").get();
        byte[] got = f.s().getInputStream().readNBytes(f.data().length);
        f.writer().join(10_000);
        assertArrayEquals(f.data(), got, "every byte echoed, those left out of the ICI too");
        f.s().close();
    }

    @Test
    void heldWritesLetTheSendBufferDrainSoTheFreezeMovesLittleAndWritesGoOnAtTheDestination() throws Exception {
        startHosts();
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        byte[] data = new byte[8 << 20];
        new SplittableRandom(21).nextBytes(data);
        Thread writer = writeInBackground(s, data);
        byte[] got = new byte[data.length];
        java.util.concurrent.atomic.AtomicInteger read = new java.util.concurrent.atomic.AtomicInteger();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                for (int n; read.get() < got.length && (n = s.getInputStream().read(got, read.get(), got.length - read.get())) > 0; ) {
                    read.addAndGet(n);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        while (read.get() < (1 << 20)) { // echo is streaming both ways
            Thread.sleep(1);
        }
        String id = a.connections().get().getFirst().id();
        int left = a.drainTo(id, 64 << 10).get(10, TimeUnit.SECONDS); // the loop answers when the buffer drained
        assertTrue(left <= 64 << 10, "the held application wrote nothing more, the peer's ACKs drained the buffer: " + left);
        Thread.sleep(100); // what was acknowledged already is read by now
        int echoedWhileHeld = read.get();
        Thread.sleep(100);
        assertEquals(echoedWhileHeld, read.get(), "nothing new was written while held");
        move(a, b, MAC_B, ici -> assertTrue(ici.getSendQueue().size() <= 64 << 10, "the ICI carries "
                + ici.getSendQueue().size() + " send bytes"));
        writer.join(30_000);
        reader.join(30_000);
        assertEquals(data.length, read.get(), "the echo went on at b, its writes no longer held");
        assertArrayEquals(data, got);
        s.close();
    }

    @Test
    void aDrainWaitsForThePeersAcksAndEndsWhenCancelledOrWhenItsConnectionLeaves() throws Exception {
        FullEcho f = fullEchoAtA(12 << 20, 22);
        String id = a.connections().get().getFirst().id();
        CompletableFuture<Integer> cancelled = a.drainTo(id, 64 << 10);
        CompletableFuture<Integer> drained = a.drainTo(id, 64 << 10);
        Thread.sleep(200);
        assertFalse(drained.isDone(), "the client's window is closed: nothing drains");
        cancelled.cancel(false);

        byte[] got = new byte[f.data().length];
        java.util.concurrent.atomic.AtomicInteger read = new java.util.concurrent.atomic.AtomicInteger();
        Thread reader = Thread.ofVirtual().start(() -> { // the window opens, ACKs come back
            try {
                for (int n; (n = f.s().getInputStream().read(got, read.get(), got.length - read.get())) > 0; ) {
                    read.addAndGet(n);
                }
            } catch (java.io.InterruptedIOException e) {
                // the test is over: it stops reading
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(drained.get(10, TimeUnit.SECONDS) <= 64 << 10, "answered once drained");
        int readSoFar = read.get(); // the reader goes on
        assertArrayEquals(Arrays.copyOf(f.data(), readSoFar), Arrays.copyOf(got, readSoFar));

        CompletableFuture<Integer> leaving = a.drainTo(id, -1); // never drains below nothing
        Host.Export export = a.exportConnection(id, MAC_B, 1, 0, 0, false).get();
        ExecutionException e = assertThrows(ExecutionException.class, () -> leaving.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("left host"), e.getCause().getMessage());
        a.finishMove(List.of(export), 0, false, "only a test").get();
        reader.interrupt();
        reader.join(10_000);
        f.writer().interrupt();
        f.s().close();
    }

    @Test
    void releasedWritesGoOnWhereTheyStopped() throws Exception {
        startHosts();
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        s.getOutputStream().write("before".getBytes());
        assertEquals("before", new String(s.getInputStream().readNBytes(6)));
        String id = a.connections().get().getFirst().id();
        a.holdWrites(id, true).get();
        s.getOutputStream().write("held".getBytes());
        Thread.sleep(100);
        assertEquals(0, s.getInputStream().available(), "no echo while held");
        a.holdWrites(id, false).get(); // as after a move given up before its freeze
        assertEquals("held", new String(s.getInputStream().readNBytes(4)));
        s.close();
    }

    @Test
    void aVipMovesWithAllItsConnections() throws Exception {
        startHosts();
        List<TcpSocket> sockets = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sockets.add(TcpSocket.connect(client, CLIENT, VIP, 7, 5000));
        }
        Thread.sleep(50);
        List<Host.Export> exports = a.exportVip(VIP, MAC_B, 1).get();
        assertEquals(20, exports.size());
        assertArrayEquals(new int[] {VIP}, a.vipsSpokenFor(), "in transit, a still speaks for it: never orphaned");
        sockets.getFirst().getOutputStream().write("held".getBytes()); // reaches a while nobody owns the VIP
        List<Host.Import> imports = exports.stream().map(x -> new Host.Import(x.ici(), x.peerMac())).toList();
        b.importConnections(imports, VIP).get();
        assertArrayEquals(new int[] {VIP}, b.vipsSpokenFor(), "b speaks for it from the import on");
        a.finishMove(exports, VIP, true, "").get(); // held frames go on to b, then b announces the VIP
        assertEquals(0, a.vipsSpokenFor().length, "delivered: a no longer speaks for it");
        b.addVip(VIP).get();
        assertEquals(0, a.vips().length);
        assertArrayEquals(new int[] {VIP}, b.vips());
        assertEquals(20, b.connections().get().size());
        for (int i = 0; i < sockets.size(); i++) {
            TcpSocket s = sockets.get(i);
            String word = i == 0 ? "held" : "";
            String more = "conn " + i;
            s.getOutputStream().write(more.getBytes());
            String want = word + more;
            assertEquals(want, new String(s.getInputStream().readNBytes(want.length())));
        }
        for (TcpSocket s : sockets) {
            s.close();
        }
        assertEquals(0, audit.violationCount(), audit.report());
    }

    /** A TCP frame from the client: its payload length, flags and sequence number. */
    record Seen(int payload, int flags, int seq) {
        static Seen of(byte[] f) {
            if (f.length < 54 || Bytes.u16(f, 12) != EthernetFrame.TYPE_IPV4 || f[23] != Ipv4Packet.PROTOCOL_TCP) {
                return new Seen(-1, 0, 0);
            }
            int ipHeader = (f[14] & 0xf) * 4;
            int tcp = 14 + ipHeader;
            int tcpHeader = ((f[tcp + 12] & 0xf0) >>> 4) * 4;
            return new Seen(Bytes.u16(f, 16) - ipHeader - tcpHeader, f[tcp + 13] & 0x3f, Bytes.i32(f, tcp + 4));
        }
    }

    @Test
    void aMoveWhileThePeerAdvertisesAZeroWindow() throws Exception {
        startHosts();
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        byte[] sent = new byte[24 << 20];
        new SplittableRandom(7).nextBytes(sent);
        Thread writer = writeInBackground(s, sent); // the client reads nothing yet: every buffer fills up
        for (int i = 0; i < 200 && a.connections(c -> c.tcp().sndWnd()).get().getFirst() != 0; i++) {
            Thread.sleep(25); // until the client's receive buffer is full
        }
        move(a, b, MAC_B, ici -> assertEquals(0, ici.getSndWnd(), "the peer's window is zero at the dump"));
        byte[] got = s.getInputStream().readNBytes(sent.length);
        writer.join();
        assertArrayEquals(sent, got);
        assertEquals(0, audit.violationCount(), audit.report());
    }

    @Test
    void aMoveWithOutOfOrderDataQueued() throws Exception {
        startHosts();
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        int[] hole = {0, 0}; // data frames seen, sequence number of the dropped one
        clientLink.dropWhen(f -> {
            Seen x = Seen.of(f);
            if (x.payload() <= 0) {
                return false;
            }
            if (++hole[0] == 3) {
                hole[1] = x.seq();
            }
            return hole[0] >= 3 && x.seq() == hole[1]; // the third data segment and its retransmissions
        });
        byte[] sent = new byte[256 * 1024];
        new SplittableRandom(8).nextBytes(sent);
        s.getOutputStream().write(sent);
        Thread.sleep(300);
        move(a, b, MAC_B, ici -> assertTrue(ici.getOutOfOrderCount() > 0, "segments after the hole are queued"));
        clientLink.dropWhen(f -> false);
        assertArrayEquals(sent, s.getInputStream().readNBytes(sent.length));
        assertEquals(0, audit.violationCount(), audit.report());
    }

    @Test
    void aMoveWhileOurFinIsNotAcknowledged() throws Exception {
        startHosts();
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        s.getOutputStream().write("bye".getBytes());
        assertEquals("bye", new String(s.getInputStream().readNBytes(3)));
        boolean[] finSent = {false};
        clientLink.dropWhen(f -> {
            Seen x = Seen.of(f);
            if ((x.flags() & TcpSegment.FIN) != 0) {
                finSent[0] = true;
                return false;
            }
            return finSent[0]; // every ACK of the server's FIN is lost
        });
        s.close(); // client FIN; echo closes too: its FIN goes unacknowledged
        Thread.sleep(300);
        move(a, b, MAC_B, ici -> assertEquals(dev.handoff.proto.v1.TcpState.TCP_STATE_LAST_ACK, ici.getState()));
        clientLink.dropWhen(f -> false);
        for (int i = 0; i < 100 && !b.connections().get().isEmpty(); i++) {
            Thread.sleep(50); // b retransmits its FIN; the client's ACK closes it
        }
        assertEquals(0, b.connections().get().size(), events.toString());
        assertTrue(events.stream().anyMatch(e -> e.startsWith(HostEvent.CLOSED)), events.toString());
        assertEquals(0, audit.violationCount(), audit.report());
    }
}
