package dev.handoff.cli;

import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.MoveVipRequest;
import dev.handoff.proto.v1.MoveVipResponse;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code handoff move-vip}: moves a VIP with all its connections to another agent. */
@Command(name = "move-vip", mixinStandardHelpOptions = true,
        description = {"Moves a VIP, with every established connection on it, from one agent to another.",
            "The destination takes the connections, then the VIP (gratuitous ARP); peers notice nothing.",
            "Exits 0 only when the destination owns the VIP; prints how many connections moved and how long it took.",
            "On failure the VIP and its connections stay at the origin and the reason is printed.",
            "Example: handoff move-vip 10.77.0.100 --agent 10.77.0.11:7700 --to 10.77.0.12:7700"})
final class MoveVipCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "VIP", description = "The VIP, e.g. 10.77.0.100 (as `handoff agent --vip` gave it, without the prefix).")
    String vip;

    @Mixin
    AgentOptions agent;

    @Option(names = "--to", required = true, paramLabel = "ADDR:PORT", description = "Control address of the destination agent.")
    String to;

    @Override
    public Integer call() {
        int address;
        ControlClient client;
        try {
            address = Ipv4Address.parse(vip.contains("/") ? vip.substring(0, vip.indexOf('/')) : vip);
            HostPort.parse("--to", to);
            client = agent.client("move-vip");
        } catch (IllegalArgumentException e) {
            return AgentOptions.badInput("move-vip", e);
        }
        try (ControlClient c = client) {
            MoveVipResponse r = c.stub().moveVip(MoveVipRequest.newBuilder().setVip(address).setDestination(to).build());
            System.out.printf("moved VIP %s with %d connections to %s in %.3f ms%n", Ipv4Address.format(address),
                    r.getConnections(), to, r.getDurationUs() / 1000.0);
            return 0;
        } catch (StatusRuntimeException e) {
            return ControlClient.refused("move-vip", e);
        }
    }
}
