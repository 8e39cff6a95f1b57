package dev.handoff.store;

/**
 * One change to a connection's checkpoint, for batches ({@link CheckpointStore#write}).
 * Every write names its connection, its VIP and the writer's lease epoch on that VIP.
 */
public sealed interface CheckpointWrite {
    /** The connection, local:port-remote:port. */
    String connectionId();

    /** Its VIP. */
    int vip();

    /** The writer's lease epoch on the VIP (fencing). */
    long epoch();

    /** The connection's state replaced. @param connectionId the connection @param vip its VIP @param epoch lease epoch @param state ICI without queues */
    record State(String connectionId, int vip, long epoch, byte[] state) implements CheckpointWrite {
    }

    /** Send bytes at a stream offset. @param connectionId the connection @param vip its VIP @param epoch lease epoch @param offset stream offset of bytes[0] @param bytes the bytes */
    record Append(String connectionId, int vip, long epoch, long offset, byte[] bytes) implements CheckpointWrite {
    }

    /** Send bytes below an offset dropped (acknowledged). @param connectionId the connection @param vip its VIP @param epoch lease epoch @param offset first offset kept */
    record Trim(String connectionId, int vip, long epoch, long offset) implements CheckpointWrite {
    }

    /** The connection forgotten (it ended). @param connectionId the connection @param vip its VIP @param epoch lease epoch */
    record Delete(String connectionId, int vip, long epoch) implements CheckpointWrite {
    }
}
