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

    /**
     * The connection's state replaced, if the store keeps the send bytes it needs.
     *
     * @param connectionId the connection
     * @param vip          its VIP
     * @param epoch        lease epoch
     * @param state        ICI without queues
     * @param needsFrom    first stream offset of the send bytes the state lists
     * @param needsTo      end of them (equal to {@code needsFrom}: it needs none)
     */
    record State(String connectionId, int vip, long epoch, byte[] state, long needsFrom, long needsTo)
            implements CheckpointWrite {
        /** A state that needs no send bytes. */
        public State(String connectionId, int vip, long epoch, byte[] state) {
            this(connectionId, vip, epoch, state, 0, 0);
        }

        /** Checks the range. */
        public State {
            if (needsFrom < 0 || needsTo < needsFrom) {
                throw new IllegalArgumentException("a state needing stream bytes [" + needsFrom + ", " + needsTo + ") of "
                        + connectionId + ": not a range");
            }
        }
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
