package dev.handoff.agent.sim;

import dev.handoff.agent.link.Faults;
import dev.handoff.agent.tcp.SegmentSink;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpStack;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.Ipv4Packet;
import dev.handoff.agent.wire.MalformedPacketException;
import dev.handoff.agent.wire.TcpSegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Stacks joined by a seeded faulty channel, driven in virtual time. Packets are real
 * IPv4 datagrams: every hop builds and parses headers and checksums.
 */
public final class SimNetwork {
    /** Something to see each packet as it is delivered (for audits and traces). */
    @FunctionalInterface
    public interface Observer {
        /** Called for each packet seen; {@code seg} is valid during the call only. */
        void delivered(long now, TcpSegment seg);
    }

    /** A packet on the wire. @param at delivery time @param order tie-breaker @param bytes the IPv4 datagram */
    private record InFlight(long at, long order, byte[] bytes) {
    }

    /** The channel's randomness. */
    private final SplittableRandom random;
    /** What the channel does to packets. */
    private final Faults faults;
    /** Seed of the stacks' own randomness (ISNs, offsets, ports). */
    private final long seed;
    /** Stacks by address. */
    private final Map<Integer, TcpStack> hosts = new LinkedHashMap<>();
    /** Packets on the wire, by delivery time then send order. */
    private final PriorityQueue<InFlight> wire = new PriorityQueue<>((a, b) ->
            a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    /** Observers of delivered packets. */
    private final List<Observer> observers = new ArrayList<>();
    /** Observers of packets as they are sent, before the channel touches them. */
    private final List<Observer> senders = new ArrayList<>();
    /** Reused view for sent segments. */
    private final TcpSegment sentView = new TcpSegment();
    /** Where stacks write segments: after room for the IPv4 header. */
    private final byte[] scratch = new byte[65_536];
    /** The stacks' output, wrapped into IPv4 and put on the channel. */
    private final SegmentSink sink = new SegmentSink() {
        @Override
        public byte[] buffer() {
            return scratch;
        }

        @Override
        public int offset() {
            return Ipv4Packet.MIN_HEADER_LENGTH;
        }

        @Override
        public void send(int sourceIp, int destinationIp, int len, int gsoSize) {
            transmit(sourceIp, destinationIp, scratch, Ipv4Packet.MIN_HEADER_LENGTH, len);
        }
    };
    /** Reused view for delivery. */
    private final Ipv4Packet ip = new Ipv4Packet();
    /** Reused view for delivery. */
    private final TcpSegment tcp = new TcpSegment();
    /** Virtual time, ms. */
    private long now;
    /** Packets sent so far (tie-breaker). */
    private long sent;
    /** Packets dropped by the channel. */
    private long dropped;
    /** Packets the receiver's parser refused (corrupted). */
    private long malformed;

    /** A network whose channel and stacks are seeded by {@code seed}. */
    public SimNetwork(long seed, Faults faults) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        this.faults = faults;
    }

    /** Adds a host with its own stack at {@code ip}. */
    public TcpStack addHost(int ip, TcpConfig config) {
        if (hosts.containsKey(ip)) {
            throw new IllegalArgumentException("host " + Ipv4Address.format(ip) + " exists already");
        }
        TcpStack stack = new TcpStack(config, new SplittableRandom(seed * 31 + ip));
        hosts.put(ip, stack);
        return stack;
    }

    /**
     * Puts a new stack at {@code ip} in place of the one there (an endpoint moving to
     * another host that takes over the address); returns the new stack, empty.
     */
    public TcpStack replaceHost(int ip, TcpConfig config, long stackSeed) {
        if (!hosts.containsKey(ip)) {
            throw new IllegalArgumentException("no host at " + Ipv4Address.format(ip) + " to replace");
        }
        TcpStack stack = new TcpStack(config, new SplittableRandom(stackSeed));
        hosts.put(ip, stack);
        return stack;
    }

