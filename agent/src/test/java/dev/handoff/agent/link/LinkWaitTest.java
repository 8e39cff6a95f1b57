package dev.handoff.agent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A receive on an idle link returns when the wait it was given is over (the event loop's next
 * timer), not after {@link PacketLink#MAX_WAIT_MILLIS}: the loop has no other thread to wake it.
 * The real links run on one end of a veth pair whose other end sends nothing (needs root, as CI is).
 */
class LinkWaitTest {
    /** The veth made for a test, or null. */
    private Veth veth;

    @AfterEach
    void removeVeth() throws Exception {
        if (veth != null) {
            veth.close();
        }
    }

    @Test
    void aMemorySwitchPortWaitsAsLongAsAsked() {
        PacketLink port = new MemorySwitch().port("a", 0x020000000001L);
        assertWaits(port, 50);
    }

    @Test
    void aLaneWaitsAsLongAsAsked() {
        MemorySwitch sw = new MemorySwitch();
        LinkLanes lanes = LinkLanes.split(sw.port("a", 0x020000000001L), 2);
        try {
            assertWaits(lanes.lane(1), 50);
        } finally {
            lanes.lanes().forEach(PacketLink::close);
        }
    }

    @Test
    void anAfPacketSocketWaitsAsLongAsAsked() throws Exception {
        try (AfPacketLink link = AfPacketLink.open(makeVeth())) {
            assertWaits(link, 50);
        }
    }

    /** libpcap's dispatch waits for its handle's timeout (100 ms) unless the link's alarm breaks it sooner. */
    @Test
    void aPcapHandleReturnsBeforeItsTimeoutWhenAskedTo() throws Exception {
        try (PcapLink link = PcapLink.open(makeVeth(), List.of())) {
            assertWaits(link, 10);
            assertWaits(link, 250); // longer than the handle's timeout: no alarm
            long t0 = System.nanoTime();
            link.receive((b, off, len) -> { }, 5);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 80, "a 5 ms receive took " + ms + " ms: the alarm did not break libpcap's 100 ms wait");
        }
    }

    /** An idle receive asked to wait {@code millis} hands over no frame and returns after that, well before the 1 s cap. */
    private static void assertWaits(PacketLink link, long millis) {
        List<Integer> got = new ArrayList<>();
        long t0 = System.nanoTime();
        link.receive((b, off, len) -> got.add(len), millis);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(List.of(), got, "no frame on an idle link");
        assertTrue(ms >= millis - 2, "returned after " + ms + " ms of a " + millis + " ms wait");
        assertTrue(ms < PacketLink.MAX_WAIT_MILLIS / 2, "returned after " + ms + " ms of a " + millis + " ms wait");
    }

    /** One end of a new veth pair on which nothing ever arrives. */
    private String makeVeth() throws Exception {
        veth = Veth.create("hxwait");
        return veth.end();
    }
}
