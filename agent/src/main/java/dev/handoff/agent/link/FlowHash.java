package dev.handoff.agent.link;

/**
 * Which event loop owns a TCP flow: a hash of the peer's address and port and the local
 * port (the key connections are forwarded by; the local address is left out, so a
 * connection keeps its loop whichever VIP it uses). {@link LinkLanes} steers inbound frames
 * with it and hosts pick ephemeral ports with it, so both ends agree without a table.
 */
public final class FlowHash {
    private FlowHash() {
    }

    /** The loop, in {@code 0..loops-1}, of the flow {@code remoteIp:remotePort -> *:localPort}. */
    public static int loopOf(int remoteIp, int remotePort, int localPort, int loops) {
        if (loops == 1) {
            return 0;
        }
        long h = ((long) remoteIp << 32) | ((long) (remotePort & 0xffff) << 16) | (localPort & 0xffff);
        h ^= h >>> 33; // MurmurHash3's fmix64: every input bit moves every output bit
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) Long.remainderUnsigned(h, loops);
    }
}
