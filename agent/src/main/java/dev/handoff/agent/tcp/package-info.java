/**
 * The TCP engine: pure, sans-IO, deterministic (DESIGN.md "Rules of the TCP engine").
 *
 * <p>No threads, no clocks, no I/O, no hidden randomness: every entry point takes
 * {@code now} in milliseconds, and ISNs, timestamp offsets and ephemeral ports come from
 * an injected {@link java.util.random.RandomGenerator}. A connection is driven by one
 * thread at a time. This package imports nothing from the rest of the agent but
 * {@code wire}, nothing from gRPC, nothing from pcap4j.
 */
package dev.handoff.agent.tcp;
