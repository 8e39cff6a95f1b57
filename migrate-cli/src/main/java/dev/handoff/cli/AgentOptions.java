package dev.handoff.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The agent an operator command speaks to (a picocli mixin): {@code --agent ADDR:PORT} and
 * the TLS options. A command checks the rest of its input first, then opens its client.
 */
final class AgentOptions {
    @Option(names = "--agent", required = true, paramLabel = "ADDR:PORT",
            description = "Control address of the agent to ask (as its --control gave it), e.g. 10.77.0.11:7700.")
    String address;

    @Mixin
    TlsOptions tls;

    /**
     * A client for the agent (no connection is made yet); IllegalArgumentException saying
     * what is wrong with --agent or the TLS options. {@code command} names the command in warnings.
     */
    ControlClient client(String command) {
        return new ControlClient(HostPort.parse("--agent", address), tls.credentials(command));
    }

    /** Prints {@code handoff COMMAND: problem} for input refused before any call; returns exit status 2. */
    static int badInput(String command, IllegalArgumentException e) {
        System.err.println("handoff " + command + ": " + e.getMessage());
        return 2;
    }
}
