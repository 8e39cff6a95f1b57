package dev.handoff.agent.link;

import dev.handoff.agent.wire.Bytes;
import dev.handoff.agent.wire.MoveFrame;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One link shared by several event loops, as a NIC's receive queues share a port: a
 * dispatcher thread receives every frame and queues it on the lane of the loop that owns
 * its flow ({@link FlowHash}: TCP over IPv4 by peer address, peer port and local port);
 * ARP goes to every lane (each loop learns its peers' MACs), a move frame to its connection's
 * lane, anything else to lane 0.
 * Lanes send through the shared link one at a time. The link closes with the last lane.
 */
public final class LinkLanes {
    /** Frames queued on one lane at most; more are dropped, as a full NIC ring drops (TCP recovers). */
    static final int LANE_CAPACITY = 8192;
    /** Frames one {@link PacketLink#receive} of a lane hands over at most. */
    private static final int BATCH = 64;
    /** EtherTypes and the IPv4 protocol number steered here. */
    private static final int TYPE_IPV4 = 0x0800;
    private static final int TYPE_ARP = 0x0806;
    private static final int PROTOCOL_TCP = 6;
    /** Offset of the IPv4 header in an untagged Ethernet frame. */
    private static final int IP = 14;

    /** The shared link. */
    private final PacketLink link;
    /** One lane per loop. */
    private final Lane[] lanes;
    /** Lanes not yet closed. */
    private final AtomicInteger open;
    /** Frames dropped because their lane was full. */
    private final AtomicInteger laneDrops = new AtomicInteger();
    /** Receives from the shared link and steers frames to lanes. */
    private final Thread dispatcher;
    /** Set once the shared link is closed. */
    private volatile boolean closed;
    /** What stopped the dispatcher, or null: every lane's receive throws it on. */
    private volatile RuntimeException failure;

    private LinkLanes(PacketLink link, int count) {
        this.link = link;
        this.lanes = new Lane[count];
        for (int i = 0; i < count; i++) {
            lanes[i] = new Lane(i);
        }
        this.open = new AtomicInteger(count);
        this.dispatcher = Thread.ofPlatform().name("link-" + link.name() + "-dispatch").daemon().unstarted(this::dispatch);
    }

    /** {@code count} lanes (at least 2) over {@code link}; their dispatcher runs from now on. */
    public static LinkLanes split(PacketLink link, int count) {
        if (count < 2) {
            throw new IllegalArgumentException("lanes of a link: " + count + " asked for, at least 2 needed (one loop uses the link itself)");
        }
        LinkLanes l = new LinkLanes(link, count);
        l.dispatcher.start();
        return l;
    }

    /** Lane {@code index}: the link as loop {@code index} sees it. */
    public PacketLink lane(int index) {
        return lanes[index];
    }

    /** Every lane, in index order. */
    public List<PacketLink> lanes() {
        return List.of(lanes);
    }

    /** Frames dropped so far because their lane was full (its loop fell behind). */
    public long drops() {
        return laneDrops.get();
    }

    private void dispatch() {
        FrameReceiver steer = this::steer;
        try {
            while (!closed) {
                link.receive(steer, PacketLink.MAX_WAIT_MILLIS);
            }
        } catch (RuntimeException e) {
            failure = e;
            closed = true;
            for (Lane l : lanes) {
                l.wakeup();
            }
        }
    }

    /** Queues one frame on the lane (or lanes) it belongs to. */
    private void steer(byte[] buf, int off, int len) {
        int type = len >= IP ? Bytes.u16(buf, off + 12) : -1;
        if (type == TYPE_ARP) {
            for (Lane l : lanes) {
                l.offer(Arrays.copyOfRange(buf, off, off + len));
            }
            return;
        }
        int lane = type == TYPE_IPV4 ? laneOfTcp(buf, off, len) : type == MoveFrame.TYPE ? laneOfMove(buf, off, len) : 0;
        lanes[lane].offer(Arrays.copyOfRange(buf, off, off + len));
    }

    /** The lane of a move frame: that of the connection it is about (the flow in its header), or 0 if too short. */
    private int laneOfMove(byte[] buf, int off, int len) {
        int flow = off + IP + MoveFrame.FLOW_OFFSET;
        if (len < IP + MoveFrame.FLOW_OFFSET + 8) {
            return 0;
        }
        return FlowHash.loopOf(Bytes.i32(buf, flow), Bytes.u16(buf, flow + 4), Bytes.u16(buf, flow + 6), lanes.length);
    }

    /** The lane of an IPv4 frame: its TCP flow's, or 0 for fragments, other protocols and short frames. */
    private int laneOfTcp(byte[] buf, int off, int len) {
        int ip = off + IP;
        if (len < IP + 20) {
            return 0;
        }
        int headerLength = (buf[ip] & 0x0f) * 4;
        boolean fragment = (Bytes.u16(buf, ip + 6) & 0x3fff) != 0; // more-fragments flag or an offset
        if (buf[ip + 9] != PROTOCOL_TCP || fragment || len < IP + headerLength + 4) {
            return 0;
        }
        int tcp = ip + headerLength;
        return FlowHash.loopOf(Bytes.i32(buf, ip + 12), Bytes.u16(buf, tcp), Bytes.u16(buf, tcp + 2), lanes.length);
    }

    /** One loop's view of the shared link. */
    private final class Lane implements PacketLink {
        /** Its index: the loop it feeds. */
        private final int index;
        /** Frames steered here, copied, oldest first. */
        private final ArrayBlockingQueue<byte[]> frames = new ArrayBlockingQueue<>(LANE_CAPACITY);
        /** The thread parked in {@link #receive}, or null. */
        private volatile Thread waiter;
        /** {@link #wakeup} was called and {@link #receive} has not returned since. */
        private volatile boolean woken;
        /** This lane is closed. */
        private volatile boolean laneClosed;

        Lane(int index) {
            this.index = index;
        }

        void offer(byte[] frame) {
            if (!frames.offer(frame)) {
                laneDrops.incrementAndGet();
                return;
            }
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }

        @Override
        public void receive(FrameReceiver receiver, long waitMillis) {
            byte[] f = frames.poll();
            if (f == null) {
                waiter = Thread.currentThread();
                long until = System.nanoTime() + Math.clamp(waitMillis, 0, MAX_WAIT_MILLIS) * 1_000_000;
                for (long left; (f = frames.poll()) == null && !woken && !laneClosed && !closed
                        && (left = until - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(this, left);
                }
                waiter = null;
            }
            woken = false;
            RuntimeException failed = failure;
            if (f == null && failed != null) {
                throw new LinkException("link " + link.name() + " failed: " + failed.getMessage(), failed);
            }
            for (int n = 0; f != null; f = ++n < BATCH ? frames.poll() : null) {
                receiver.frame(f, 0, f.length);
            }
        }

        @Override
        public void send(byte[] frame, int off, int len) {
            synchronized (link) {
                link.send(frame, off, len);
            }
        }

        @Override
        public void sendTcp(byte[] frame, int off, int len, int l4Offset, int tcpHeaderLength, int gsoSize) {
            synchronized (link) {
                link.sendTcp(frame, off, len, l4Offset, tcpHeaderLength, gsoSize);
            }
        }

        @Override
        public int maxTcpPayload() {
            return link.maxTcpPayload();
        }

        @Override
        public boolean offloadsChecksum() {
            return link.offloadsChecksum();
        }

        @Override
        public void wakeup() {
            woken = true;
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }

        @Override
        public long mac() {
            return link.mac();
        }

        @Override
        public String name() {
            return link.name() + "#" + index;
        }

        @Override
        public void close() {
            if (laneClosed) {
                return;
            }
            laneClosed = true;
            wakeup();
            if (open.decrementAndGet() == 0) {
                closed = true;
                link.close();
                for (Lane l : lanes) {
                    l.wakeup();
                }
            }
        }
    }
}
