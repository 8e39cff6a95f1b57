package dev.handoff.agent.cluster;

import dev.handoff.agent.host.HostEvent;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.HeartbeatRequest;
import dev.handoff.proto.v1.HeartbeatResponse;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Which agents of the cluster live (issue 5 "Fail-over"): every fifth of the failure timeout
 * this agent sends each peer a heartbeat over gRPC, saying which VIPs it serves; a peer
 * heard from neither by its answers nor by its own heartbeats for the failure timeout is
 * taken for dead. After each round the live members are handed to a listener (the
 * {@link Failover}).
 */
public final class Membership implements AutoCloseable {
    /** Not heard from yet. */
    private static final long NEVER = Long.MIN_VALUE;

    /** A peer as configured and as last heard. */
    private static final class Peer {
        /** Its name, as it calls itself. */
        final String name;
        /** Its control API. */
        final AgentServiceGrpc.AgentServiceStub stub;
        /** Local time it was last heard from, ms, or NEVER. */
        volatile long lastHeard = NEVER;
        /** What it last said. */
        volatile MemberStatus status;
        /** Why the last heartbeat to it failed, for the log. */
        volatile String lastError = "never answered";
        /** Whether it counted as alive at the last round (written by the heartbeat thread only). */
        volatile boolean alive;

        Peer(String name, Channel channel) {
            this.name = name;
            this.stub = AgentServiceGrpc.newStub(channel);
        }
    }

    /** This agent's name. */
    private final String self;
    /** What this agent says of itself, asked at each heartbeat. */
    private final Supplier<MemberStatus> selfStatus;
    /** The other agents, by name. */
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    /** Silence after which a peer is taken for dead, ms. */
    private final long failureTimeoutMs;
    /** Monotonic clock, ms. */
    private final LongSupplier clock;
    /** Where peers going down and up are reported. */
    private final EventSink events;
    /** Given the live members (this agent first) after each round. */
    private final Consumer<List<MemberStatus>> onView;
    /** Runs the rounds, once started. */
    private ScheduledExecutorService timer;

    /**
     * @param peerChannels the other agents' control channels by name (each agent's --peers)
     */
    public Membership(String self, Supplier<MemberStatus> selfStatus, Map<String, Channel> peerChannels,
                      long failureTimeoutMs, LongSupplier clock, EventSink events, Consumer<List<MemberStatus>> onView) {
        checkFailureTimeout(failureTimeoutMs);
        checkPeers(self, peerChannels.keySet());
        this.self = self;
        this.selfStatus = selfStatus;
        peerChannels.forEach((name, channel) -> peers.put(name, new Peer(name, channel)));
        this.failureTimeoutMs = failureTimeoutMs;
        this.clock = clock;
        this.events = events;
        this.onView = onView;
    }

    /** Refuses a failure timeout outside 50 ms .. 60 s, naming it. */
    public static void checkFailureTimeout(long ms) {
        if (ms < 50 || ms > 60_000) {
            throw new IllegalArgumentException("failure timeout " + ms + " ms is outside 50..60000 ms");
        }
    }

    /** Refuses a peer list that names this agent itself. */
    public static void checkPeers(String self, java.util.Set<String> peers) {
        if (peers.contains(self)) {
            throw new IllegalArgumentException("--peers names this agent itself (" + self + "): list only the others");
        }
    }

    /** Time between heartbeats, ms: a fifth of the failure timeout. */
    public long heartbeatIntervalMs() {
        return Math.max(10, failureTimeoutMs / 5);
    }

    /** Sends heartbeats every {@link #heartbeatIntervalMs()}. */
    public synchronized void start() {
        if (timer != null) {
            throw new IllegalStateException("membership of " + self + " already started");
        }
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("heartbeat-" + self).daemon().factory());
        timer.scheduleWithFixedDelay(this::roundOrReport, 0, heartbeatIntervalMs(), TimeUnit.MILLISECONDS);
    }

    /** {@link #round}, its failure reported: a round that throws would end every later one (and this agent would fall silent). */
    private void roundOrReport() {
        try {
            round();
        } catch (RuntimeException e) {
            events.report(HostEvent.ERROR, self, "heartbeat round failed, next in " + heartbeatIntervalMs() + " ms: " + e);
        }
    }

    /** One round: who lives now (reported when it changed), the view to the listener, then heartbeats out. */
    void round() {
        long now = clock.getAsLong();
        for (Peer p : peers.values()) {
            long last = p.lastHeard;
            boolean alive = last != NEVER && now - last <= failureTimeoutMs;
            if (alive != p.alive) {
                p.alive = alive;
                if (alive) {
                    events.report(HostEvent.PEER_UP, p.name, "serves " + p.status);
                } else {
                    events.report(HostEvent.PEER_DOWN, p.name, "silent for " + (now - last) + " ms (" + p.lastError + ")");
                }
            }
        }
        onView.accept(view());
        HeartbeatRequest request = HeartbeatRequest.newBuilder().setFrom(selfStatus.get().toProto()).build();
        for (Peer p : peers.values()) {
            p.stub.withDeadlineAfter(failureTimeoutMs, TimeUnit.MILLISECONDS).heartbeat(request, answerFrom(p));
        }
    }

    private StreamObserver<HeartbeatResponse> answerFrom(Peer p) {
        return new StreamObserver<>() {
            @Override
            public void onNext(HeartbeatResponse r) {
                MemberStatus s = MemberStatus.fromProto(r.getStatus());
                if (s.name().equals(p.name)) {
                    hear(p, s);
                } else {
                    String error = "the agent at its address calls itself " + s.name() + ", not " + p.name + ": check --peers";
                    if (!error.equals(p.lastError)) {
                        events.report(HostEvent.ERROR, p.name, error);
                    }
                    p.lastError = error;
                }
            }

            @Override
            public void onError(Throwable t) {
                io.grpc.Status s = io.grpc.Status.fromThrowable(t);
                Throwable cause = s.getCause();
                while (cause != null && cause.getCause() != null) {
                    cause = cause.getCause();
                }
                p.lastError = s.getCode() + (s.getDescription() != null ? ": " + s.getDescription() : "")
                        + (cause != null ? ": " + cause.getMessage() : "");
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    private void hear(Peer p, MemberStatus s) {
        p.status = s;
        p.lastHeard = clock.getAsLong();
    }

    /**
     * A heartbeat from another agent: hearing from a configured peer counts like its answer.
     * Answers with this agent's status.
     */
    public MemberStatus heard(MemberStatus from) {
        Peer p = peers.get(from.name());
        if (p != null) {
            hear(p, from);
        }
        return selfStatus.get();
    }

    /** The live members as of the last round, this agent first. */
    public List<MemberStatus> view() {
        List<MemberStatus> live = new ArrayList<>();
        live.add(selfStatus.get());
        for (Peer p : peers.values()) {
            if (p.alive) {
                live.add(p.status);
            }
        }
        return Collections.unmodifiableList(live);
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
