package dev.handoff.cli;

import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.ConnectionInfo;
import dev.handoff.proto.v1.ListConnectionsRequest;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code handoff conns}: the connections an agent serves. */
@Command(name = "conns", mixinStandardHelpOptions = true,
        description = {"Lists the connections an agent serves: id, VIP:port, peer, state, bytes in/out, age.",
            "Example: handoff conns --agent 10.77.0.11:7700 --json"})
final class ConnsCommand implements Callable<Integer> {
    @Mixin
    AgentOptions agent;

    @Option(names = "--json", description = "Print one JSON array of objects instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        ControlClient client;
        try {
            client = agent.client("conns");
        } catch (IllegalArgumentException e) {
            return AgentOptions.badInput("conns", e);
        }
        List<ConnectionInfo> conns;
        try (ControlClient c = client) {
            conns = c.stub().listConnections(ListConnectionsRequest.getDefaultInstance()).getConnectionsList();
        } catch (StatusRuntimeException e) {
            return ControlClient.refused("conns", e);
        }
        if (json) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < conns.size(); i++) {
                ConnectionInfo x = conns.get(i);
                sb.append(i == 0 ? "" : ",").append(String.format(
                        "{\"id\":%s,\"vip\":\"%s\",\"port\":%d,\"peer\":\"%s\",\"peerPort\":%d,\"state\":\"%s\","
                                + "\"bytesIn\":%d,\"bytesOut\":%d,\"ageMs\":%d,\"application\":%s}",
                        Json.string(x.getId()), Ipv4Address.format(x.getVip()), x.getPort(), Ipv4Address.format(x.getPeer()),
                        x.getPeerPort(), x.getState(), x.getBytesIn(), x.getBytesOut(), x.getAgeMs(), Json.string(x.getApplication())));
            }
            System.out.println(sb.append("]"));
            return 0;
        }
        System.out.printf("%-44s %-21s %-21s %-12s %12s %12s %8s%n", "ID", "VIP:PORT", "PEER", "STATE", "BYTES IN",
                "BYTES OUT", "AGE");
        for (ConnectionInfo x : conns) {
            System.out.printf("%-44s %-21s %-21s %-12s %12d %12d %7.1fs%n", x.getId(),
                    Ipv4Address.format(x.getVip()) + ":" + x.getPort(), Ipv4Address.format(x.getPeer()) + ":" + x.getPeerPort(),
                    x.getState(), x.getBytesIn(), x.getBytesOut(), x.getAgeMs() / 1000.0);
        }
        return 0;
    }
}
