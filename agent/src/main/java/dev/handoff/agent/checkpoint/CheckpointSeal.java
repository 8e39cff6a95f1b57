package dev.handoff.agent.checkpoint;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.agent.ici.InvalidIciException;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.CheckpointBody;
import dev.handoff.proto.v1.Ici;
import dev.handoff.proto.v1.SealedCheckpoint;
import dev.handoff.proto.v1.StreamPiece;
import dev.handoff.store.Checkpoint;
import java.util.List;

/**
 * Checkpoints the store cannot forge (issue "Security"): the state an agent writes is its ICI
 * plus the list of the send-byte pieces it appended, each piece tagged and the whole sealed
 * with the cluster's ICI key for that connection and VIP. Resurrection opens a checkpoint only
 * when the seal, every tag and the pieces' order and extent check out, and uses no byte no
 * piece covers.
 */
final class CheckpointSeal {
    /** The cluster's ICI key (or none). */
    private final IciSeal seal;

    CheckpointSeal(IciSeal seal) {
        this.seal = seal;
    }

    /** What the seal of {@code connectionId}'s checkpoints covers besides their bytes. */
    static String purpose(String connectionId, int vip) {
        return "checkpoint " + connectionId + " vip=" + Ipv4Address.format(vip);
    }

    /** A piece of {@code connectionId}'s send stream at {@code offset}, tagged. */
    StreamPiece piece(String connectionId, long offset, byte[] bytes) {
        return StreamPiece.newBuilder().setOffset(offset).setLength(bytes.length)
                .setTag(seal.seal("piece " + connectionId + " " + offset, UnsafeByteOperations.unsafeWrap(bytes))).build();
    }

    /** The state record of a checkpoint: {@code ici} and {@code pieces}, sealed for {@code connectionId} on {@code vip}. */
    byte[] state(String connectionId, int vip, Ici ici, List<StreamPiece> pieces) {
        ByteString body = CheckpointBody.newBuilder().setIci(ici).addAllPieces(pieces).build().toByteString();
        return SealedCheckpoint.newBuilder().setBody(body).setSeal(seal.seal(purpose(connectionId, vip), body)).build()
                .toByteArray();
    }

    /**
     * The ICI of checkpoint {@code cp}, its send queue from SND.UNA filled from the pieces its
     * state lists; IllegalArgumentException naming the connection and what does not check out.
     */
    Ici open(Checkpoint cp) {
        String id = cp.connectionId();
        CheckpointBody body;
        try {
            SealedCheckpoint sealed = SealedCheckpoint.parseFrom(cp.state());
            seal.check(purpose(id, cp.vip()), sealed.getBody(), sealed.getSeal());
            body = CheckpointBody.parseFrom(sealed.getBody());
        } catch (InvalidProtocolBufferException e) {
            throw refused(cp, "its state is not a sealed checkpoint: " + e.getMessage());
        } catch (InvalidIciException e) {
            throw refused(cp, e.getMessage());
        }
        Ici state = body.getIci();
        if (state.getLeaseEpoch() != cp.epoch()) {
            throw refused(cp, "its state was written under lease epoch " + state.getLeaseEpoch()
                    + ", the store files it under " + cp.epoch() + " (a state replayed under another epoch)");
        }
        long una = state.getStreamOffset();
        if (body.getPiecesCount() == 0) {
            return state; // nothing kept beyond SND.UNA: a deterministic application regenerates it
        }
        long first = body.getPieces(0).getOffset();
        long end = first;
        for (StreamPiece p : body.getPiecesList()) {
            if (p.getOffset() != end) {
                throw refused(cp, "its send pieces are not contiguous at offset " + end);
            }
            end += p.getLength();
        }
        if (first > una || end < una) {
            throw refused(cp, "its send pieces " + first + ".." + end + " do not hold SND.UNA at " + una);
        }
        if (cp.streamStart() > first || cp.streamEnd() < end) {
            throw new IllegalArgumentException("checkpoint of " + id + " lacks send bytes: the store keeps "
                    + cp.streamStart() + ".." + cp.streamEnd() + ", its state lists " + first + ".." + end + " ("
                    + Ipv4Address.format(cp.vip()) + ", epoch " + cp.epoch() + ")");
        }
        for (StreamPiece p : body.getPiecesList()) {
            ByteString bytes = UnsafeByteOperations.unsafeWrap(cp.stream(), (int) (p.getOffset() - cp.streamStart()),
                    p.getLength()); // only read, to check its tag
            try {
                seal.check("piece " + id + " " + p.getOffset(), bytes, p.getTag());
            } catch (InvalidIciException e) {
                throw refused(cp, "send bytes at " + p.getOffset() + ".." + (p.getOffset() + p.getLength()) + ": " + e.getMessage());
            }
        }
        ByteString queue = ByteString.copyFrom(cp.stream(), (int) (una - cp.streamStart()), (int) (end - una));
        return state.toBuilder().setSendQueue(queue).build();
    }

    private static IllegalArgumentException refused(Checkpoint cp, String why) {
        return new IllegalArgumentException("checkpoint of " + cp.connectionId() + " refused ("
                + Ipv4Address.format(cp.vip()) + ", epoch " + cp.epoch() + "): " + why);
    }
}
