package dev.handoff.cli;

import dev.handoff.proto.v1.MigrateRequest;
import dev.handoff.proto.v1.MigrateResponse;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code handoff move}: moves one live connection to another agent. */
@Command(name = "move", mixinStandardHelpOptions = true,
        description = {"Moves a live connection from one agent to another while the peer keeps going.",
            "Exits 0 only when the connection is active at the destination; prints the freeze time.",
            "On failure the connection keeps running at the origin and the reason is printed.",
            "Example: handoff move 10.77.0.100:80-10.77.0.2:41234 --agent 10.77.0.11:7700 --to 10.77.0.12:7700"})
final class MoveCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONN_ID", description = "The connection, as `handoff conns` shows it.")
    String connection;

    @Option(names = "--agent", required = true, paramLabel = "ADDR:PORT", description = "Control address of the agent holding it.")
    String agent;

    @Option(names = "--to", required = true, paramLabel = "ADDR:PORT", description = "Control address of the destination agent.")
    String to;

    @Override
    public Integer call() {
        HostPort origin;
        try {
            origin = HostPort.parse("--agent", agent);
            HostPort.parse("--to", to);
        } catch (IllegalArgumentException e) {
            System.err.println("handoff move: " + e.getMessage());
            return 2;
        }
        try (ControlClient c = new ControlClient(origin)) {
            MigrateResponse r = c.stub().migrate(MigrateRequest.newBuilder().setConnectionId(connection)
                    .setDestination(to).build());
            System.out.printf("moved %s to %s, freeze %.3f ms%n", connection, to, r.getFreezeUs() / 1000.0);
            return 0;
        } catch (StatusRuntimeException e) {
            System.err.println("handoff move: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
            return 1;
        }
    }
}
