package dev.handoff.agent.tcp;

import dev.handoff.agent.wire.SeqNum;

/**
 * A bounded set of byte ranges in sequence space, kept sorted, disjoint and not
 * adjacent: the receiver's out-of-order queue and the sender's SACK scoreboard.
 * Allocation-free; compares with wrap-aware {@link SeqNum}.
 */
final class SeqRanges {
    /** Left edges. */
    private final int[] left;
    /** Right edges (exclusive). */
    private final int[] right;
    /** Ranges held. */
    private int count;

    SeqRanges(int capacity) {
        this.left = new int[capacity];
        this.right = new int[capacity];
    }

    int count() {
        return count;
    }

    int left(int i) {
        return left[i];
    }

    int right(int i) {
        return right[i];
    }

    void clear() {
        count = 0;
    }

    /** Adding [l, r) would need a slot and none is free. */
    boolean wouldOverflow(int l, int r) {
        if (count < left.length) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            if (SeqNum.le(l, right[i]) && SeqNum.ge(r, left[i])) {
                return false; // touches an existing range: merges without a new slot
            }
        }
        return true;
    }

    /** Adds [l, r), merging what it touches; returns the index of the range holding it, or -1 if full. */
    int add(int l, int r) {
        int i = 0;
        while (i < count && SeqNum.lt(right[i], l)) {
            i++;
        }
        if (i < count && SeqNum.le(left[i], r)) {
            left[i] = SeqNum.min(left[i], l);
            right[i] = SeqNum.max(right[i], r);
            while (i + 1 < count && SeqNum.le(left[i + 1], right[i])) {
                right[i] = SeqNum.max(right[i], right[i + 1]);
                remove(i + 1);
            }
            return i;
        }
        if (count == left.length) {
            return -1;
        }
        System.arraycopy(left, i, left, i + 1, count - i);
        System.arraycopy(right, i, right, i + 1, count - i);
        left[i] = l;
        right[i] = r;
        count++;
        return i;
    }

    /** Removes range {@code i}. */
    void remove(int i) {
        System.arraycopy(left, i + 1, left, i, count - i - 1);
        System.arraycopy(right, i + 1, right, i, count - i - 1);
        count--;
    }

    /** Forgets everything before {@code seq}: whole ranges below it go, a range across it is cut. */
    void dropBelow(int seq) {
        while (count > 0 && SeqNum.le(right[0], seq)) {
            remove(0);
        }
        if (count > 0 && SeqNum.lt(left[0], seq)) {
            left[0] = seq;
        }
    }

    /** The first byte at or after {@code at} that no range holds. */
    int skip(int at) {
        for (int i = 0; i < count; i++) {
            if (SeqNum.le(left[i], at) && SeqNum.lt(at, right[i])) {
                at = right[i];
            }
        }
        return at;
    }

    /** One range holds all of [s, e). */
    boolean covers(int s, int e) {
        for (int i = 0; i < count; i++) {
            if (SeqNum.le(left[i], s) && SeqNum.ge(right[i], e)) {
                return true;
            }
        }
        return false;
    }

    /** Bytes covered. */
    int bytes() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            n += right[i] - left[i];
        }
        return n;
    }
}
