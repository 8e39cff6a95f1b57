package dev.handoff.agent.checkpoint;

import dev.handoff.agent.cluster.LeaseKeeper;
import dev.handoff.agent.cluster.Membership;

/**
 * An agent's checkpointing parts, for its control API.
 *
 * @param checkpointer checkpoints its connections
 * @param resurrector  brings dead agents' connections here
 * @param leases       its leases on VIPs
 * @param membership   its cluster's heartbeats, or null when it has no peers
 */
public record Durability(Checkpointer checkpointer, Resurrector resurrector, LeaseKeeper leases, Membership membership) {
}
