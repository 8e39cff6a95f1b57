package dev.handoff.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.handoff.proto.v1.StreamAppend;
import dev.handoff.proto.v1.WriteOp;

/** {@link CheckpointWrite}s to and from the wire's {@link WriteOp}: the one mapping client and server share. */
final class WriteOps {
    private WriteOps() {
    }

    /** The wire form of {@code w}. */
    static WriteOp toProto(CheckpointWrite w) {
        WriteOp.Builder op = WriteOp.newBuilder().setConnectionId(w.connectionId()).setVip(w.vip()).setEpoch(w.epoch());
        switch (w) {
            case CheckpointWrite.State x -> op.setState(ByteString.copyFrom(x.state())).setStateNeedsFrom(x.needsFrom())
                    .setStateNeedsTo(x.needsTo());
            case CheckpointWrite.Append x -> op.setAppend(StreamAppend.newBuilder().setOffset(x.offset())
                    .setData(UnsafeByteOperations.unsafeWrap(x.bytes()))); // given up by the writer: not copied
            case CheckpointWrite.Trim x -> op.setTrimTo(x.offset());
            case CheckpointWrite.Delete x -> op.setDelete(true);
        }
        return op.build();
    }

    /** The write {@code op} asks for; IllegalArgumentException when it names no connection or no operation. */
    static CheckpointWrite fromProto(WriteOp op) {
        String id = op.getConnectionId();
        if (id.isEmpty()) {
            throw new IllegalArgumentException("a write without connection_id");
        }
        return switch (op.getOpCase()) {
            case STATE -> new CheckpointWrite.State(id, op.getVip(), op.getEpoch(), op.getState().toByteArray(),
                    op.getStateNeedsFrom(), op.getStateNeedsTo());
            case APPEND -> new CheckpointWrite.Append(id, op.getVip(), op.getEpoch(), op.getAppend().getOffset(),
                    op.getAppend().getData().toByteArray());
            case TRIM_TO -> new CheckpointWrite.Trim(id, op.getVip(), op.getEpoch(), op.getTrimTo());
            case DELETE -> new CheckpointWrite.Delete(id, op.getVip(), op.getEpoch());
            case OP_NOT_SET -> throw new IllegalArgumentException(
                    "write for " + id + " names no operation (state, append, trim_to, delete)");
        };
    }
}
