/**
 * Who speaks for a VIP (issue 5 "Fail-over"): leases with epochs in the checkpoint store
 * ({@link dev.handoff.agent.cluster.LeaseKeeper}), heartbeats between the agents of a cluster
 * ({@link dev.handoff.agent.cluster.Membership}) and the choice of the one survivor that
 * takes a dead agent's VIP over ({@link dev.handoff.agent.cluster.Failover}).
 */
package dev.handoff.agent.cluster;
