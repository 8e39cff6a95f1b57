package dev.handoff.cli;

import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.ResurrectRequest;
import dev.handoff.proto.v1.ResurrectResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code handoff resurrect}: brings a dead agent's VIP and connections back on another agent. */
@Command(name = "resurrect", mixinStandardHelpOptions = true,
        description = {"Takes a VIP whose agent died, with every connection checkpointed for it, on the agent --agent",
            "names (which must use the same checkpoint store as the dead one).",
            "The agent takes the VIP's lease in the checkpoint store, resurrects each connection from its last",
            "checkpoint (the peer's transfer goes on where the checkpoint left it, nothing lost) and announces the VIP.",
            "While the dead agent's lease still runs, it retries until --wait-ms has passed, saying so.",
            "Example: handoff resurrect --vip 10.77.0.100 --agent 10.77.0.12:7700"})
final class ResurrectCommand implements Callable<Integer> {
    @Option(names = "--vip", required = true, paramLabel = "VIP", description = "The VIP to take, e.g. 10.77.0.100.")
    String vip;

    @Mixin
    AgentOptions agent;

    @Option(names = "--wait-ms", defaultValue = "10000", paramLabel = "MS",
            description = "How long to keep trying while the old owner's lease runs (default: ${DEFAULT-VALUE}).")
    long waitMs;

    @Override
    public Integer call() throws InterruptedException {
        int address;
        ControlClient client;
        try {
            address = Ipv4Address.parse(vip.contains("/") ? vip.substring(0, vip.indexOf('/')) : vip);
            client = agent.client("resurrect");
        } catch (IllegalArgumentException e) {
            return AgentOptions.badInput("resurrect", e);
        }
        long start = System.nanoTime();
        long deadline = start + waitMs * 1_000_000;
        try (ControlClient c = client) {
            while (true) {
                try {
                    ResurrectResponse r = c.stub().resurrect(ResurrectRequest.newBuilder().setVip(address).build());
                    System.out.printf("resurrected VIP %s with %d connections on %s (lease epoch %d) in %.1f ms%n",
                            Ipv4Address.format(address), r.getConnectionIdsCount(), agent.address, r.getLeaseEpoch(),
                            (System.nanoTime() - start) / 1e6);
                    for (String id : r.getConnectionIdsList()) {
                        System.out.println("  " + id);
                    }
                    return 0;
                } catch (StatusRuntimeException e) {
                    boolean leaseRuns = e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION
                            && String.valueOf(e.getStatus().getDescription()).contains("lease");
                    if (!leaseRuns || System.nanoTime() > deadline) {
                        return ControlClient.refused("resurrect", e);
                    }
                    System.out.println("waiting: " + e.getStatus().getDescription());
                    Thread.sleep(100);
                }
            }
        }
    }
}
