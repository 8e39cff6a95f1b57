package dev.handoff.agent.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.link.FrameReceiver;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.link.PacketLink;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.ArpPacket;
import dev.handoff.agent.wire.Bytes;
import dev.handoff.agent.wire.Checksum;
import dev.handoff.agent.wire.EthernetFrame;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.Ipv4Packet;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.agent.wire.TcpHeaderWriter;
import dev.handoff.agent.wire.TcpSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Hostile and stray frames thrown at a host while it serves a transfer: malformed,
 * for other MACs and other IPs, fragments, bad checksums, segments for unknown
 * connections. Each is dropped or answered per RFC, counted, and the transfer is intact.
 */
class HostBadInputTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT = Ipv4Address.parse("10.9.0.2");
    static final long SERVER_MAC = MacAddress.parse("02:00:00:00:00:01");
    static final long ATTACKER_MAC = MacAddress.parse("02:00:00:00:00:66");

    @Test
    void strayAndMalformedFramesAreCountedAndDisturbNothing() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        CopyOnWriteArrayList<String> events = new CopyOnWriteArrayList<>();
        Host server = new Host("server", sw.port("server", SERVER_MAC), TcpConfig.defaults(), new SplittableRandom(1), e -> events.add(e.toString()));
        server.addVip(VIP);
        server.serve(7, HandlerDriver.acceptor(EchoHandler.FACTORY));
        server.start();
        Host client = new Host("client", sw.port("client", MacAddress.parse("02:00:00:00:00:02")), TcpConfig.defaults(),
                new SplittableRandom(2), e -> events.add(e.toString()));
        client.addVip(CLIENT);
        client.start();
        PacketLink attacker = sw.port("attacker", ATTACKER_MAC);
        List<byte[]> replies = new ArrayList<>();
        try {
            TcpSocket s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
            byte[] data = new byte[2 << 20];
            new SplittableRandom(3).nextBytes(data);
            byte[][] echoed = new byte[1][];
            Thread transfer = Thread.ofVirtual().start(() -> {
                try {
                    echoed[0] = HostOverMemorySwitchTest.echoRoundTrip(s, data);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            SplittableRandom r = new SplittableRandom(4);
            for (int i = 0; i < 200; i++) {
                byte[] junk = new byte[14 + r.nextInt(186)];
                r.nextBytes(junk);
                Bytes.put48(junk, 0, SERVER_MAC); // addressed to the server, garbage inside
                attacker.send(junk, 0, junk.length);
            }
            attacker.send(tcpFrame(SERVER_MAC, Ipv4Address.parse("10.9.0.200"), 80, TcpSegment.SYN, false, false), 0, 74);
            attacker.send(tcpFrame(MacAddress.parse("02:00:00:00:00:77"), VIP, 7, TcpSegment.SYN, false, false), 0, 74);
            attacker.send(tcpFrame(SERVER_MAC, VIP, 7, TcpSegment.SYN, true, false), 0, 74);
            attacker.send(tcpFrame(SERVER_MAC, VIP, 7, TcpSegment.SYN, false, true), 0, 74);
            attacker.send(tcpFrame(SERVER_MAC, VIP, 9999, TcpSegment.ACK, false, false), 0, 74);
            attacker.send(tcpFrame(SERVER_MAC, VIP, 9999, TcpSegment.RST, false, false), 0, 74);
            attacker.send(arpRequest(Ipv4Address.parse("10.9.0.200")), 0, 42);
            transfer.join(60_000);
            assertArrayEquals(data, echoed[0], "the transfer is intact");
            // The reset for the stray ACK to a closed port reached the attacker.
            attacker.receive(collect(replies), PacketLink.MAX_WAIT_MILLIS);
            HostCounters c = server.counters();
            assertTrue(c.malformed + c.otherEtherType >= 150, "garbage counted: " + c);
            assertTrue(c.otherIp >= 1, "other IP counted: " + c);
            assertTrue(c.fragments >= 1, "fragment counted: " + c);
            assertTrue(c.badChecksum >= 1, "bad checksum counted: " + c);
            assertTrue(c.arpIgnored >= 1, "ARP for another address ignored: " + c);
            assertTrue(server.tcpCounters().resetsSent >= 1, "stray ACK answered with RST: " + server.tcpCounters());
            assertTrue(replies.stream().anyMatch(f -> f.length >= 54 && Bytes.u16(f, 12) == EthernetFrame.TYPE_IPV4
                    && (f[47] & TcpSegment.RST) != 0), "a RST came back to the stray ACK");
        } finally {
            client.shutdown(1000);
            server.shutdown(1000);
            attacker.close();
        }
    }

    private static FrameReceiver collect(List<byte[]> into) {
        return (buf, off, len) -> into.add(java.util.Arrays.copyOfRange(buf, off, off + len));
    }

    /** A 74-byte SYN-sized frame from the attacker (10.9.0.66), optionally a fragment or with a bad checksum. */
    static byte[] tcpFrame(long dstMac, int dstIp, int port, int flags, boolean fragment, boolean badChecksum) {
        byte[] f = new byte[74];
        int attackerIp = Ipv4Address.parse("10.9.0.66");
        EthernetFrame.writeHeader(f, 0, dstMac, ATTACKER_MAC, EthernetFrame.TYPE_IPV4);
        TcpHeaderWriter h = new TcpHeaderWriter();
        h.sourcePort = 40000;
        h.destinationPort = port;
        h.seq = 1234;
        h.ack = 777;
        h.flags = flags;
        h.window = 1000;
        h.mss = 1460;
        int hl = h.write(f, 34);
        TcpHeaderWriter.finishChecksum(f, 34, hl, attackerIp, dstIp);
        if (badChecksum) {
            f[34 + 16] ^= 0x55;
        }
        Ipv4Packet.writeHeader(f, 14, attackerIp, dstIp, Ipv4Packet.PROTOCOL_TCP, hl);
        if (fragment) {
            Bytes.put16(f, 14 + 6, 0x2000);
            Bytes.put16(f, 14 + 10, 0);
            Bytes.put16(f, 14 + 10, Checksum.of(f, 14, 20));
        }
        return f;
    }

    static byte[] arpRequest(int target) {
        byte[] f = new byte[42];
        int p = EthernetFrame.writeHeader(f, 0, MacAddress.BROADCAST, ATTACKER_MAC, EthernetFrame.TYPE_ARP);
        ArpPacket.write(f, p, ArpPacket.OP_REQUEST, ATTACKER_MAC, Ipv4Address.parse("10.9.0.66"), 0, target);
        return f;
    }
}
