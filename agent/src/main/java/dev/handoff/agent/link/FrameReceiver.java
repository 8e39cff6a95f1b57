package dev.handoff.agent.link;

/** Takes frames from a link, on the thread that called {@link PacketLink#receive}. */
@FunctionalInterface
public interface FrameReceiver {
    /** One Ethernet frame (no FCS); the bytes are valid during the call only. */
    void frame(byte[] buf, int off, int len);
}
