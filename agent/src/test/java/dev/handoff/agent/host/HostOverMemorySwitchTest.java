package dev.handoff.agent.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.HttpFileHandler;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.link.FaultyLink;
import dev.handoff.agent.link.Faults;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.link.PacketLink;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two hosts on an in-memory switch: ARP, demux, the event loop, handlers, the blocking socket. */
class HostOverMemorySwitchTest {
    static final int SERVER_VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT_IP = Ipv4Address.parse("10.9.0.2");

    final CopyOnWriteArrayList<String> events = new CopyOnWriteArrayList<>();
    Host server;
    Host client;

    /** The server host's name (its loop thread is host-NAME). */
    String serverName = "server";
    /** How Linux schedules the server host's loop threads. */
    ThreadScheduling serverScheduling = ThreadScheduling.NORMAL;

    void start(MemorySwitch sw, PacketLink serverLink, PacketLink clientLink, Path files) {
        server = new Host(serverName, serverLink, TcpConfig.defaults(), new SplittableRandom(1), e -> events.add(e.toString()));
        server.addVip(SERVER_VIP);
        server.scheduleLoops(serverScheduling);
        server.serve(7, HandlerDriver.acceptor(EchoHandler.FACTORY));
        if (files != null) {
            server.serve(80, HandlerDriver.acceptor(HttpFileHandler.factory(files)));
        }
        server.start();
        client = new Host("client", clientLink, TcpConfig.defaults(), new SplittableRandom(2), e -> events.add(e.toString()));
        client.addVip(CLIENT_IP);
        client.start();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.shutdown(1000);
        }
        if (server != null) {
            server.shutdown(1000);
        }
    }

    static byte[] echoRoundTrip(TcpSocket s, byte[] data) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = s.getInputStream()) {
                in.transferTo(got);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        OutputStream out = s.getOutputStream();
        out.write(data);
        s.close();
        reader.join(60_000);
        return got.toByteArray();
    }

    @Test
    void echoAMegabyteThroughTheEventLoops() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        start(sw, sw.port("server", MacAddress.parse("02:00:00:00:00:01")),
                sw.port("client", MacAddress.parse("02:00:00:00:00:02")), null);
        byte[] data = new byte[1 << 20];
        new SplittableRandom(5).nextBytes(data);
        TcpSocket s = TcpSocket.connect(client, CLIENT_IP, SERVER_VIP, 7, 5000);
        assertArrayEquals(data, echoRoundTrip(s, data));
        assertTrue(server.counters().arpReplies >= 1, "the client learned the VIP's MAC by ARP");
        assertTrue(events.stream().anyMatch(e -> e.startsWith("open 10.9.0.100:7-10.9.0.2:")), events.toString());
    }

    /** The /proc/self/task directory of this process's thread named {@code name}. */
    private static Path task(String name) throws java.io.IOException {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                String comm;
                try {
                    comm = Files.readString(t.resolve("comm")).strip();
                } catch (java.nio.file.NoSuchFileException e) {
                    continue; // a thread (of another host, or the JVM's) ended since the listing
                }
                if (comm.equals(name)) {
                    return t;
                }
            }
        }
        throw new AssertionError("no thread named " + name + " in /proc/self/task");
    }

    /** Field {@code field} (numbered from 1, as proc(5) does) of the stat of this process's thread named {@code name}. */
    private static int stat(String name, int field) throws java.io.IOException {
        return ThreadSchedulingTest.statField(task(name), field);
    }

    /** The nice value of this process's thread named {@code name}. */
    private static int nice(String name) throws java.io.IOException {
        return stat(name, 19);
    }

    /** The fair scheduler's slice of this process's thread named {@code name}, in nanoseconds. */
    private static long slice(String name) throws java.io.IOException {
        return ThreadSchedulingTest.slice(task(name));
    }

    /** The scheduling policy of this process's thread named {@code name} (0 SCHED_OTHER, 1 SCHED_FIFO). */
    private static int policy(String name) throws java.io.IOException {
        return stat(name, 41);
    }

    /** The real-time priority of this process's thread named {@code name} (0 under the fair scheduler). */
    private static int realtimePriority(String name) throws java.io.IOException {
        return stat(name, 40);
    }

    /** Starts server host {@code name} with its loop threads scheduled so, and echoes once: both threads have run by then. */
    private void startScheduled(String name, ThreadScheduling scheduling) throws Exception {
        MemorySwitch sw = new MemorySwitch();
        serverName = name;
        serverScheduling = scheduling;
        start(sw, sw.port(name, MacAddress.parse("02:00:00:00:00:01")), sw.port("client", MacAddress.parse("02:00:00:00:00:02")),
                null);
        TcpSocket.connect(client, CLIENT_IP, SERVER_VIP, 7, 5000).close();
    }

    /** Needs root (CI runs as root): a nice value below 0 needs CAP_SYS_NICE. */
    @Test
    void theLoopThreadRunsAtTheNiceValueAndSliceAskedFor() throws Exception {
        startScheduled("nc", new ThreadScheduling(-7, 0, 200));
        assertEquals(-7, nice("host-nc"), "the loop thread's nice value");
        assertEquals(200_000, slice("host-nc"), "the loop thread's slice, in nanoseconds (Linux 6.12 on)");
        assertEquals(0, nice("host-client"), "a host not asked keeps its threads' nice value");
        assertTrue(events.stream().anyMatch(e -> e.equals("priority host-nc runs at nice -7, slice 200 us")),
                events.toString());
    }

    /** Needs root (CI runs as root): a real-time priority needs CAP_SYS_NICE. */
    @Test
    void theLoopThreadRunsUnderSchedFifoWhenAskedTo() throws Exception {
        startScheduled("rt", new ThreadScheduling(-7, 3));
        assertEquals(1, policy("host-rt"), "the loop thread's policy (SCHED_FIFO)");
        assertEquals(3, realtimePriority("host-rt"), "the loop thread's real-time priority");
        assertEquals(0, policy("host-client"), "a host not asked keeps the fair scheduler");
        assertTrue(events.stream().anyMatch(e -> e.equals("priority host-rt runs at SCHED_FIFO priority 3")),
                events.toString());
    }

    @Test
    void echoSurvivesALossyReorderingLink() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        Faults faults = new Faults(0.03, 0.01, 0.03, 0.005, 1, 4);
        start(sw, new FaultyLink(sw.port("server", MacAddress.parse("02:00:00:00:00:01")), faults, 1),
                new FaultyLink(sw.port("client", MacAddress.parse("02:00:00:00:00:02")), faults, 2), null);
        byte[] data = new byte[512 * 1024];
        new SplittableRandom(6).nextBytes(data);
        TcpSocket s = TcpSocket.connect(client, CLIENT_IP, SERVER_VIP, 7, 10_000);
        assertArrayEquals(data, echoRoundTrip(s, data));
        assertTrue(server.tcpCounters().retransmits + client.tcpCounters().retransmits > 0, "the faults bit");
    }

    @Test
    void httpGetOfAFile(@TempDir Path dir) throws Exception {
        byte[] body = new byte[300_000];
        new SplittableRandom(7).nextBytes(body);
        Files.write(dir.resolve("blob.bin"), body);
        MemorySwitch sw = new MemorySwitch();
        start(sw, sw.port("server", MacAddress.parse("02:00:00:00:00:01")),
                sw.port("client", MacAddress.parse("02:00:00:00:00:02")), dir);
        TcpSocket s = TcpSocket.connect(client, CLIENT_IP, SERVER_VIP, 80, 5000);
        byte[] reply = echoRoundTrip(s, "GET /blob.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        String text = new String(reply, StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), text.substring(0, Math.min(200, text.length())));
        assertTrue(text.contains("Content-Length: 300000\r\n"));
        int start = text.indexOf("\r\n\r\n") + 4;
        assertEquals(body.length, reply.length - start);
        assertArrayEquals(body, java.util.Arrays.copyOfRange(reply, start, reply.length));
    }

    @Test
    void anAbandonedVipFallsSilentWithoutFinOrReset() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        start(sw, sw.port("server", MacAddress.parse("02:00:00:00:00:01")),
                sw.port("client", MacAddress.parse("02:00:00:00:00:02")), null);
        TcpSocket s = TcpSocket.connect(client, CLIENT_IP, SERVER_VIP, 7, 5000);
        s.getOutputStream().write(new byte[] {1, 2, 3});
        assertEquals(3, s.getInputStream().readNBytes(3).length, "echoed before");

        assertEquals(1, server.abandonVip(SERVER_VIP, "test").get());
        long framesOut = server.counters().framesOut;
        s.getOutputStream().write(new byte[1000]); // reaches the server's MAC, as after a lapsed lease
        Thread.sleep(600); // the client retransmits at least once
        assertEquals(framesOut, server.counters().framesOut, "not one frame (no ACK, no FIN, no RST) after abandoning");
        assertEquals(0, server.vips().length);
        assertTrue(server.connections().get().isEmpty());
        assertTrue(events.stream().anyMatch(e -> e.startsWith("vip-abandoned 10.9.0.100 test; 1 connections")), events.toString());
        assertTrue(events.stream().noneMatch(e -> e.startsWith("close 10.9.0.100:7")), "no close: it lives on from its checkpoint");
        client.shutdown(0);
        client = null;
    }
}
