package dev.handoff.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.store.FileCheckpointStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connection moved away without its VIP: its origin deletes its checkpoint (a fail-over
 * of the origin must not resurrect a copy of a connection alive elsewhere), and the
 * destination, which holds no lease on that VIP, lets it run unprotected instead of
 * holding it for checkpoints it can never write.
 */
class CheckpointerMovesTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT = Ipv4Address.parse("10.9.0.2");
    static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");

    @TempDir
    Path dir;
    final List<String> events = new CopyOnWriteArrayList<>();
    Host a;
    Host b;
    Host client;
    FileCheckpointStore store;

    @AfterEach
    void stop() {
        for (Host h : new Host[] {client, a, b}) {
            if (h != null) {
                h.shutdown(0);
            }
        }
        store.close();
    }

    Host host(MemorySwitch sw, String name, long mac, long seed) {
        Host h = new Host(name, sw.port(name, mac), TcpConfig.defaults(), new SplittableRandom(seed),
                e -> events.add(name + ": " + e));
        h.serve(7, HandlerDriver.acceptor(EchoHandler.FACTORY));
        h.restoreWith("echo", HandlerDriver.restorer(EchoHandler.FACTORY));
        h.start();
        return h;
    }

    static void round(Host h, Checkpointer c) throws Exception {
        h.call(() -> {
            c.tick();
            return null;
        }).get();
        Thread.sleep(30);
        h.call(() -> null).get();
    }

    static void echo(TcpSocket s, String text) throws Exception {
        byte[] sent = text.getBytes(StandardCharsets.US_ASCII);
        s.getOutputStream().write(sent);
        assertArrayEquals(sent, s.getInputStream().readNBytes(sent.length));
    }

    @Test
    @Timeout(60)
    void aConnectionMovedAloneIsForgottenByItsOriginAndRunsUnprotectedAtItsDestination() throws Exception {
        store = FileCheckpointStore.open(dir, System::currentTimeMillis);
        MemorySwitch sw = new MemorySwitch();
        a = host(sw, "a", MacAddress.parse("02:00:00:00:00:0a"), 1);
        a.addVip(VIP);
        b = host(sw, "b", MAC_B, 2);
        b.acceptMovedConnectionsIn(VIP, 24);
        client = new Host("client", sw.port("client", MacAddress.parse("02:00:00:00:00:02")), TcpConfig.defaults(),
                new SplittableRandom(3), e -> { });
        client.addVip(CLIENT);
        client.start();
        AtomicLong clock = new AtomicLong(1_000);
        CheckpointSettings settings = new CheckpointSettings(20, 1_000, CheckpointSettings.MAX_BYTES_BETWEEN, 100);
        Checkpointer atA = new Checkpointer(a, store, settings, vip -> vip == VIP ? 1 : LeaseEpochs.NONE, CheckpointSealTest.SEAL, clock::get,
                System::currentTimeMillis);
        Checkpointer atB = new Checkpointer(b, store, settings, vip -> LeaseEpochs.NONE, CheckpointSealTest.SEAL, clock::get, System::currentTimeMillis);

        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
        Thread.sleep(50);
        round(a, atA); // echo is strict: it answers once a checkpoint holds what it read
        s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
        Thread.sleep(50);
        round(a, atA);
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), s.getInputStream().readNBytes(5));
        String id = a.connections().get().getFirst().id();
        assertTrue(store.read(id).isPresent(), "checkpointed at a");

        Host.Export export = a.exportConnection(id, MAC_B, 1).get();
        b.importConnection(export.ici(), export.peerMac()).get();
        a.finishMove(List.of(export), 0, true, "").get(); // a keeps the VIP and forwards the connection's frames to b
        round(a, atA);
        assertTrue(store.read(id).isEmpty(), "a deleted the checkpoint of the connection that left without its VIP");

        round(b, atB);
        assertTrue(events.stream().anyMatch(e -> e.startsWith("b: not-checkpointed " + id)), events.toString());
        echo(s, "through b, not held for checkpoints");
        clock.addAndGet(5_000); // far past the MSL: nothing of it is bounded by checkpoints here
        round(b, atB);
        echo(s, "still flowing");
        assertEquals(1, b.connections().get().size());
        assertTrue(events.stream().noneMatch(e -> e.startsWith("b: checkpoint-stalled")), events.toString());
    }
}
