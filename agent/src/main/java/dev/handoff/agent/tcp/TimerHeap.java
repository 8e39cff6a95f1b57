package dev.handoff.agent.tcp;

import java.util.Arrays;

/**
 * The connections of a stack ordered by when they must next be polled (their {@link
 * TcpConnection#pollAt()}), as an indexed binary min-heap: each connection knows its slot, so
 * a changed deadline is re-placed in O(log n) with no allocation, and the next deadline is
 * read in O(1). Connections with no deadline are not in it.
 */
final class TimerHeap {
    /** The heap: {@code heap[0]} has the earliest deadline. */
    private TcpConnection[] heap = new TcpConnection[64];
    /** Connections in the heap. */
    private int size;

    /** Places {@code c} by its deadline {@code at}, or takes it out when {@code at} is {@code NEVER}. */
    void schedule(TcpConnection c, long at) {
        if (at == TcpConnection.NEVER) {
            remove(c);
            return;
        }
        if (c.timerIndex < 0) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            c.timerAt = at;
            c.timerIndex = size;
            heap[size++] = c;
            up(c.timerIndex);
        } else if (at != c.timerAt) {
            boolean earlier = at < c.timerAt;
            c.timerAt = at;
            if (earlier) {
                up(c.timerIndex);
            } else {
                down(c.timerIndex);
            }
        }
    }

    /** Takes {@code c} out (no-op if it is not in). */
    void remove(TcpConnection c) {
        int i = c.timerIndex;
        if (i < 0) {
            return;
        }
        c.timerIndex = -1;
        TcpConnection last = heap[--size];
        heap[size] = null;
        if (i < size) {
            heap[i] = last;
            last.timerIndex = i;
            up(i);
            down(last.timerIndex);
        }
    }

    /** The earliest deadline, or {@code NEVER} when empty. */
    long next() {
        return size == 0 ? TcpConnection.NEVER : heap[0].timerAt;
    }

    /** Copies every connection due at {@code now} into {@code out}, earliest first not guaranteed. */
    void due(long now, java.util.List<TcpConnection> out) {
        collect(0, now, out);
    }

    private void collect(int i, long now, java.util.List<TcpConnection> out) {
        if (i >= size || heap[i].timerAt > now) {
            return; // a heap: nothing below a later deadline is due
        }
        out.add(heap[i]);
        collect(2 * i + 1, now, out);
        collect(2 * i + 2, now, out);
    }

    /** Connections in the heap. */
    int size() {
        return size;
    }

    private void up(int i) {
        TcpConnection c = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent].timerAt <= c.timerAt) {
                break;
            }
            heap[i] = heap[parent];
            heap[i].timerIndex = i;
            i = parent;
        }
        heap[i] = c;
        c.timerIndex = i;
    }

    private void down(int i) {
        TcpConnection c = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1].timerAt < heap[child].timerAt) {
                child++;
            }
            if (heap[child].timerAt >= c.timerAt) {
                break;
            }
            heap[i] = heap[child];
            heap[i].timerIndex = i;
            i = child;
        }
        heap[i] = c;
        c.timerIndex = i;
    }
}
