package dev.handoff.agent.host;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Frames for next hops whose MAC is not known yet, kept until ARP answers (as Linux keeps
 * an unresolved neighbour's queue) so that a SYN or SYN-ACK to a new peer is not lost and
 * retransmitted a second later. A few frames per address; beyond that they are dropped and
 * TCP recovers.
 */
final class AwaitingArp {
    /** Frames kept per address. */
    static final int PER_ADDRESS = 16;
    /** Addresses with frames waiting at most. */
    static final int ADDRESSES = 1024;

    /** A frame waiting for its destination MAC, with what {@code PacketLink.sendTcp} needs. */
    record Frame(byte[] bytes, int l4Offset, int tcpHeaderLength, int gsoSize) {
    }

    /** Waiting frames by next-hop address. */
    private final Map<Integer, ArrayDeque<Frame>> waiting = new HashMap<>();

    /** Keeps a copy of {@code len} bytes of {@code frame}; false when it was dropped for lack of room. */
    boolean add(int address, byte[] frame, int len, int l4Offset, int tcpHeaderLength, int gsoSize) {
        ArrayDeque<Frame> q = waiting.get(address);
        if (q == null) {
            if (waiting.size() >= ADDRESSES) {
                return false;
            }
            q = new ArrayDeque<>();
            waiting.put(address, q);
        }
        if (q.size() >= PER_ADDRESS) {
            return false;
        }
        q.add(new Frame(Arrays.copyOf(frame, len), l4Offset, tcpHeaderLength, gsoSize));
        return true;
    }

    /** Takes the frames waiting for {@code address} (null if none), oldest first. */
    ArrayDeque<Frame> take(int address) {
        return waiting.isEmpty() ? null : waiting.remove(address);
    }
}
