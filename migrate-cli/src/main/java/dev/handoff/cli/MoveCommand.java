package dev.handoff.cli;

import dev.handoff.proto.v1.MigrateRequest;
import dev.handoff.proto.v1.MigrateResponse;
import dev.handoff.security.Credentials;
import io.grpc.StatusRuntimeException;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code handoff move}: moves one live connection to another agent. */
@Command(name = "move", mixinStandardHelpOptions = true,
        description = {"Moves a live connection from one agent to another while the peer keeps going.",
            "Exits 0 only when the connection is active at the destination; prints the freeze time.",
            "On failure the connection keeps running at the origin and the reason is printed.",
            "Example: handoff move 10.77.0.100:80-10.77.0.2:41234 --agent 10.77.0.11:7700 --to 10.77.0.12:7700",
            "Back and forth 50 times, every 100 ms: add --repeat 50 --interval-ms 100"})
final class MoveCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONN_ID", description = "The connection, as `handoff conns` shows it.")
    String connection;

    @Mixin
    AgentOptions agent;

    @Option(names = "--to", required = true, paramLabel = "ADDR:PORT", description = "Control address of the destination agent.")
    String to;

    @Option(names = "--repeat", defaultValue = "1", paramLabel = "N",
            description = "Move it N times, back and forth: --agent to --to, then back, and so on (default ${DEFAULT-VALUE}). "
                    + "Prints each freeze time and then their median, 99th percentile and maximum.")
    int repeat;

    @Option(names = "--interval-ms", defaultValue = "100", paramLabel = "MS",
            description = "With --repeat: pause between two moves (default ${DEFAULT-VALUE}).")
    long intervalMs;

    @Override
    public Integer call() throws InterruptedException {
        HostPort origin;
        HostPort destination;
        Credentials credentials;
        try {
            origin = HostPort.parse("--agent", agent.address);
            destination = HostPort.parse("--to", to);
            if (repeat < 1 || repeat > 100_000) {
                throw new IllegalArgumentException("--repeat must be 1..100000, got " + repeat);
            }
            if (intervalMs < 0) {
                throw new IllegalArgumentException("--interval-ms must be 0 or more, got " + intervalMs);
            }
            credentials = agent.tls.credentials("move"); // both ways: one warning with --insecure
        } catch (IllegalArgumentException e) {
            return AgentOptions.badInput("move", e);
        }
        long[] freezeUs = new long[repeat];
        int done = 0;
        int overLink = 0;
        try (ControlClient there = new ControlClient(origin, credentials); ControlClient back = new ControlClient(destination, credentials)) {
            for (; done < repeat; done++) {
                boolean out = done % 2 == 0;
                MigrateResponse r = (out ? there : back).stub().migrate(MigrateRequest.newBuilder()
                        .setConnectionId(connection).setDestination(out ? to : agent.address).build());
                freezeUs[done] = r.getFreezeUs();
                overLink += r.getOverLink() ? 1 : 0;
                System.out.printf("moved %s to %s, freeze %.3f ms, ICI %d bytes %s (%d send bytes copied before the freeze)%n",
                        connection, out ? to : agent.address, r.getFreezeUs() / 1000.0, r.getIciBytes(),
                        r.getOverLink() ? "over the link" : "over Import", r.getPrecopiedBytes());
                if (repeat > 1 && done + 1 < repeat) {
                    Thread.sleep(intervalMs);
                }
            }
            return 0;
        } catch (StatusRuntimeException e) {
            System.err.println("handoff move: " + (repeat > 1 ? "move " + (done + 1) + " of " + repeat + ": " : "")
                    + e.getStatus().getCode() + ": " + e.getStatus().getDescription() + ControlClient.hint(e.getStatus().getCode()));
            return 1;
        } finally {
            if (repeat > 1 && done > 0) {
                long[] f = Arrays.copyOf(freezeUs, done);
                Arrays.sort(f);
                System.out.printf("moves=%d freeze_ms p50=%.3f p99=%.3f max=%.3f; ICIs over the link %d%n", done,
                        f[done / 2] / 1000.0, f[Math.min(done - 1, (int) Math.ceil(done * 0.99) - 1)] / 1000.0,
                        f[done - 1] / 1000.0, overLink);
            }
        }
    }
}
