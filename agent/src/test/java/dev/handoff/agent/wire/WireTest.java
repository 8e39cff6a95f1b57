package dev.handoff.agent.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.wire.MalformedPacketException.Reason;
import org.junit.jupiter.api.Test;

class WireTest {
    static final int SRC = Ipv4Address.parse("192.168.1.10");
    static final int DST = Ipv4Address.parse("192.168.1.20");

    @Test
    void checksumMatchesTheRfc1071Example() {
        byte[] b = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        assertEquals(0x220d, Checksum.of(b, 0, b.length), "RFC 1071 4.1: sum ddf2, checksum 220d");
        byte[] odd = {0x01, 0x02, 0x03};
        assertEquals(~(0x0102 + 0x0300) & 0xffff, Checksum.of(odd, 0, 3), "odd byte padded with zero");
    }

    @Test
    void seqNumComparesAcrossTheWrap() {
        assertTrue(SeqNum.lt(0xffff_fff0, 0x10));
        assertTrue(SeqNum.gt(0x10, 0xffff_fff0));
        assertEquals(0x20, SeqNum.diff(0x10, 0xffff_fff0));
        assertTrue(SeqNum.inRange(0, 0xffff_ff00, 0x100));
        assertFalse(SeqNum.inRange(0x100, 0xffff_ff00, 0x100));
        assertEquals(0x10, SeqNum.max(0xffff_fff0, 0x10));
        assertTrue(new SeqNum(-5).isBefore(new SeqNum(3)));
        assertEquals("4294967295", new SeqNum(-1).toString());
    }

