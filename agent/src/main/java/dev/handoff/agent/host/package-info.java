/**
 * A host: owns VIPs on one link, answers ARP for them (and only them), learns peer MACs,
 * demultiplexes IPv4/TCP into the TCP stack, runs the event loop that drives engines,
 * timers and connection drivers. The VIP is never configured on the kernel.
 */
package dev.handoff.agent.host;
