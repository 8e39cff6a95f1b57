package dev.handoff.agent.link;

/**
 * Which event loop owns a TCP flow: a hash of the peer's address and port and the local
 * port (the key connections are forwarded by; the local address is left out, so a
 * connection keeps its loop whichever VIP it uses). It is made of 32-bit operations a
 * classic BPF program has (xor, multiply, shift), so the kernel can steer each
 * loop's frames to its own socket ({@link FlowFilter}); {@link LinkLanes} computes the same
 * in Java for links without filters, and hosts pick ephemeral ports with it, so every part
 * agrees without a table.
 */
public final class FlowHash {
    /** Fibonacci hashing's multiplier, 2^32 / golden ratio: spreads the key's bits over the high half. */
    static final int MULTIPLIER = 0x9E3779B1;

    private FlowHash() {
    }

    /**
     * The loop, in {@code 0..loops-1}, of the flow {@code remoteIp:remotePort -> *:localPort}:
     * the key (address xor ports) folded onto itself, so that the ports reach its low bits,
     * multiplied (Fibonacci hashing), and the top half of the product scaled to the loop count
     * (its best-mixed bits: every key bit moves bit 31; a modulo of low bits would put all of
     * Linux's even client ports on one loop of two).
     */
    public static int loopOf(int remoteIp, int remotePort, int localPort, int loops) {
        if (loops == 1) {
            return 0;
        }
        int key = remoteIp ^ ((remotePort & 0xffff) << 16 | (localPort & 0xffff));
        int h = (key ^ (key >>> 16)) * MULTIPLIER;
        return ((h >>> 16) * loops) >>> 16;
    }
}
