package dev.handoff.agent.link;

import java.util.concurrent.locks.LockSupport;

/**
 * Wakes a link whose receive cannot be told how long to wait (libpcap's dispatch waits for its
 * handle's fixed timeout): armed before each receive with its deadline, disarmed after. It
 * wakes the link only when the deadline comes before the receive has returned, and its thread
 * hears of a new deadline only when it is sooner than the one it sleeps until.
 */
final class LinkAlarm {
    /** No deadline. */
    private static final long NEVER = Long.MAX_VALUE;

    /** What it wakes. */
    private final PacketLink link;
    /** When to wake the link, in System.nanoTime() ns; NEVER when disarmed. */
    private volatile long deadline = NEVER;
    /** The deadline its thread sleeps until; it reads {@link #deadline} again after setting this, before parking. */
    private volatile long sleepingUntil = NEVER;
    /** Its thread, started at the first {@link #arm}; null before. */
    private volatile Thread thread;
    /** Set by {@link #stop}. */
    private volatile boolean stopped;

    LinkAlarm(PacketLink link) {
        this.link = link;
    }

    /** Wakes the link at System.nanoTime() {@code at} unless disarmed first. */
    void arm(long at) {
        deadline = at;
        Thread t = thread;
        if (t == null) {
            start();
        } else if (at < sleepingUntil) {
            LockSupport.unpark(t);
        }
    }

    /** Forgets the deadline: the receive it guarded has returned. */
    void disarm() {
        deadline = NEVER;
    }

    /** Ends its thread. */
    void stop() {
        stopped = true;
        deadline = NEVER;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private synchronized void start() {
        if (thread == null && !stopped) {
            Thread t = new Thread(this::run, link.name() + "-alarm");
            t.setDaemon(true);
            thread = t;
            t.start();
        }
    }

    private void run() {
        while (!stopped) {
            long d = deadline;
            long now = System.nanoTime();
            if (d - now <= 0) {
                deadline = NEVER;
                link.wakeup();
            } else {
                sleepingUntil = d;
                if (deadline == d && !stopped) { // armed sooner meanwhile: arm() may not have seen d
                    LockSupport.parkNanos(this, Math.min(d - now, PacketLink.MAX_WAIT_MILLIS * 1_000_000));
                }
                sleepingUntil = NEVER;
            }
        }
    }
}
