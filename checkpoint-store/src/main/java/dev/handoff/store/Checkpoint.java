package dev.handoff.store;

/**
 * The last durable state of one connection: its ICI without the send queue ({@code state}),
 * and the unacknowledged bytes of its send stream, kept apart so that checkpoints grow with
 * new bytes rather than with buffer sizes.
 *
 * @param connectionId the connection, local:port-remote:port
 * @param vip          the VIP it belongs to
 * @param epoch        the lease epoch of the VIP owner that wrote it
 * @param state        the serialized ICI with an empty send queue
 * @param streamStart  stream offset of the first byte of {@code stream}
 * @param stream       the send bytes from {@code streamStart} on, not yet acknowledged
 */
public record Checkpoint(String connectionId, int vip, long epoch, byte[] state, long streamStart, byte[] stream) {
    /** Stream offset one past the last byte kept. */
    public long streamEnd() {
        return streamStart + stream.length;
    }
}
