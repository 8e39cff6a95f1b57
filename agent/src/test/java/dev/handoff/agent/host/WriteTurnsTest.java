package dev.handoff.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.Channel;
import dev.handoff.agent.app.Handler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.HandlerFactory;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.link.DroppingLink;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import java.io.InputStream;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An application writes in turns: its connection sends what it wrote before it writes on (a refill after a move). */
class WriteTurnsTest {
    static final int SERVER = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT = Ipv4Address.parse("10.9.0.2");
    static final int TOTAL = 16 << 20;

    Host server;
    Host client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.shutdown(1000);
        }
        if (server != null) {
            server.shutdown(1000);
        }
    }

    @Test
    void aFullBuffersWorthOfWritesLeavesAsItIsWritten() throws Exception {
        AtomicInteger dataFrames = new AtomicInteger();
        AtomicInteger framesAtOneMegabyte = new AtomicInteger(-1);
        AtomicLong largestRoom = new AtomicLong();
        HandlerFactory writer = new HandlerFactory() {
            @Override
            public String name() {
                return "writer";
            }

            @Override
            public Handler create() {
                return new Handler() {
                    long written;

                    @Override
                    public void onOpen(Channel ch) {
                        ch.wantWrite(true);
                    }

                    @Override
                    public void onReadable(Channel ch) {
                    }

                    @Override
                    public void onWritable(Channel ch) {
                        byte[] chunk = new byte[64 << 10];
                        int room;
                        while (written < TOTAL && (room = ch.writable()) > 0) {
                            largestRoom.accumulateAndGet(room, Math::max);
                            written += ch.write(chunk, 0, (int) Math.min(Math.min(room, chunk.length), TOTAL - written));
                            if (written >= 1 << 20) {
                                framesAtOneMegabyte.compareAndSet(-1, dataFrames.get());
                            }
                        }
                        if (written == TOTAL) {
                            ch.wantWrite(false);
                            ch.close();
                        }
                    }

                    @Override
                    public byte[] snapshot() {
                        return new byte[0];
                    }

                    @Override
                    public void restore(byte[] state) {
                    }
                };
            }
        };
        MemorySwitch sw = new MemorySwitch();
        DroppingLink serverLink = new DroppingLink(sw.port("server", MacAddress.parse("02:00:00:00:00:01")));
        serverLink.dropWhen(frame -> {
            if (frame.length > 100) { // longer than a bare header: data
                dataFrames.incrementAndGet();
            }
            return false; // only counted
        });
        server = new Host("server", serverLink, TcpConfig.defaults(), new SplittableRandom(1), e -> { });
        server.addVip(SERVER);
        server.serve(9, HandlerDriver.acceptor(writer));
        server.start();
        client = new Host("client", sw.port("client", MacAddress.parse("02:00:00:00:00:02")), TcpConfig.defaults(),
                new SplittableRandom(2), e -> { });
        client.addVip(CLIENT);
        client.start();

        TcpSocket s = TcpSocket.connect(client, CLIENT, SERVER, 9, 5000);
        long got;
        try (InputStream in = s.getInputStream()) {
            got = in.transferTo(java.io.OutputStream.nullOutputStream());
        }

        assertEquals(TOTAL, got);
        assertTrue(largestRoom.get() <= Connection.WRITE_TURN,
                "the application is offered at most one turn's room at a time, was offered " + largestRoom.get());
        assertTrue(framesAtOneMegabyte.get() > 0,
                "data left before the application had written 1 MB into its empty 4 MB buffer (frames then: "
                        + framesAtOneMegabyte.get() + ")");
    }
}
