package dev.handoff.agent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.handoff.agent.wire.EthernetFrame;
import dev.handoff.agent.wire.Ipv4Packet;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.agent.wire.MoveFrame;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * Each loop's filter takes exactly its frames: the TCP flows and move frames {@link FlowHash}
 * maps to it, every ARP frame, and on loop 0 the rest. The classic BPF program runs in a small interpreter of
 * the opcodes it uses (the kernel's semantics: loads past the end drop the frame); the
 * libpcap expression is compiled and run by libpcap itself.
 */
class FlowFilterTest {
    static final long HOST = MacAddress.parse("02:00:00:00:00:0a");
    static final long PEER = MacAddress.parse("02:00:00:00:00:02");

    /** A frame and the loops (of {@code loops}) that must take it. */
    record Case(String what, byte[] frame, List<Integer> takers) {
    }

    static byte[] ipv4(int protocol, int source, int headerWords, int fragmentField, int sourcePort, int destinationPort) {
        int ihl = headerWords * 4;
        byte[] f = new byte[EthernetFrame.HEADER_LENGTH + ihl + 20];
        int p = EthernetFrame.writeHeader(f, 0, HOST, PEER, EthernetFrame.TYPE_IPV4);
        Ipv4Packet.writeHeader(f, p, source, 0x0a090064, protocol, 20);
        f[p] = (byte) (0x40 | headerWords); // options (zeros) when more than 5 words
        f[p + 6] = (byte) (fragmentField >> 8);
        f[p + 7] = (byte) fragmentField;
        f[p + ihl] = (byte) (sourcePort >> 8);
        f[p + ihl + 1] = (byte) sourcePort;
        f[p + ihl + 2] = (byte) (destinationPort >> 8);
        f[p + ihl + 3] = (byte) destinationPort;
        return f;
    }

    static List<Case> cases(int loops) {
        SplittableRandom r = new SplittableRandom(loops);
        List<Case> out = new ArrayList<>();
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < loops; i++) {
            all.add(i);
        }
        for (int k = 0; k < 300; k++) {
            int source = r.nextInt();
            int sourcePort = r.nextInt(65536);
            int destinationPort = k % 3 == 0 ? 80 : r.nextInt(65536);
            int words = k % 5 == 0 ? 6 : 5;
            out.add(new Case("tcp " + k, ipv4(6, source, words, k % 2 == 0 ? 0x4000 : 0, sourcePort, destinationPort),
                    List.of(FlowHash.loopOf(source, sourcePort, destinationPort, loops))));
        }
        for (int k = 0; k < 100; k++) {
            int remote = r.nextInt();
            int remotePort = r.nextInt(65536);
            int localPort = r.nextInt(65536);
            out.add(new Case("move frame " + k, MoveFrame.write(HOST, PEER, 1 + k % 2, remote, remotePort, localPort, k,
                    new byte[32], new byte[6 + k]), List.of(FlowHash.loopOf(remote, remotePort, localPort, loops))));
        }
        byte[] shortMove = new byte[EthernetFrame.HEADER_LENGTH + 4];
        EthernetFrame.writeHeader(shortMove, 0, HOST, PEER, MoveFrame.TYPE);
        out.add(new Case("move frame cut short", shortMove, List.of()));
        out.add(new Case("fragment", ipv4(6, 1, 5, 0x2000, 1, 2), List.of(0)));
        out.add(new Case("later fragment", ipv4(6, 1, 5, 0x0010, 1, 2), List.of(0)));
        out.add(new Case("udp", ipv4(17, 1, 5, 0, 1, 2), List.of(0)));
        byte[] arp = new byte[42];
        EthernetFrame.writeHeader(arp, 0, MacAddress.BROADCAST, PEER, EthernetFrame.TYPE_ARP);
        out.add(new Case("arp", arp, all));
        byte[] ipv6 = new byte[60];
        EthernetFrame.writeHeader(ipv6, 0, HOST, PEER, 0x86dd);
        out.add(new Case("ipv6", ipv6, List.of(0)));
        return out;
    }

    @Test
    void theKernelProgramTakesEachLoopsFrames() {
        for (int loops = 2; loops <= 4; loops++) {
            for (int loop = 0; loop < loops; loop++) {
                byte[] program = FlowFilter.bpf(loop, loops);
                for (Case c : cases(loops)) {
                    assertEquals(c.takers().contains(loop), run(program, c.frame()) != 0,
                            c.what() + " on loop " + loop + " of " + loops);
                }
            }
        }
    }

    @Test
    void theLibpcapExpressionTakesEachLoopsFrames() throws Exception {
        for (int loops = 2; loops <= 4; loops++) {
            for (int loop = 0; loop < loops; loop++) {
                BpfProgram p = Pcaps.compileFilter(65535, DataLinkType.EN10MB, FlowFilter.pcapExpression(loop, loops),
                        BpfProgram.BpfCompileMode.OPTIMIZE, (Inet4Address) Inet4Address.getByName("255.255.255.255"));
                try {
                    for (Case c : cases(loops)) {
                        assertEquals(c.takers().contains(loop), p.applyFilter(c.frame()),
                                c.what() + " on loop " + loop + " of " + loops);
                    }
                } finally {
                    p.free();
                }
            }
        }
    }

    @Test
    void oneLoopNeedsNoFilter() {
        assertThrows(IllegalArgumentException.class, () -> FlowFilter.bpf(0, 1));
        assertThrows(IllegalArgumentException.class, () -> FlowFilter.pcapExpression(2, 2));
    }

    /** Runs classic BPF {@code program} over {@code frame} as the kernel does; the bytes kept (0: dropped). */
    static int run(byte[] program, byte[] frame) {
        ByteBuffer code = ByteBuffer.wrap(program).order(ByteOrder.nativeOrder());
        ByteBuffer pkt = ByteBuffer.wrap(frame); // network order
        int a = 0;
        int x = 0;
        int[] mem = new int[16];
        for (int pc = 0; ; pc++) {
            int op = code.getShort(pc * 8) & 0xffff;
            int jt = code.get(pc * 8 + 2) & 0xff;
            int jf = code.get(pc * 8 + 3) & 0xff;
            int k = code.getInt(pc * 8 + 4);
            try {
                switch (op) {
                    case 0x20 -> a = pkt.getInt(k);
                    case 0x28 -> a = pkt.getShort(k) & 0xffff;
                    case 0x30 -> a = pkt.get(k) & 0xff;
                    case 0x48 -> a = pkt.getShort(x + k) & 0xffff;
                    case 0xb1 -> x = (pkt.get(k) & 0x0f) * 4;
                    case 0x61 -> x = mem[k];
                    case 0x02 -> mem[k] = a;
                    case 0x64 -> a <<= k;
                    case 0x74 -> a >>>= k;
                    case 0x4c -> a |= x;
                    case 0xac -> a ^= x;
                    case 0x24 -> a *= k;
                    case 0x94 -> a = Integer.remainderUnsigned(a, k);
                    case 0x07 -> x = a;
                    case 0x15 -> pc += a == k ? jt : jf;
                    case 0x45 -> pc += (a & k) != 0 ? jt : jf;
                    case 0x05 -> pc += k;
                    case 0x06 -> {
                        return k;
                    }
                    default -> throw new AssertionError("opcode 0x" + Integer.toHexString(op) + " at " + pc + " not known here");
                }
            } catch (IndexOutOfBoundsException e) {
                return 0; // the kernel drops a frame a load runs past
            }
        }
    }
}
