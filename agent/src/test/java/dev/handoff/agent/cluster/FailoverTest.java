package dev.handoff.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.store.StaleEpochException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Who takes an orphaned VIP over, and when. */
class FailoverTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");

    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Integer> taken = new CopyOnWriteArrayList<>();
    final List<Failover> failovers = new ArrayList<>();

    static MemberStatus member(String name, boolean storeReachable, int... vips) {
        return new MemberStatus(name, vips, storeReachable);
    }

    Failover failover(String self, Failover.VipTaker taker) {
        Failover f = new Failover(self, taker, (kind, subject, detail) -> events.add(kind + " " + subject + " " + detail),
                () -> System.nanoTime() / 1_000_000);
        failovers.add(f);
        return f;
    }

    Failover.VipTaker takes() {
        return vip -> {
            taken.add(vip);
            return CompletableFuture.completedFuture(3);
        };
    }

    @AfterEach
    void stop() {
        failovers.forEach(Failover::close);
    }

    @Test
    void everyMemberChoosesTheSameSurvivorWhateverTheOrderOfItsView() {
        List<MemberStatus> members = new ArrayList<>(List.of(member("a", true), member("b", true), member("c", true),
                member("d", true)));
        String first = Failover.survivor(VIP, members);
        for (int i = 0; i < 10; i++) {
            Collections.shuffle(members, new java.util.Random(i));
            assertEquals(first, Failover.survivor(VIP, members));
        }
    }

    @Test
    void theVipsOfADeadAgentSpreadOverTheSurvivors() {
        List<MemberStatus> members = List.of(member("a", true), member("b", true), member("c", true));
        Map<String, Integer> count = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            count.merge(Failover.survivor(VIP + i, members), 1, Integer::sum);
        }
        assertEquals(3, count.size(), count.toString());
        count.values().forEach(n -> assertTrue(n > 60, count.toString()));
    }

    @Test
    void anAgentThatCannotReachTheStoreIsNeverChosen() {
        for (int i = 0; i < 50; i++) {
            assertEquals("b", Failover.survivor(VIP + i, List.of(member("a", false), member("b", true))));
        }
        assertNull(Failover.survivor(VIP, List.of(member("a", false))));
    }

    @Test
    void aVipServedByALiveMemberIsLeftAlone() throws Exception {
        Failover f = failover("b", takes());
        f.onView(List.of(member("b", true), member("a", true, VIP)));
        f.onView(List.of(member("b", true), member("a", true, VIP)));
        Thread.sleep(100);
        assertTrue(taken.isEmpty(), events.toString());
    }

    @Test
    void theSoleSurvivorTakesOverTheVipOfADeadMember() throws Exception {
        Failover f = failover("b", takes());
        f.onView(List.of(member("b", true), member("a", true, VIP)));
        f.onView(List.of(member("b", true))); // a died
        awaitEvent("taken over with 3 connections");
        assertEquals(List.of(VIP), taken);
        assertTrue(events.getFirst().contains("served by a, which is dead"), events.toString());
    }

    @Test
    void theSurvivorWaitsWhileTheOldLeaseRuns() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        Failover f = failover("b", vip -> {
            if (tries.incrementAndGet() < 5) {
                throw new StaleEpochException("a holds the lease for 80 more ms");
            }
            return CompletableFuture.completedFuture(1);
        });
        f.onView(List.of(member("b", true), member("a", true, VIP)));
        f.onView(List.of(member("b", true)));
        awaitEvent("taken over with 1 connections");
        assertEquals(5, tries.get());
    }

    @Test
    void aTakeOverStopsWhenTheOldOwnerServesTheVipAgain() throws Exception {
        Failover f = failover("b", vip -> {
            throw new StaleEpochException("a's lease runs");
        });
        f.onView(List.of(member("b", true), member("a", true, VIP)));
        f.onView(List.of(member("b", true)));
        Thread.sleep(60);
        f.onView(List.of(member("b", true), member("a", true, VIP))); // it was only slow
        awaitEvent("left to a");
    }

    @Test
    void aMemberNotChosenDoesNothing() throws Exception {
        List<MemberStatus> after = List.of(member("b", true), member("c", true));
        String chosen = Failover.survivor(VIP, after);
        String other = chosen.equals("b") ? "c" : "b";
        Failover f = failover(other, takes());
        f.onView(List.of(member(other, true), member("a", true, VIP), member(chosen, true)));
        f.onView(after);
        Thread.sleep(100);
        assertTrue(taken.isEmpty(), events.toString());
    }

    @Test
    void aFailedTakeOverIsReportedAndTriedAgainLater() throws Exception {
        Failover f = failover("b", vip -> CompletableFuture.failedFuture(new IllegalArgumentException("checkpoint unreadable")));
        f.onView(List.of(member("b", true), member("a", true, VIP)));
        f.onView(List.of(member("b", true)));
        awaitEvent("checkpoint unreadable; trying again in 1000 ms");
        int before = events.size();
        f.onView(List.of(member("b", true)));
        Thread.sleep(100);
        assertEquals(before, events.size(), "backing off: " + events);
    }

    private void awaitEvent(String text) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (events.stream().noneMatch(e -> e.contains(text))) {
            assertTrue(System.nanoTime() < deadline, "no event with '" + text + "' in " + events);
            Thread.sleep(5);
        }
    }
}
