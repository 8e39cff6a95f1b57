/** Who speaks for a VIP: leases with epochs in the checkpoint store (issue 5 "Fail-over"). */
package dev.handoff.agent.cluster;
