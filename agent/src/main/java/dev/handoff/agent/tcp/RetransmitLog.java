package dev.handoff.agent.tcp;

import dev.handoff.agent.wire.SeqNum;

/**
 * The retransmissions of one recovery, each with what had been sent when it left, to find
 * those lost in their turn: a retransmission is lost once the peer SACKs data sent after it,
 * beyond a margin for reordering (as Linux's tcp_mark_lost_retrans() judges it, and RACK,
 * RFC 8985 §6, by time). The hole is then resent at once instead of waiting for the RTO.
 * Bounded; the oldest entry goes when full. Allocation-free.
 */
final class RetransmitLog {
    /** Retransmissions remembered at most. */
    static final int CAPACITY = 128;

    /** First sequence number of each retransmission. */
    private final int[] start = new int[CAPACITY];
    /** Sequence number after each. */
    private final int[] end = new int[CAPACITY];
    /** SND.MAX when each left: SACKed data at or beyond it was sent later. */
    private final int[] sentBefore = new int[CAPACITY];
    /** When each left, ms. */
    private final long[] sentAt = new long[CAPACITY];
    /** Index of the oldest entry. */
    private int head;
    /** Entries held. */
    private int size;

    /** Forgets every entry (the recovery ended). */
    void clear() {
        head = 0;
        size = 0;
    }

    /** Remembers that [s, e) was retransmitted at {@code now}, when SND.MAX was {@code sndMax}. */
    void add(long now, int s, int e, int sndMax) {
        if (size == CAPACITY) {
            head = (head + 1) % CAPACITY;
            size--;
        }
        int i = (head + size) % CAPACITY;
        start[i] = s;
        end[i] = e;
        sentBefore[i] = sndMax;
        sentAt[i] = now;
        size++;
    }

    /**
     * Moves into {@code lost} the retransmissions the peer has shown lost: not acknowledged
     * (below {@code una}), not SACKed, sent at least {@code minAgeMs} ago (a round trip: the
     * SACK of one that arrived may still be on its way, as RACK waits, RFC 8985 §6.2), while
     * SACKed data reaches {@code margin} bytes beyond what had been sent when they left.
     * Forgets those delivered. Returns how many were lost.
     */
    int detect(long now, long minAgeMs, int una, SeqRanges sacked, int margin, SeqRanges lost) {
        int n = sacked.count();
        int highest = n == 0 ? una : sacked.right(n - 1);
        int found = 0;
        int kept = 0;
        for (int k = 0; k < size; k++) {
            int i = (head + k) % CAPACITY;
            int s = SeqNum.max(start[i], una);
            int e = end[i];
            if (SeqNum.le(e, s) || sacked.covers(s, e)) {
                continue; // delivered
            }
            if (SeqNum.ge(highest, sentBefore[i] + margin) && now - sentAt[i] >= minAgeMs) {
                lost.add(s, e);
                found++;
                continue;
            }
            int j = (head + kept) % CAPACITY;
            start[j] = start[i];
            end[j] = e;
            sentBefore[j] = sentBefore[i];
            sentAt[j] = sentAt[i];
            kept++;
        }
        size = kept;
        return found;
    }

    /** Entries held (for tests). */
    int size() {
        return size;
    }
}
