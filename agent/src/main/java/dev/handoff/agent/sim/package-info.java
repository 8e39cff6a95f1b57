/**
 * A deterministic whole-network simulator: TCP stacks exchanging real IPv4 packets over a
 * seeded lossy channel in virtual time. Used by the engine's simulation tests, the
 * engine benchmark and the command-line demo; the same seed gives the same trace.
 */
package dev.handoff.agent.sim;
