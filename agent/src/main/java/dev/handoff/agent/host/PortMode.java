package dev.handoff.agent.host;

/**
 * How a created endpoint's local port is chosen (paper §2.1). Only {@link Same} keeps the
 * connection reachable by an unmodified peer; the others need address translation in the
 * path, as in the paper.
 */
public sealed interface PortMode {
    /** The port of the ICI (the default: no translation in the path). */
    record Same() implements PortMode {
    }

    /** A port the application chose (bound before setting the ICI): the ICI's port is ignored. @param port 1..65535 */
    record Bound(int port) implements PortMode {
        public Bound {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is outside 1..65535");
            }
        }
    }

    /** Any free local port (the ICI's port cleared). */
    record Any() implements PortMode {
    }

    /** The port of the ICI. */
    static PortMode same() {
        return new Same();
    }
}
