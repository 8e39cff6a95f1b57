package dev.handoff.agent.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.link.FlowHash;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.proto.v1.Ici;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hosts with several event loops on an in-memory switch: connections spread over the loops
 * by their flow, both for connections accepted and opened; counters add up; a VIP's
 * connections move out of every loop and a refused one refuses them all.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MultiLoopHostTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT = Ipv4Address.parse("10.9.0.2");
    static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");

    final CopyOnWriteArrayList<String> events = new CopyOnWriteArrayList<>();
    final MemorySwitch sw = new MemorySwitch();
    final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void stop() {
        for (Host h : hosts) {
            h.shutdown(500);
        }
    }

    Host host(String name, long mac, int loops, long seed) {
        Host h = new Host(name, sw.port(name, mac), TcpConfig.defaults(), new SplittableRandom(seed),
                e -> events.add(e.toString()), loops);
        h.serve(7, HandlerDriver.acceptor(EchoHandler.FACTORY));
        h.restoreWith("echo", HandlerDriver.restorer(EchoHandler.FACTORY));
        h.start();
        hosts.add(h);
        return h;
    }

    Host client(int loops) throws Exception {
        Host c = host("client", MacAddress.parse("02:00:00:00:00:02"), loops, 3);
        c.addVip(CLIENT).get();
        return c;
    }

    /** The loop of connection {@code s} on the host that accepted it (its flow seen from there). */
    static int serverLoopOf(TcpSocket s, int loops) throws Exception {
        String[] ends = s.id().split("-"); // client:port-vip:7
        int clientPort = Integer.parseInt(ends[0].substring(ends[0].lastIndexOf(':') + 1));
        return FlowHash.loopOf(CLIENT, clientPort, 7, loops);
    }

    @Test
    void connectionsSpreadOverTheLoopsOfBothEnds() throws Exception {
        Host server = host("a", MAC_A, 2, 1);
        server.addVip(VIP).get();
        Host client = client(2);
        List<TcpSocket> sockets = new ArrayList<>();
        int[] perServerLoop = new int[2];
        for (int i = 0; i < 24; i++) {
            TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
            sockets.add(s);
            perServerLoop[serverLoopOf(s, 2)]++;
        }
        assertTrue(perServerLoop[0] > 0 && perServerLoop[1] > 0, "both server loops run connections: "
                + perServerLoop[0] + " and " + perServerLoop[1]);
        List<Thread> echoes = new ArrayList<>();
        List<byte[][]> results = new CopyOnWriteArrayList<>();
        for (int i = 0; i < sockets.size(); i++) {
            TcpSocket s = sockets.get(i);
            byte[] data = new byte[128 * 1024];
            new SplittableRandom(i).nextBytes(data);
            echoes.add(Thread.ofVirtual().start(() -> {
                try {
                    results.add(new byte[][] {data, HostOverMemorySwitchTest.echoRoundTrip(s, data)});
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (Thread t : echoes) {
            t.join(60_000);
        }
        assertEquals(24, results.size());
        for (byte[][] r : results) {
            assertArrayEquals(r[0], r[1], "echoed intact");
        }
        for (HostLoop l : server.loops()) {
            assertEquals(perServerLoop[l.index()], l.tcpCounters().established, "loop " + l.index() + " accepted its flows");
        }
        assertEquals(24, server.tcpCounters().established, "the host's counters add up its loops'");
        for (HostLoop l : client.loops()) {
            assertTrue(l.tcpCounters().established > 0, "the client's loop " + l.index() + " opened some: ports picked per loop");
        }
        assertEquals(0, server.counters().laneDrops);
        assertEquals(1, events.stream().filter(e -> e.startsWith(HostEvent.VIP_TAKEN) && e.contains("10.9.0.100")).count(),
                "one VIP_TAKEN event for the host, not one per loop: " + events);
        assertThrows(IllegalStateException.class, () -> server.call(() -> null), "no single loop to call on");
    }

    @Test
    void aVipMovesOutOfEveryLoopAndARefusedIciRefusesThemAll() throws Exception {
        Host a = host("a", MAC_A, 2, 1);
        a.addVip(VIP).get();
        Host b = host("b", MAC_B, 2, 2);
        Host client = client(1);
        List<TcpSocket> sockets = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            sockets.add(TcpSocket.connect(client, CLIENT, VIP, 7, 5000));
        }
        Thread.sleep(50);

        // First attempt: one ICI (on loop 1 of b) is invalid, so b takes none of them.
        List<Host.Export> exports = a.exportVip(VIP, MAC_B, 1).get();
        assertEquals(16, exports.size(), "connections of both loops leave");
        List<Host.Import> imports = new ArrayList<>();
        boolean spoiled = false;
        for (Host.Export x : exports) {
            Ici ici = x.ici();
            if (!spoiled && FlowHash.loopOf(ici.getRemoteIp(), ici.getRemotePort(), ici.getLocalPort(), 2) == 1) {
                ici = ici.toBuilder().setSndWscale(15).build();
                spoiled = true;
            }
            imports.add(new Host.Import(ici, x.peerMac()));
        }
        assertTrue(spoiled, "a connection on loop 1 to spoil");
        ExecutionException e = assertThrows(ExecutionException.class, () -> b.importConnections(imports, VIP).get());
        assertTrue(e.getCause().getMessage().contains("snd_wscale"), e.getCause().getMessage());
        assertEquals(0, b.connections().get().size(), "b made none of them, on either loop");
        a.finishMove(exports, VIP, false, "refused").get();
        assertEquals(16, a.connections().get().size(), "all back at a");
        assertArrayEquals(new int[] {VIP}, a.vips());

        // Second attempt: all valid, all move, and every connection still echoes from b.
        exports = a.exportVip(VIP, MAC_B, 1).get();
        b.importConnections(exports.stream().map(x -> new Host.Import(x.ici(), x.peerMac())).toList(), VIP).get();
        a.finishMove(exports, VIP, true, "").get();
        b.addVip(VIP).get();
        assertEquals(16, b.connections().get().size());
        for (HostLoop l : b.loops()) {
            assertTrue(l.connections().get().size() > 0, "b's loop " + l.index() + " took some");
        }
        for (int i = 0; i < sockets.size(); i++) {
            String word = "conn " + i;
            sockets.get(i).getOutputStream().write(word.getBytes());
            assertEquals(word, new String(sockets.get(i).getInputStream().readNBytes(word.length())));
        }
        for (TcpSocket s : sockets) {
            s.close();
        }
    }

    @Test
    void aConnectionMovedAloneInvolvesItsLoopOnlyAndIsActiveBeforeTheAnswer() throws Exception {
        Host a = host("a", MAC_A, 2, 1);
        a.addVip(VIP).get();
        Host b = host("b", MAC_B, 2, 2);
        b.acceptMovedConnectionsIn(VIP & 0xffffff00, 24);
        Host client = client(1);
        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        HostLoop own = b.loops().get(serverLoopOf(s, 2));
        HostLoop other = b.loops().get(1 - own.index());
        for (int i = 0; i < 200 && a.connections().get().isEmpty(); i++) {
            Thread.sleep(10); // a may not have taken the handshake's last ACK when connect returns
        }
        Host.Export export = a.exportConnection(a.connections().get().getFirst().id(), MAC_B, 1).get();
        java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
        other.execute(() -> {
            try {
                busy.await(); // b's other loop is stuck for as long as the import takes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            long before = own.call(() -> own.counters().framesOut).get();
            java.util.concurrent.CountDownLatch registered = new java.util.concurrent.CountDownLatch(1);
            own.execute(() -> {
                try {
                    registered.await(); // the import runs once the check below is in place
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            // Read on the loop as the import is answered: its window update went out already.
            var atAnswer = b.importConnection(export.ici(), export.peerMac()).thenApply(in -> own.counters().framesOut);
            registered.countDown();
            assertTrue(atAnswer.get(10, TimeUnit.SECONDS) > before, "the activation left before the import was answered");
        } finally {
            busy.countDown();
        }
        a.finishMove(List.of(export), 0, true, "").get();
        s.getOutputStream().write("moved".getBytes());
        assertEquals("moved", new String(s.getInputStream().readNBytes(5)));
        s.close();
    }
}
