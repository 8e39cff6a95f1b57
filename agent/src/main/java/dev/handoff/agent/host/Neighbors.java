package dev.handoff.agent.host;

/**
 * IPv4 address to MAC address, learned from ARP and from the frames peers send. An
 * open-addressing table so that looking up the next hop of every segment allocates nothing.
 */
final class Neighbors {
    /** Marks an empty slot (0.0.0.0 is never a neighbour). */
    private static final int EMPTY = 0;
    /** Addresses; EMPTY is free. */
    private int[] keys = new int[64];
    /** MACs, parallel to {@link #keys}. */
    private long[] macs = new long[64];
    /** Entries held. */
    private int size;

    /** The MAC of {@code ip}, or -1 when unknown. */
    long get(int ip) {
        int mask = keys.length - 1;
        for (int i = mix(ip) & mask; ; i = (i + 1) & mask) {
            if (keys[i] == ip) {
                return macs[i];
            }
            if (keys[i] == EMPTY) {
                return -1;
            }
        }
    }

    /** Records (or updates) the MAC of {@code ip}. */
    void put(int ip, long mac) {
        if (ip == EMPTY) {
            return;
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        int i = mix(ip) & mask;
        while (keys[i] != EMPTY && keys[i] != ip) {
            i = (i + 1) & mask;
        }
        if (keys[i] == EMPTY) {
            size++;
        }
        keys[i] = ip;
        macs[i] = mac;
    }

    /** Entries held. */
    int size() {
        return size;
    }

    private void grow() {
        int[] oldKeys = keys;
        long[] oldMacs = macs;
        keys = new int[oldKeys.length * 2];
        macs = new long[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                put(oldKeys[i], oldMacs[i]);
            }
        }
    }

    private static int mix(int ip) {
        int h = ip * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