    /** Adds an observer of delivered packets. */
    public void observe(Observer o) {
        observers.add(o);
    }

    /** Adds an observer of segments in the order they are sent (before loss and reordering). */
    public void observeSent(Observer o) {
        senders.add(o);
    }

    /** Virtual time, ms. */
    public long now() {
        return now;
    }

    /** Packets dropped by the channel. */
    public long dropped() {
        return dropped;
    }

    /** Packets the parser refused. */
    public long malformed() {
        return malformed;
    }

    /** Packets sent by all stacks. */
    public long sent() {
        return sent;
    }

    /**
     * Polls every stack, then advances to the next event (a delivery or a timer) and
     * handles it. Returns false when nothing will ever happen again.
     */
    public boolean step() {
        pollAll();
        long next = TcpConnection.NEVER;
        for (TcpStack s : hosts.values()) {
            next = Math.min(next, s.pollAt());
        }
        if (!wire.isEmpty()) {
            next = Math.min(next, wire.peek().at);
        }
        if (next == TcpConnection.NEVER) {
            return false;
        }
        now = Math.max(now, next);
        while (!wire.isEmpty() && wire.peek().at <= now) {
            TcpStack to = deliver(wire.poll().bytes);
            if (to != null) {
                // As a host handling packets one by one: its ACKs (one per two segments, RFC 5681
                // §4.2) leave between the packets of a burst, not as one stretch ACK after it.
                to.poll(now, sink);
            }
        }
        return true;
    }

    /** Polls every stack at the current time (after the application wrote, read or closed). */
    public void pollAll() {
        for (TcpStack s : hosts.values()) {
            s.poll(now, sink);
        }
    }

    private void transmit(int src, int dst, byte[] segment, int off, int len) {
        sent++;
        if (!senders.isEmpty()) {
            try {
                sentView.wrap(segment, off, len, src, dst);
            } catch (MalformedPacketException e) {
                throw new IllegalStateException("a stack emitted a malformed segment: " + e.getMessage(), e);
            }
            for (Observer o : senders) {
                o.delivered(now, sentView);
            }
        }
        if (random.nextDouble() < faults.loss()) {
            dropped++;
            return;
        }
        byte[] packet = new byte[Ipv4Packet.MIN_HEADER_LENGTH + len];
        Ipv4Packet.writeHeader(packet, 0, src, dst, Ipv4Packet.PROTOCOL_TCP, len);
        System.arraycopy(segment, off, packet, Ipv4Packet.MIN_HEADER_LENGTH, len);
        int copies = random.nextDouble() < faults.duplicate() ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            byte[] p = i == 0 ? packet : packet.clone();
            if (random.nextDouble() < faults.corrupt()) {
                p[random.nextInt(p.length)] ^= (byte) (1 + random.nextInt(255));
            }
            long at = now + faults.delayMs();
            if (faults.jitterMs() > 0 && random.nextDouble() < faults.reorder()) {
                at += 1 + random.nextLong(faults.jitterMs());
            }
            wire.add(new InFlight(at, sent * 2 + i, p));
        }
    }

    /** Hands {@code packet} to its stack; returns that stack, or null if the packet went nowhere. */
    private TcpStack deliver(byte[] packet) {
        try {
            ip.wrap(packet, 0, packet.length);
            if (ip.protocol() != Ipv4Packet.PROTOCOL_TCP) {
                malformed++;
                return null;
            }
            tcp.wrap(packet, ip.payloadOffset(), ip.payloadLength(), ip.source(), ip.destination());
        } catch (MalformedPacketException e) {
            malformed++;
            return null;
        }
        TcpStack dst = hosts.get(ip.destination());
        if (dst == null) {
            dropped++;
            return null;
        }
        for (Observer o : observers) {
            o.delivered(now, tcp);
        }
        dst.onSegment(now, tcp);
        return dst;
    }
}
