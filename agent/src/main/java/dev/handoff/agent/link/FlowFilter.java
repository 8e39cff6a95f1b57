package dev.handoff.agent.link;

import dev.handoff.agent.wire.EthernetFrame;
import dev.handoff.agent.wire.MoveFrame;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The frames one event loop's own socket takes when each loop has one ({@link FlowHash}):
 * every ARP frame (each loop learns its peers' MACs), the unfragmented TCP over IPv4 and the
 * move frames ({@link MoveFrame}) whose flow hashes onto the loop, and, on loop 0, everything else (which it counts and drops
 * or answers). As a classic BPF program for an AF_PACKET socket ({@code SO_ATTACH_FILTER})
 * and as a libpcap filter expression: the kernel steers frames as a NIC's receive-side
 * scaling does, without a dispatcher thread and without copies.
 */
public final class FlowFilter {
    /** Classic BPF opcodes (linux/filter.h). */
    private static final int LD_H_ABS = 0x28;
    private static final int LD_B_ABS = 0x30;
    private static final int LD_W_ABS = 0x20;
    private static final int LD_H_IND = 0x48;
    private static final int LDX_B_MSH = 0xb1;
    private static final int LDX_W_MEM = 0x61;
    private static final int ST = 0x02;
    private static final int ALU_LSH_K = 0x64;
    private static final int ALU_OR_X = 0x4c;
    private static final int ALU_XOR_X = 0xac;
    private static final int ALU_MUL_K = 0x24;
    private static final int ALU_RSH_K = 0x74;
    private static final int MISC_TAX = 0x07;
    private static final int JEQ_K = 0x15;
    private static final int JSET_K = 0x45;
    private static final int JA = 0x05;
    private static final int RET_K = 0x06;
    /** Bytes of a frame a socket keeps: all of it (a 64 KB GRO packet and its headers). */
    private static final int ACCEPT = 262_144;
    /** Length of one struct sock_filter. */
    public static final int INSTRUCTION_BYTES = 8;

    private FlowFilter() {
    }

    /**
     * The classic BPF program of loop {@code loop} of {@code loops}, as the kernel reads an
     * array of struct sock_filter {u16 code; u8 jt; u8 jf; u32 k} (native byte order).
     */
    public static byte[] bpf(int loop, int loops) {
        check(loop, loops);
        int move = 19;
        int hash = 28;
        int other = 36;
        int accept = 37;
        int drop = 38;
        int flow = EthernetFrame.HEADER_LENGTH + MoveFrame.FLOW_OFFSET;
        int[][] program = {
            {LD_H_ABS, 0, 0, 12},                            // 0: EtherType
            {JEQ_K, accept - 2, 0, 0x0806},                  // 1: ARP: every loop
            {JEQ_K, move - 3, 0, MoveFrame.TYPE},            // 2: a move frame: its connection's loop
            {JEQ_K, 0, other - 4, 0x0800},                   // 3: not IPv4: loop 0
            {LD_B_ABS, 0, 0, 14 + 9},                        // 4: IPv4 protocol
            {JEQ_K, 0, other - 6, 6},                        // 5: not TCP: loop 0
            {LD_H_ABS, 0, 0, 14 + 6},                        // 6: flags and fragment offset
            {JSET_K, other - 8, 0, 0x3fff},                  // 7: a fragment: loop 0
            {LDX_B_MSH, 0, 0, 14},                           // 8: X = IPv4 header length
            {LD_H_IND, 0, 0, 14 + 2},                        // 9: local (destination) port
            {ST, 0, 0, 0},                                   // 10: M[0] = it
            {LD_H_IND, 0, 0, 14},                            // 11: remote (source) port
            {ALU_LSH_K, 0, 0, 16},                           // 12
            {LDX_W_MEM, 0, 0, 0},                            // 13: X = local port
            {ALU_OR_X, 0, 0, 0},                             // 14: A = remote port << 16 | local port
            {MISC_TAX, 0, 0, 0},                             // 15
            {LD_W_ABS, 0, 0, 14 + 12},                       // 16: remote (source) address
            {ALU_XOR_X, 0, 0, 0},                            // 17: A = key
            {JA, 0, 0, hash - 19},                           // 18
            {LD_H_ABS, 0, 0, flow + 6},                      // 19 (move): its flow's local port
            {ST, 0, 0, 0},                                   // 20: M[0] = it
            {LD_H_ABS, 0, 0, flow + 4},                      // 21: remote port
            {ALU_LSH_K, 0, 0, 16},                           // 22
            {LDX_W_MEM, 0, 0, 0},                            // 23: X = local port
            {ALU_OR_X, 0, 0, 0},                             // 24: A = remote port << 16 | local port
            {MISC_TAX, 0, 0, 0},                             // 25
            {LD_W_ABS, 0, 0, flow},                          // 26: remote address
            {ALU_XOR_X, 0, 0, 0},                            // 27: A = key
            {MISC_TAX, 0, 0, 0},                             // 28 (hash)
            {ALU_RSH_K, 0, 0, 16},                           // 29
            {ALU_XOR_X, 0, 0, 0},                            // 30: A = key ^ key >>> 16
            {ALU_MUL_K, 0, 0, FlowHash.MULTIPLIER},          // 31
            {ALU_RSH_K, 0, 0, 16},                           // 32
            {ALU_MUL_K, 0, 0, loops},                        // 33
            {ALU_RSH_K, 0, 0, 16},                           // 34: A = the flow's loop
            {JEQ_K, accept - 36, drop - 36, loop},           // 35: this loop's flow?
            {RET_K, 0, 0, loop == 0 ? ACCEPT : 0},           // 36 (other): loop 0's
            {RET_K, 0, 0, ACCEPT},                           // 37 (accept)
            {RET_K, 0, 0, 0},                                // 38 (drop)
        };
        ByteBuffer b = ByteBuffer.allocate(program.length * INSTRUCTION_BYTES).order(ByteOrder.nativeOrder());
        for (int[] i : program) {
            b.putShort((short) i[0]).put((byte) i[1]).put((byte) i[2]).putInt(i[3]);
        }
        return b.array();
    }

    /** The same selection as a libpcap filter expression, to be and-ed with the link's own. */
    public static String pcapExpression(int loop, int loops) {
        check(loop, loops);
        String unfragmentedTcp = "(tcp and ip[6:2] & 0x3fff = 0)";
        String hash = hash("(ip[12:4] ^ ((tcp[0:2] << 16) | tcp[2:2]))", loops);
        String mine = "(" + unfragmentedTcp + " and " + hash + " = " + loop + ")";
        int flow = EthernetFrame.HEADER_LENGTH + MoveFrame.FLOW_OFFSET;
        String moveKey = "(ether[" + flow + ":4] ^ ((ether[" + (flow + 4) + ":2] << 16) | ether[" + (flow + 6) + ":2]))";
        String move = "ether proto 0x" + Integer.toHexString(MoveFrame.TYPE);
        String mineMove = "(" + move + " and " + hash(moveKey, loops) + " = " + loop + ")";
        return loop == 0 ? "(arp or (not " + unfragmentedTcp + " and not " + move + ") or " + mine + " or " + mineMove + ")"
                : "(arp or " + mine + " or " + mineMove + ")";
    }

    /** The loop of a flow with {@code key} ({@link FlowHash}) as a libpcap expression. */
    private static String hash(String key, int loops) {
        String folded = "(" + key + " ^ (" + key + " >> 16))";
        String product = "(" + folded + " * " + Integer.toUnsignedString(FlowHash.MULTIPLIER) + ")";
        return "(((" + product + " >> 16) * " + loops + ") >> 16)";
    }

    private static void check(int loop, int loops) {
        if (loops < 2 || loop < 0 || loop >= loops) {
            throw new IllegalArgumentException("loop " + loop + " of " + loops + ": a flow filter needs 2 or more loops");
        }
    }
}
