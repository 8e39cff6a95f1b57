package dev.handoff.agent.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated frames through the whole parser chain (Ethernet, then ARP or IPv4,
 * then TCP and every accessor): only {@link MalformedPacketException} may escape, and
 * parsing allocates nothing per frame (flyweights are reused).
 */
class ParserFuzzTest {
    static final int ITERATIONS = 300_000;

    /** Parser state reused across frames, as on the data path. */
    private final EthernetFrame eth = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final TcpSegment tcp = new TcpSegment();

    /** Parses a frame completely and touches every accessor; returns a checksum of what it read. */
    long parse(byte[] f, int len) throws MalformedPacketException {
        eth.wrap(f, 0, len);
        long acc = eth.destination() ^ eth.source();
        if (eth.etherType() == EthernetFrame.TYPE_ARP) {
            arp.wrap(f, eth.payloadOffset(), eth.payloadLength());
            return acc ^ arp.senderMac() ^ arp.senderIp() ^ arp.targetMac() ^ arp.targetIp() ^ arp.operation();
        }
        ip.wrap(f, eth.payloadOffset(), eth.payloadLength());
        acc ^= ip.source() ^ ip.destination() ^ ip.ttl() ^ ip.protocol();
        tcp.wrap(f, ip.payloadOffset(), ip.payloadLength(), ip.source(), ip.destination());
        acc ^= tcp.seq() ^ tcp.ack() ^ tcp.flags() ^ tcp.window() ^ tcp.mss() ^ tcp.windowScale() ^ tcp.tsVal()
                ^ tcp.tsEcr() ^ tcp.urgentPointer() ^ tcp.segmentLength() ^ tcp.sourcePort() ^ tcp.destinationPort();
        for (int i = 0; i < tcp.sackCount(); i++) {
            acc ^= tcp.sackLeft(i) ^ tcp.sackRight(i);
        }
        int end = tcp.payloadOffset() + tcp.payloadLength();
        assertTrue(end <= len, "payload inside the frame");
        return acc;
    }

    static byte[] validFrame(SplittableRandom r) {
        byte[] f = new byte[1514];
        int p = EthernetFrame.writeHeader(f, 0, r.nextLong() & MacAddress.BROADCAST, r.nextLong() & MacAddress.BROADCAST,
                EthernetFrame.TYPE_IPV4);
        TcpHeaderWriter h = new TcpHeaderWriter();
        h.seq = r.nextInt();
        h.ack = r.nextInt();
        h.flags = r.nextInt(256);
        h.window = r.nextInt(65536);
        h.mss = r.nextBoolean() ? r.nextInt(65536) : -1;
        h.windowScale = r.nextBoolean() ? r.nextInt(256) : -1;
        h.sackPermitted = r.nextBoolean();
        h.timestamps = r.nextBoolean();
        h.sackCount = h.mss >= 0 || h.windowScale >= 0 ? 0 : r.nextInt(h.timestamps ? 4 : 5);
        for (int i = 0; i < 8; i++) {
            h.sackBlocks[i] = r.nextInt();
        }
        int payload = r.nextInt(200);
        int hl = h.write(f, p + 20);
        TcpHeaderWriter.finishChecksum(f, p + 20, hl + payload, 1, 2);
        Ipv4Packet.writeHeader(f, p, 1, 2, Ipv4Packet.PROTOCOL_TCP, hl + payload);
        return java.util.Arrays.copyOf(f, p + 20 + hl + payload);
    }

    @Test
    void randomAndMutatedFramesOnlyEverRaiseTheParsersOwnError() throws MalformedPacketException {
        SplittableRandom r = new SplittableRandom(20261125);
        int valid = 0;
        int refused = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] f;
            int len;
            if (i % 4 == 0) {
                f = new byte[r.nextInt(120)];
                r.nextBytes(f);
                len = f.length;
            } else {
                f = validFrame(r);
                len = f.length;
                int mutations = r.nextInt(4);
                for (int m = 0; m < mutations; m++) {
                    switch (r.nextInt(3)) {
                        case 0 -> f[r.nextInt(f.length)] = (byte) r.nextInt(256);
                        case 1 -> f[r.nextInt(f.length)] ^= (byte) (1 << r.nextInt(8));
                        default -> len = r.nextInt(len + 1);
                    }
                }
            }
            try {
                parse(f, len);
                valid++;
            } catch (MalformedPacketException e) {
                refused++;
                assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
            }
        }
        assertEquals(ITERATIONS, valid + refused);
        assertTrue(valid > ITERATIONS / 10, "the generator also produces valid frames: " + valid);
        assertTrue(refused > ITERATIONS / 10, "and refused ones: " + refused);
    }

    @Test
    void parsingAllocatesNothingPerFrame() throws MalformedPacketException {
        var bean = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        byte[] f = validFrame(new SplittableRandom(3));
        for (int i = 0; i < 200_000; i++) {
            parse(f, f.length); // warm up: let the JIT compile and inline
        }
        long before = bean.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            parse(f, f.length);
        }
        long perFrame = (bean.getCurrentThreadAllocatedBytes() - before) / 100_000;
        assertEquals(0, perFrame, "bytes allocated per parsed frame");
    }
}
