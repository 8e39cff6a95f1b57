package dev.handoff.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.ici.IciSeal;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.Ici;
import dev.handoff.proto.v1.StreamPiece;
import dev.handoff.store.Checkpoint;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Checkpoints the store hands back are opened only when they are what an agent of the cluster
 * wrote for that connection (issue "Security"): each way a store could forge, alter, swap or
 * replay one is refused with its reason.
 */
class CheckpointSealTest {
    /** The cluster's ICI key in the checkpoint tests. */
    static final IciSeal SEAL = IciSeal.withKey(new byte[IciSeal.BYTES]);
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final String ID = "10.9.0.100:7-10.9.0.2:40000";
    static final String OTHER = "10.9.0.100:7-10.9.0.2:40001";

    final CheckpointSeal seal = new CheckpointSeal(SEAL);
    /** Send bytes 1000..1300 of the stream, appended in three pieces; SND.UNA at 1050. */
    final byte[] stream = bytes(1000, 300);
    final List<StreamPiece> pieces = List.of(seal.piece(ID, 1000, Arrays.copyOfRange(stream, 0, 100)),
            seal.piece(ID, 1100, Arrays.copyOfRange(stream, 100, 250)), seal.piece(ID, 1250, Arrays.copyOfRange(stream, 250, 300)));
    final Ici ici = Ici.newBuilder().setFormatVersion(1).setLocalIp(VIP).setStreamOffset(1050).setLeaseEpoch(4).build();

    static byte[] bytes(long from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ((from + i) * 7);
        }
        return b;
    }

    Checkpoint checkpoint(String id, long epoch, byte[] state, byte[] kept) {
        return new Checkpoint(id, VIP, epoch, state, 1000, kept);
    }

    String refusal(Checkpoint cp) {
        return assertThrows(IllegalArgumentException.class, () -> seal.open(cp)).getMessage();
    }

    @Test
    void anIntactCheckpointOpensWithItsSendBytesFromSndUna() {
        Ici opened = seal.open(checkpoint(ID, 4, seal.state(ID, VIP, ici, pieces), stream));
        assertArrayEquals(Arrays.copyOfRange(stream, 50, 300), opened.getSendQueue().toByteArray());
    }

    @Test
    void aForgedCheckpointIsRefused() {
        CheckpointSeal forger = new CheckpointSeal(IciSeal.withKey("another cluster's key, 32 bytes!".getBytes()));
        String why = refusal(checkpoint(ID, 4, forger.state(ID, VIP, ici, pieces), stream));
        assertTrue(why.contains("seal: does not match"), why);
        String unsealed = refusal(checkpoint(ID, 4, new CheckpointSeal(IciSeal.none()).state(ID, VIP, ici, pieces), stream));
        assertTrue(unsealed.contains("seal: missing"), unsealed);
    }

    @Test
    void anAlteredStateIsRefused() {
        byte[] state = seal.state(ID, VIP, ici, pieces);
        state[state.length / 2] ^= 1;
        assertTrue(refusal(checkpoint(ID, 4, state, stream)).contains(ID + " refused"));
    }

    @Test
    void alteredSendBytesAreRefused() {
        byte[] kept = stream.clone();
        kept[120] ^= 1;
        String why = refusal(checkpoint(ID, 4, seal.state(ID, VIP, ici, pieces), kept));
        assertTrue(why.contains("send bytes at 1100..1250: ICI field seal: does not match"), why);
    }

    @Test
    void theStateOfAnotherConnectionIsRefused() {
        String why = refusal(checkpoint(ID, 4, seal.state(OTHER, VIP, ici, pieces), stream));
        assertTrue(why.contains("seal: does not match (checkpoint " + ID), why);
        List<StreamPiece> theirs = List.of(seal.piece(OTHER, 1000, Arrays.copyOfRange(stream, 0, 300)));
        String pieceWhy = refusal(checkpoint(ID, 4, seal.state(ID, VIP, ici, theirs), stream));
        assertTrue(pieceWhy.contains("send bytes at 1000..1300"), "a piece tagged for another connection: " + pieceWhy);
    }

    @Test
    void aStateReplayedUnderAnotherEpochIsRefused() {
        String why = refusal(checkpoint(ID, 9, seal.state(ID, VIP, ici, pieces), stream));
        assertTrue(why.contains("written under lease epoch 4, the store files it under 9"), why);
    }

    @Test
    void piecesThatDoNotHoldSndUnaOrLackBytesAreRefused() {
        String gap = refusal(checkpoint(ID, 4, seal.state(ID, VIP, ici, List.of(pieces.get(0), pieces.get(2))), stream));
        assertTrue(gap.contains("not contiguous at offset 1100"), gap);
        String late = refusal(checkpoint(ID, 4, seal.state(ID, VIP, ici, List.of(pieces.get(1))), stream));
        assertTrue(late.contains("do not hold SND.UNA at 1050"), late);
        String lacking = assertThrows(IllegalArgumentException.class, () -> seal.open(checkpoint(ID, 4,
                seal.state(ID, VIP, ici, pieces), Arrays.copyOf(stream, 200)))).getMessage();
        assertTrue(lacking.contains("lacks send bytes: the store keeps 1000..1200, its state lists 1000..1300"), lacking);
    }

    @Test
    void withoutAKeyNothingIsCheckedAsWithInsecure() {
        CheckpointSeal open = new CheckpointSeal(IciSeal.none());
        Ici opened = open.open(checkpoint(ID, 4, seal.state(OTHER, VIP, ici, pieces), stream));
        assertEquals(250, opened.getSendQueue().size());
    }
}
