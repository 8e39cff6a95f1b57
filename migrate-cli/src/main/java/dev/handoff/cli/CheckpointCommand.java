package dev.handoff.cli;

import dev.handoff.proto.v1.CheckpointRequest;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code handoff checkpoint}: forces a checkpoint of one connection. */
@Command(name = "checkpoint", mixinStandardHelpOptions = true,
        description = {"Checkpoints one connection now, changed or not, and waits until the store holds it.",
            "Agents checkpoint by themselves every --checkpoint-interval-ms; this is for operators and tests.",
            "Example: handoff checkpoint 10.77.0.100:80-10.77.0.1:40312 --agent 10.77.0.11:7700"})
final class CheckpointCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONN_ID", description = "The connection, LOCAL:PORT-REMOTE:PORT as `handoff conns` lists it.")
    String id;

    @Mixin
    AgentOptions agent;

    @Override
    public Integer call() {
        ControlClient client;
        try {
            client = agent.client("checkpoint");
        } catch (IllegalArgumentException e) {
            return AgentOptions.badInput("checkpoint", e);
        }
        long start = System.nanoTime();
        try (ControlClient c = client) {
            c.stub().checkpoint(CheckpointRequest.newBuilder().setConnectionId(id).build());
            System.out.printf("checkpointed %s in %.2f ms%n", id, (System.nanoTime() - start) / 1e6);
            return 0;
        } catch (StatusRuntimeException e) {
            return ControlClient.refused("checkpoint", e);
        }
    }
}
