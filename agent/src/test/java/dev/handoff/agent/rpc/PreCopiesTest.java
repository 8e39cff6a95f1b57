package dev.handoff.agent.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.handoff.agent.ici.InvalidIciException;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.Ici;
import org.junit.jupiter.api.Test;

/** The destination's store of pre-copied send bytes, alone: stretches, limits, ageing, splicing. */
class PreCopiesTest {
    static final String ID = "10.0.0.100:80-10.0.0.2:5000";

    /** A clock the test moves. */
    long now = 1_000;
    final PreCopies copies = new PreCopies(() -> now);

    static ByteString bytes(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        return ByteString.copyFrom(b);
    }

    /** An ICI of connection {@link #ID} with SND.UNA at {@code una}, leaving out {@code precopied} bytes. */
    static Ici ici(long una, long precopied, ByteString queue) {
        return Ici.newBuilder().setLocalIp(Ipv4Address.parse("10.0.0.100")).setLocalPort(80)
                .setRemoteIp(Ipv4Address.parse("10.0.0.2")).setRemotePort(5000).setStreamOffset(una)
                .setSendPrecopied(precopied).setSendQueue(queue).build();
    }

    @Test
    void overlappingCallsExtendOneStretchAndTheSpliceRestoresTheQueue() throws Exception {
        assertEquals(new SendPreCopy.Held(100, 200), copies.add(ID, 100, bytes(100, 100)));
        assertEquals(new SendPreCopy.Held(100, 300), copies.add(ID, 150, bytes(150, 150)), "overlap: only the new part is kept");
        assertEquals(new SendPreCopy.Held(100, 350), copies.add(ID, 300, bytes(300, 50)), "right after: appended");
        assertEquals(250, copies.bytes());
        // At the freeze SND.UNA had reached 180; the ICI left out 170 bytes (to 350) and carries 10 more.
        Ici whole = copies.splice(ici(180, 170, bytes(350, 10)));
        assertEquals(0, whole.getSendPrecopied());
        assertEquals(bytes(180, 180), whole.getSendQueue());
        assertEquals(0, copies.bytes(), "taken by the import");
    }

    @Test
    void aCallAfterAGapStartsANewStretch() {
        copies.add(ID, 0, bytes(0, 100));
        assertEquals(new SendPreCopy.Held(500, 600), copies.add(ID, 500, bytes(500, 100)));
        assertEquals(100, copies.bytes());
    }

    @Test
    void anIciLeavingOutBytesNotHeldIsRefusedNamingTheField() {
        copies.add(ID, 100, bytes(100, 100));
        InvalidIciException e = assertThrows(InvalidIciException.class, () -> copies.splice(ici(150, 100, ByteString.EMPTY)));
        assertEquals("send_precopied", e.field());
        assertTrue(e.getMessage().contains("held: 100 to 200"), e.getMessage());
        InvalidIciException none = assertThrows(InvalidIciException.class, () -> copies.splice(ici(0, 10, ByteString.EMPTY)));
        assertTrue(none.getMessage().contains("no pre-copy of " + ID), none.getMessage());
    }

    @Test
    void anIciSentTwiceSplicesTwiceWithinTheImportDeadlines() throws Exception {
        copies.add(ID, 100, bytes(100, 100));
        Ici first = copies.splice(ici(100, 100, ByteString.EMPTY));
        assertEquals(0, copies.bytes(), "no longer counted: it went into an import");
        assertEquals(first, copies.splice(ici(100, 100, ByteString.EMPTY)), "over the link, then over Import: the same");
    }

    @Test
    void anIciLeavingOutNothingPassesAndFreesWhatWasHeld() throws Exception {
        copies.add(ID, 100, bytes(100, 100));
        Ici ici = ici(100, 0, bytes(100, 10));
        assertSame(ici, copies.splice(ici));
        assertEquals(0, copies.bytes());
    }

    @Test
    void limitsRefuseAndStaleStretchesAge() {
        for (int i = 0; i < PreCopies.MAX_CONNECTIONS; i++) {
            copies.add("10.0.0.100:80-10.0.0.2:" + i, 0, bytes(0, 1));
        }
        IllegalStateException full = assertThrows(IllegalStateException.class, () -> copies.add(ID, 0, bytes(0, 1)));
        assertTrue(full.getMessage().contains("64 connections"), full.getMessage());
        now += PreCopies.MAX_AGE_MS + 1;
        copies.add(ID, 0, bytes(0, 1)); // the others were never taken: gone
        assertEquals(1, copies.bytes());
        ByteString big = ByteString.copyFrom(new byte[(int) (PreCopies.MAX_BYTES / 2)]);
        copies.add("a", 0, big);
        assertThrows(IllegalStateException.class, () -> copies.add("b", 0, big));
    }

    @Test
    void aCancelledMoveDropsItsStretch() {
        copies.add(ID, 0, bytes(0, 100));
        copies.drop(ID);
        assertEquals(0, copies.bytes());
        assertEquals(new SendPreCopy.Held(0, 10), copies.add(ID, 0, bytes(0, 10)));
    }
}