    @Test
    void addressesParseFormatAndRejectNonsense() {
        assertEquals("10.1.2.3", Ipv4Address.format(Ipv4Address.parse("10.1.2.3")));
        assertEquals("02:00:00:aa:bb:cc", MacAddress.format(MacAddress.parse("02:00:00:AA:bb:cc")));
        for (String bad : new String[] {"10.1.2", "10.1.2.256", "a.b.c.d", "1..2.3", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("02:00:00:aa:bb"));
    }

    static byte[] tcpPacket(TcpHeaderWriter h, byte[] payload) {
        byte[] b = new byte[Ipv4Packet.MIN_HEADER_LENGTH + TcpSegment.MAX_HEADER_LENGTH + payload.length];
        int hl = h.write(b, 20);
        System.arraycopy(payload, 0, b, 20 + hl, payload.length);
        TcpHeaderWriter.finishChecksum(b, 20, hl + payload.length, SRC, DST);
        Ipv4Packet.writeHeader(b, 0, SRC, DST, Ipv4Packet.PROTOCOL_TCP, hl + payload.length);
        return java.util.Arrays.copyOf(b, 20 + hl + payload.length);
    }

    @Test
    void ipv4AndTcpRoundTripWithEveryOption() throws MalformedPacketException {
        TcpHeaderWriter h = new TcpHeaderWriter();
        h.sourcePort = 1234;
        h.destinationPort = 80;
        h.seq = 0xdeadbeef;
        h.ack = 42;
        h.flags = TcpSegment.SYN | TcpSegment.ACK;
        h.window = 65535;
        h.mss = 1460;
        h.windowScale = 7;
        h.sackPermitted = true;
        h.timestamps = true;
        h.tsVal = 123;
        h.tsEcr = 456;
        byte[] p = tcpPacket(h, new byte[] {1, 2, 3});
        Ipv4Packet ip = new Ipv4Packet(p, 0, p.length);
        assertEquals(SRC, ip.source());
        assertEquals(DST, ip.destination());
        assertEquals(Ipv4Packet.PROTOCOL_TCP, ip.protocol());
        TcpSegment s = new TcpSegment(p, ip.payloadOffset(), ip.payloadLength(), ip.source(), ip.destination());
        assertEquals(1234, s.sourcePort());
        assertEquals(0xdeadbeef, s.seq());
        assertEquals(42, s.ack());
        assertEquals(1460, s.mss());
        assertEquals(7, s.windowScale());
        assertTrue(s.sackPermitted());
        assertEquals(123, s.tsVal());
        assertEquals(456, s.tsEcr());
        assertEquals(3, s.payloadLength());
        assertEquals(4, s.segmentLength(), "SYN counts one");
        assertEquals(40, s.headerLength(), "Linux layout: 20 bytes of options");
    }

    @Test
    void sackBlocksRoundTrip() throws MalformedPacketException {
        TcpHeaderWriter h = new TcpHeaderWriter();
        h.flags = TcpSegment.ACK;
        h.timestamps = true;
        h.sackCount = 3;
        for (int i = 0; i < 6; i++) {
            h.sackBlocks[i] = 1000 * (i + 1);
        }
        byte[] p = tcpPacket(h, new byte[0]);
        TcpSegment s = new TcpSegment(p, 20, p.length - 20, SRC, DST);
        assertEquals(3, s.sackCount());
        assertEquals(5000, s.sackLeft(2));
        assertEquals(6000, s.sackRight(2));
        h.sackCount = 4;
        assertThrows(IllegalStateException.class, () -> h.write(new byte[100], 0), "4 blocks + timestamps exceed 40 bytes");
    }

    /** A TCP header with hand-made options, checksummed. */
    static byte[] withOptions(int... options) {
        int hl = 20 + options.length;
        byte[] b = new byte[hl];
        Bytes.put8(b, 12, (hl / 4) << 4);
        for (int i = 0; i < options.length; i++) {
            b[20 + i] = (byte) options[i];
        }
        TcpHeaderWriter.finishChecksum(b, 0, hl, SRC, DST);
        return b;
    }

    @Test
    void unknownOptionsAreSkippedByLengthAndEolEndsTheList() throws MalformedPacketException {
        byte[] b = withOptions(99, 4, 0xaa, 0xbb, 2, 4, 0x05, 0xb4);
        assertEquals(1460, new TcpSegment(b, 0, b.length, SRC, DST).mss());
        byte[] eol = withOptions(0, 2, 4, 0x05, 0xb4, 0, 0, 0);
        assertEquals(-1, new TcpSegment(eol, 0, eol.length, SRC, DST).mss(), "nothing after EOL is read");
        byte[] wrongLength = withOptions(2, 3, 5, 1);
        assertEquals(-1, new TcpSegment(wrongLength, 0, wrongLength.length, SRC, DST).mss(), "MSS of length 3 ignored");
    }

    @Test
    void malformedHeadersAreRefusedWithTheirReason() {
        byte[] runs = withOptions(8, 10, 0, 0);
        assertEquals(Reason.BAD_OPTION, assertThrows(MalformedPacketException.class,
                () -> new TcpSegment(runs, 0, runs.length, SRC, DST)).reason());
        byte[] zero = withOptions(30, 0, 0, 0);
        assertEquals(Reason.BAD_OPTION, assertThrows(MalformedPacketException.class,
                () -> new TcpSegment(zero, 0, zero.length, SRC, DST)).reason());
        byte[] ok = withOptions();
        ok[5] ^= 1;
        assertEquals(Reason.BAD_CHECKSUM, assertThrows(MalformedPacketException.class,
                () -> new TcpSegment(ok, 0, ok.length, SRC, DST)).reason());
        byte[] shortOffset = withOptions();
        Bytes.put8(shortOffset, 12, 4 << 4);
        assertEquals(Reason.BAD_HEADER, assertThrows(MalformedPacketException.class,
                () -> new TcpSegment(shortOffset, 0, shortOffset.length, SRC, DST)).reason());
        assertEquals(Reason.TRUNCATED, assertThrows(MalformedPacketException.class,
                () -> new TcpSegment(new byte[10], 0, 10, SRC, DST)).reason());
    }

    @Test
    void ipv4OptionsAreSkippedFragmentsAndBadChecksumsRefused() throws MalformedPacketException {
        byte[] b = new byte[24 + 4];
        Ipv4Packet.writeHeader(b, 0, SRC, DST, 6, 8);
        // Rewrite as a 24-byte header with one NOP-padded option word.
        Bytes.put8(b, 0, 0x46);
        Bytes.put16(b, 2, 28);
        b[20] = 1;
        b[21] = 1;
        b[22] = 1;
        b[23] = 0;
        Bytes.put16(b, 10, 0);
        Bytes.put16(b, 10, Checksum.of(b, 0, 24));
        Ipv4Packet ip = new Ipv4Packet(b, 0, b.length);
        assertEquals(24, ip.payloadOffset());
        assertEquals(4, ip.payloadLength());

        byte[] frag = new byte[40];
        Ipv4Packet.writeHeader(frag, 0, SRC, DST, 6, 20);
        Bytes.put16(frag, 6, 0x2000);
        Bytes.put16(frag, 10, 0);
        Bytes.put16(frag, 10, Checksum.of(frag, 0, 20));
        assertEquals(Reason.FRAGMENT, assertThrows(MalformedPacketException.class, () -> new Ipv4Packet(frag, 0, 40)).reason());

        byte[] bad = new byte[40];
        Ipv4Packet.writeHeader(bad, 0, SRC, DST, 6, 20);
        bad[8] ^= 1;
        assertEquals(Reason.BAD_CHECKSUM, assertThrows(MalformedPacketException.class, () -> new Ipv4Packet(bad, 0, 40)).reason());

        byte[] longer = new byte[30];
        Ipv4Packet.writeHeader(longer, 0, SRC, DST, 6, 20);
        assertEquals(Reason.TRUNCATED, assertThrows(MalformedPacketException.class, () -> new Ipv4Packet(longer, 0, 30)).reason());

        byte[] v6 = new byte[40];
        v6[0] = 0x60;
        assertEquals(Reason.BAD_HEADER, assertThrows(MalformedPacketException.class, () -> new Ipv4Packet(v6, 0, 40)).reason());
    }

    @Test
    void ethernetAndArpRoundTrip() throws MalformedPacketException {
        byte[] f = new byte[EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH];
        long mac = MacAddress.parse("02:00:00:00:00:01");
        int p = EthernetFrame.writeHeader(f, 0, MacAddress.BROADCAST, mac, EthernetFrame.TYPE_ARP);
        ArpPacket.write(f, p, ArpPacket.OP_REQUEST, mac, SRC, 0, DST);
        EthernetFrame e = new EthernetFrame(f, 0, f.length);
        assertEquals(MacAddress.BROADCAST, e.destination());
        assertEquals(mac, e.source());
        assertEquals(EthernetFrame.TYPE_ARP, e.etherType());
        assertTrue(EthernetFrame.isArp(f, 0, f.length));
        assertFalse(EthernetFrame.isArp(f, 0, 13), "too short to say");
        ArpPacket a = new ArpPacket(f, e.payloadOffset(), e.payloadLength());
        assertEquals(ArpPacket.OP_REQUEST, a.operation());
        assertEquals(mac, a.senderMac());
        assertEquals(SRC, a.senderIp());
        assertEquals(DST, a.targetIp());
        f[e.payloadOffset() + 7] = 9;
        assertEquals(Reason.BAD_HEADER, assertThrows(MalformedPacketException.class,
                () -> new ArpPacket(f, e.payloadOffset(), e.payloadLength())).reason());
        assertEquals(Reason.TRUNCATED, assertThrows(MalformedPacketException.class, () -> new EthernetFrame(f, 0, 13)).reason());
        EthernetFrame.writeHeader(f, 0, MacAddress.BROADCAST, mac, EthernetFrame.TYPE_IPV4);
        assertFalse(EthernetFrame.isArp(f, 0, f.length));
    }
}
