package dev.handoff.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.StreamHandler;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpState;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.store.FileCheckpointStore;
import java.io.InputStream;
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
 * A strict application that closes first: once the peer acknowledged its FIN, SND.UNA is
 * one past the data, and checkpoints go on while the peer keeps its side open (FIN-WAIT-2).
 * A round there once read the send stream from SND.UNA, beyond what was written, and the
 * exception stopped the host's loop with every connection on it (found by the goodput bench).
 */
class CheckpointerClosingTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT = Ipv4Address.parse("10.9.0.2");
    static final int STREAM_BYTES = 200_000;

    @TempDir
    Path dir;
    final List<String> events = new CopyOnWriteArrayList<>();
    Host server;
    Host client;
    FileCheckpointStore store;

    @AfterEach
    void stop() {
        client.shutdown(0);
        server.shutdown(0);
        store.close();
    }

    @Test
    @Timeout(60)
    void checkpointsGoOnOnceTheApplicationsFinIsAcknowledged() throws Exception {
        store = FileCheckpointStore.open(dir, System::currentTimeMillis);
        MemorySwitch sw = new MemorySwitch();
        server = new Host("server", sw.port("server", MacAddress.parse("02:00:00:00:00:01")), TcpConfig.defaults(),
                new SplittableRandom(1), e -> events.add(e.toString()));
        server.addVip(VIP);
        server.serve(9, HandlerDriver.acceptor(StreamHandler.factory(5, STREAM_BYTES)));
        server.start();
        client = new Host("client", sw.port("client", MacAddress.parse("02:00:00:00:00:02")), TcpConfig.defaults(),
                new SplittableRandom(2), e -> { });
        client.addVip(CLIENT);
        client.start();
        Checkpointer checkpointer = new Checkpointer(server, store, CheckpointSettings.defaults(),
                vip -> vip == VIP ? 1 : LeaseEpochs.NONE, CheckpointSealTest.SEAL, () -> 1_000, System::currentTimeMillis);

        TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 9, 5000);
        AtomicLong received = new AtomicLong();
        AtomicLong ended = new AtomicLong();
        Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[65536];
            try {
                InputStream in = s.getInputStream(); // left open: the client's side stays open
                for (int n; (n = in.read(buf)) > 0; ) {
                    received.addAndGet(n);
                }
                ended.set(1);
            } catch (Exception e) {
                events.add("client: " + e);
            }
        });
        for (int i = 0; i < 200 && ended.get() == 0; i++) {
            CheckpointerMovesTest.round(server, checkpointer); // strict: each confirmed round lets more go out
        }
        assertEquals(STREAM_BYTES, received.get(), events.toString());
        assertEquals(1, ended.get(), "end of stream: the server's FIN");
        CheckpointerMovesTest.round(server, checkpointer);
        Connection c = server.connections().get().getFirst();
        assertEquals(TcpState.FIN_WAIT_2, c.state(), "the server's FIN acknowledged, the client's side open");
        assertTrue(c.tcp().sndUna() == c.tcp().writtenEnd() + 1, "SND.UNA counts the FIN");

        for (int i = 0; i < 3; i++) {
            CheckpointerMovesTest.round(server, checkpointer);
        }
        assertTrue(events.stream().noneMatch(e -> e.startsWith("error")), events.toString());
        assertEquals(1, server.connections().get().size(), "the loop runs on, the connection with it");
        assertEquals(0, store.read(c.id()).orElseThrow().stream().length, "nothing left to resend");
    }
}
