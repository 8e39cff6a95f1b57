package dev.handoff.agent.ici;

import dev.handoff.agent.tcp.TcpConfig;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * What this agent can take: its buffer limits, the addresses it owns or may own, and the
 * applications it serves.
 *
 * @param config       the local TCP settings (buffer limits, out-of-order capacity)
 * @param ownable      true for a local address this agent owns or may take
 * @param applications names of the handlers served here
 * @param maxAppState  largest application state accepted, bytes
 */
public record IciLimits(TcpConfig config, IntPredicate ownable, Set<String> applications, int maxAppState) {
}
