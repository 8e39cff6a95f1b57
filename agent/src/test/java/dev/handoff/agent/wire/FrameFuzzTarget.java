package dev.handoff.agent.wire;

import dev.handoff.agent.tcp.SegmentSink;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpStack;
import java.util.SplittableRandom;

/**
 * Fuzz target (Jazzer, {@code fuzzerTestOneInput}) of everything a hostile LAN can put in a
 * frame: the Ethernet, ARP, IPv4 and TCP views, then the TCP engine itself, listening on the
 * destination and fed the segment with and without a checksum check, answering into a sink.
 * Any exception other than {@link MalformedPacketException} is a finding.
 */
public final class FrameFuzzTarget {
    /** Address and port the stack listens on. */
    static final int LOCAL = Ipv4Address.parse("10.9.0.100");

    private FrameFuzzTarget() {
    }

    /** One input: a whole Ethernet frame. */
    public static void fuzzerTestOneInput(byte[] frame) {
        try {
            EthernetFrame eth = new EthernetFrame(frame, 0, frame.length);
            if (eth.etherType() == EthernetFrame.TYPE_ARP) {
                ArpPacket arp = new ArpPacket(frame, eth.payloadOffset(), eth.payloadLength());
                long sum = arp.operation() + arp.senderMac() + arp.senderIp() + arp.targetMac() + arp.targetIp();
                consume(sum);
                return;
            }
            Ipv4Packet ip = new Ipv4Packet(frame, eth.payloadOffset(), eth.payloadLength());
            if (ip.protocol() != Ipv4Packet.PROTOCOL_TCP) {
                return;
            }
            TcpSegment seg = new TcpSegment().wrap(frame, ip.payloadOffset(), ip.payloadLength(), ip.source(), LOCAL, false);
            long sum = seg.mss() + seg.windowScale() + seg.tsVal() + seg.tsEcr() + seg.window() + seg.segmentLength();
            for (int i = 0; i < seg.sackCount(); i++) {
                sum += seg.sackLeft(i) + seg.sackRight(i);
            }
            consume(sum);
            TcpStack stack = new TcpStack(TcpConfig.defaults(), new SplittableRandom(1));
            if (seg.destinationPort() != 0) {
                stack.listen(LOCAL, seg.destinationPort()); // port 0 is refused by listen itself
            }
            stack.onSegment(1000, seg);
            TcpConnection c = seg.destinationPort() == 0 ? null : stack.accept(seg.destinationPort());
            Sink sink = new Sink();
            for (TcpConnection each : stack.connections()) {
                stack.poll(1001, each, sink);
            }
            consume(c == null ? 0 : c.state().ordinal());
        } catch (MalformedPacketException e) {
            // refused as it should be
        }
    }

    /** Keeps the JIT from dropping what was read. */
    private static void consume(long v) {
        if (v == 0x5eed_5eed_5eedL) {
            System.out.print("");
        }
    }

    /** Takes whatever the stack emits. */
    private static final class Sink implements SegmentSink {
        /** Room for a segment. */
        private final byte[] buf = new byte[70_000];

        @Override
        public byte[] buffer() {
            return buf;
        }

        @Override
        public void send(int sourceIp, int destinationIp, int len, int gsoSize) {
            consume(len);
        }
    }
}
