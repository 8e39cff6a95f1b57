package dev.handoff.agent.link;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The frames one event loop's own socket takes when each loop has one ({@link FlowHash}):
 * every ARP frame (each loop learns its peers' MACs), the unfragmented TCP over IPv4 whose
 * flow hashes onto the loop, and, on loop 0, everything else (which it counts and drops
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
        int other = 25;
        int accept = 26;
        int drop = 27;
        int[][] program = {
            {LD_H_ABS, 0, 0, 12},                            // 0: EtherType
            {JEQ_K, accept - 2, 0, 0x0806},                  // 1: ARP: every loop
            {JEQ_K, 0, other - 3, 0x0800},                   // 2: not IPv4: loop 0
            {LD_B_ABS, 0, 0, 14 + 9},                        // 3: IPv4 protocol
            {JEQ_K, 0, other - 5, 6},                        // 4: not TCP: loop 0
            {LD_H_ABS, 0, 0, 14 + 6},                        // 5: flags and fragment offset
            {JSET_K, other - 7, 0, 0x3fff},                  // 6: a fragment: loop 0
            {LDX_B_MSH, 0, 0, 14},                           // 7: X = IPv4 header length
            {LD_H_IND, 0, 0, 14 + 2},                        // 8: local (destination) port
            {ST, 0, 0, 0},                                   // 9: M[0] = it
            {LD_H_IND, 0, 0, 14},                            // 10: remote (source) port
            {ALU_LSH_K, 0, 0, 16},                           // 11
            {LDX_W_MEM, 0, 0, 0},                            // 12: X = local port
            {ALU_OR_X, 0, 0, 0},                             // 13: A = remote port << 16 | local port
            {MISC_TAX, 0, 0, 0},                             // 14
            {LD_W_ABS, 0, 0, 14 + 12},                       // 15: remote (source) address
            {ALU_XOR_X, 0, 0, 0},                            // 16: A = key
            {MISC_TAX, 0, 0, 0},                             // 17
            {ALU_RSH_K, 0, 0, 16},                           // 18
            {ALU_XOR_X, 0, 0, 0},                            // 19: A = key ^ key >>> 16
            {ALU_MUL_K, 0, 0, FlowHash.MULTIPLIER},          // 20
            {ALU_RSH_K, 0, 0, 16},                           // 21
            {ALU_MUL_K, 0, 0, loops},                        // 22
            {ALU_RSH_K, 0, 0, 16},                           // 23: A = the flow's loop
            {JEQ_K, accept - 25, drop - 25, loop},           // 24: this loop's flow?
            {RET_K, 0, 0, loop == 0 ? ACCEPT : 0},           // 25 (other): loop 0's
            {RET_K, 0, 0, ACCEPT},                           // 26 (accept)
            {RET_K, 0, 0, 0},                                // 27 (drop)
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
        String key = "(ip[12:4] ^ ((tcp[0:2] << 16) | tcp[2:2]))";
        String folded = "(" + key + " ^ (" + key + " >> 16))";
        String product = "(" + folded + " * " + Integer.toUnsignedString(FlowHash.MULTIPLIER) + ")";
        String hash = "(((" + product + " >> 16) * " + loops + ") >> 16)";
        String mine = "(" + unfragmentedTcp + " and " + hash + " = " + loop + ")";
        return loop == 0 ? "(arp or not " + unfragmentedTcp + " or " + mine + ")" : "(arp or " + mine + ")";
    }

    private static void check(int loop, int loops) {
        if (loops < 2 || loop < 0 || loop >= loops) {
            throw new IllegalArgumentException("loop " + loop + " of " + loops + ": a flow filter needs 2 or more loops");
        }
    }
}
