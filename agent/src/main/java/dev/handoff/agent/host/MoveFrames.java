package dev.handoff.agent.host;

import dev.handoff.agent.wire.MoveFrame;

/**
 * What an agent does with the move frames it receives (an ICI sent to it over the link, or the
 * answer to one it sent): called on the loop that received the frame, which owns the
 * connection's flow; must not block.
 */
@FunctionalInterface
public interface MoveFrames {
    /** Handles {@code frame} (valid until this returns), sent by the link address {@code sourceMac}. */
    void onMoveFrame(HostLoop loop, MoveFrame frame, long sourceMac);
}
