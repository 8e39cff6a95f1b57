package dev.handoff.agent.checkpoint;

/** Which lease epoch this agent writes under for a VIP (fencing, issue 5). */
@FunctionalInterface
public interface LeaseEpochs {
    /** No lease: this agent must not write for (nor speak for) the VIP. */
    long NONE = -1;

    /** The epoch of this agent's lease on {@code vip}, or {@link #NONE}. */
    long epochFor(int vip);
}
