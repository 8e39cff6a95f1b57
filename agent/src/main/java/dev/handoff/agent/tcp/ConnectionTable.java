package dev.handoff.agent.tcp;

import java.util.ArrayList;
import java.util.List;

/**
 * Connections by 4-tuple: an open-addressing hash table (linear probing, backward-shift
 * deletion) so that demultiplexing a segment allocates nothing, plus a dense list for
 * iteration in insertion order (deterministic polling).
 */
final class ConnectionTable {
    /** Slots; null is empty. Length is a power of two. */
    private TcpConnection[] slots = new TcpConnection[64];
    /** Every connection, for iteration; a connection knows its index. */
    private final List<TcpConnection> all = new ArrayList<>();

    /** Connections held. */
    int size() {
        return all.size();
    }

    /** The connection at iteration index {@code i}. */
    TcpConnection get(int i) {
        return all.get(i);
    }

    /** A read-only view of every connection. */
    List<TcpConnection> list() {
        return java.util.Collections.unmodifiableList(all);
    }

    private static int hash(int localIp, int localPort, int remoteIp, int remotePort) {
        long k = ((long) remoteIp << 32) ^ ((long) remotePort << 16) ^ localPort ^ ((long) localIp * 0x9E3779B97F4A7C15L);
        k *= 0xbf58476d1ce4e5b9L;
        k ^= k >>> 31;
        return (int) k;
    }

    private static boolean matches(TcpConnection c, int localIp, int localPort, int remoteIp, int remotePort) {
        return c.localPort() == localPort && c.remotePort() == remotePort
                && c.remoteIp() == remoteIp && c.localIp() == localIp;
    }

    /** The connection with this 4-tuple, or null. */
    TcpConnection find(int localIp, int localPort, int remoteIp, int remotePort) {
        int mask = slots.length - 1;
        for (int i = hash(localIp, localPort, remoteIp, remotePort) & mask; ; i = (i + 1) & mask) {
            TcpConnection c = slots[i];
            if (c == null || matches(c, localIp, localPort, remoteIp, remotePort)) {
                return c;
            }
        }
    }

    /** Adds a connection whose 4-tuple is not present. */
    void add(TcpConnection c) {
        if ((all.size() + 1) * 2 > slots.length) {
            grow();
        }
        insert(c);
        c.tableIndex = all.size();
        all.add(c);
    }

    private void insert(TcpConnection c) {
        int mask = slots.length - 1;
        int i = hash(c.localIp(), c.localPort(), c.remoteIp(), c.remotePort()) & mask;
        while (slots[i] != null) {
            i = (i + 1) & mask;
        }
        slots[i] = c;
    }

    private void grow() {
        TcpConnection[] old = slots;
        slots = new TcpConnection[old.length * 2];
        for (TcpConnection c : old) {
            if (c != null) {
                insert(c);
            }
        }
    }

    /** Removes a connection that is present. */
    void remove(TcpConnection c) {
        int mask = slots.length - 1;
        int i = hash(c.localIp(), c.localPort(), c.remoteIp(), c.remotePort()) & mask;
        while (slots[i] != c) {
            i = (i + 1) & mask;
        }
        // Backward-shift deletion keeps every probe chain unbroken without tombstones.
        int hole = i;
        for (int j = (i + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
            TcpConnection moved = slots[j];
            int home = hash(moved.localIp(), moved.localPort(), moved.remoteIp(), moved.remotePort()) & mask;
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                slots[hole] = moved;
                hole = j;
            }
        }
        slots[hole] = null;
        int idx = c.tableIndex;
        TcpConnection last = all.removeLast();
        if (last != c) {
            all.set(idx, last);
            last.tableIndex = idx;
        }
        c.tableIndex = -1;
    }
}
