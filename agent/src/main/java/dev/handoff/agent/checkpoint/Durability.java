package dev.handoff.agent.checkpoint;

import dev.handoff.agent.cluster.LeaseKeeper;

/**
 * An agent's checkpointing parts, for its control API.
 *
 * @param checkpointer checkpoints its connections
 * @param resurrector  brings dead agents' connections here
 * @param leases       its leases on VIPs
 */
public record Durability(Checkpointer checkpointer, Resurrector resurrector, LeaseKeeper leases) {
}
