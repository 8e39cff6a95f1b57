package dev.handoff.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.HeartbeatRequest;
import dev.handoff.proto.v1.HeartbeatResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two agents heartbeating over (in-process) gRPC: each sees the other, and its death within the failure timeout. */
class MembershipTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final long TIMEOUT_MS = 300;

    final List<String> events = new CopyOnWriteArrayList<>();
    final List<List<MemberStatus>> viewsOfA = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> toClose = new ArrayList<>();

    /** A control API that answers heartbeats only, as an agent's does. */
    static final class HeartbeatOnly extends AgentServiceGrpc.AgentServiceImplBase {
        /** Who answers. */
        volatile Membership membership;

        @Override
        public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
            MemberStatus me = membership.heard(MemberStatus.fromProto(request.getFrom()));
            out.onNext(HeartbeatResponse.newBuilder().setStatus(me.toProto()).build());
            out.onCompleted();
        }
    }

    Server serve(String name, HeartbeatOnly service) throws Exception {
        Server s = InProcessServerBuilder.forName("membership-" + name).directExecutor().addService(service).build().start();
        toClose.add(s::shutdownNow);
        return s;
    }

    ManagedChannel channel(String name) {
        ManagedChannel c = InProcessChannelBuilder.forName("membership-" + name).directExecutor().build();
        toClose.add(c::shutdownNow);
        return c;
    }

    Membership member(String self, String peer, String peerAddress, int[] vips, java.util.function.Consumer<List<MemberStatus>> onView) {
        Membership m = new Membership(self, () -> new MemberStatus(self, vips, true), Map.of(peer, channel(peerAddress)),
                TIMEOUT_MS, () -> System.nanoTime() / 1_000_000, (kind, subject, detail) -> events.add(self + ": " + kind + " "
                + subject + " " + detail), onView);
        toClose.add(m);
        return m;
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    @Test
    void eachSeesTheOtherAndTheDeathOfTheOtherWithinTheFailureTimeout() throws Exception {
        HeartbeatOnly aService = new HeartbeatOnly();
        HeartbeatOnly bService = new HeartbeatOnly();
        serve("a", aService);
        Server bServer = serve("b", bService);
        Membership a = member("a", "b", "b", new int[0], viewsOfA::add);
        Membership b = member("b", "a", "a", new int[] {VIP}, v -> { });
        aService.membership = a;
        bService.membership = b;
        a.start();
        b.start();
        awaitView(v -> v.size() == 2 && v.get(1).name().equals("b") && v.get(1).serves(VIP));
        awaitEvent("b: peer-up a serves a[]"); // b hears from a on its own schedule, maybe a heartbeat later

        b.close(); // b dies: no more heartbeats from it, and none answered
        bServer.shutdownNow();
        long died = System.nanoTime();
        awaitView(v -> v.size() == 1);
        long detectedMs = (System.nanoTime() - died) / 1_000_000;
        assertTrue(detectedMs <= TIMEOUT_MS + 2 * a.heartbeatIntervalMs() + 100, "detected after " + detectedMs + " ms");
        assertTrue(events.stream().anyMatch(e -> e.startsWith("a: peer-down b silent for")), events.toString());
    }

    @Test
    void aPeerAnsweringUnderAnotherNameIsNotCountedAsThatPeer() throws Exception {
        HeartbeatOnly cService = new HeartbeatOnly();
        serve("c", cService);
        cService.membership = member("c", "a", "nowhere", new int[0], v -> { });
        Membership a = member("a", "b", "c", new int[0], viewsOfA::add); // --peers says b is where c runs
        a.start();
        Thread.sleep(3 * TIMEOUT_MS);
        assertTrue(viewsOfA.stream().allMatch(v -> v.size() == 1), viewsOfA.toString());
        assertEquals(List.of(), events.stream().filter(e -> e.contains("peer-up")).toList());
        assertEquals(List.of("a: error b the agent at its address calls itself c, not b: check --peers"), events,
                "said once");
    }

    @Test
    void aRoundThatFailsIsReportedAndTheHeartbeatsGoOn() throws Exception {
        java.util.concurrent.atomic.AtomicInteger rounds = new java.util.concurrent.atomic.AtomicInteger();
        Membership a = member("a", "b", "b", new int[0], v -> {
            if (rounds.incrementAndGet() == 1) {
                throw new IllegalStateException("test: the view's listener failed");
            }
        });
        a.start();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (rounds.get() < 3) {
            assertTrue(System.nanoTime() < deadline, "rounds stopped after " + rounds.get() + ": " + events);
            Thread.sleep(5);
        }
        assertTrue(events.stream().anyMatch(e -> e.startsWith("a: error a heartbeat round failed")
                && e.contains("the view's listener failed")), events.toString());
    }

    private void awaitEvent(String event) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!events.contains(event)) {
            assertTrue(System.nanoTime() < deadline, "no '" + event + "' in " + events);
            Thread.sleep(5);
        }
    }

    private void awaitView(Predicate<List<MemberStatus>> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (viewsOfA.isEmpty() || !wanted.test(viewsOfA.getLast())) {
            assertTrue(System.nanoTime() < deadline, "views of a: " + viewsOfA);
            Thread.sleep(5);
        }
    }
}
