package dev.handoff.cli;

import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.Event;
import dev.handoff.proto.v1.WatchEventsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code handoff events}: follows an agent's connection events. */
@Command(name = "events", mixinStandardHelpOptions = true,
        description = {"Prints an agent's events as they happen: connections opened, closed, moved in or out,",
            "failed moves (with the reason), VIPs taken, released or abandoned, resurrections, checkpoint stalls,",
            "cluster peers going down or up, fail-overs. Runs until Ctrl-C or --seconds.",
            "Example: handoff events --agent 10.77.0.11:7700 --json"})
final class EventsCommand implements Callable<Integer> {
    @Mixin
    AgentOptions agent;

    @Option(names = "--json", description = "One JSON object per line (keys time, kind, subject, detail) instead of text.")
    boolean json;

    @Option(names = "--seconds", defaultValue = "86400", paramLabel = "N",
            description = "Stop after N seconds (the call's deadline; default ${DEFAULT-VALUE}).")
    long seconds;

    @Override
    public Integer call() {
        ControlClient client;
        try {
            if (seconds < 1) {
                throw new IllegalArgumentException("--seconds must be at least 1, got " + seconds);
            }
            client = agent.client("events");
        } catch (IllegalArgumentException e) {
            return AgentOptions.badInput("events", e);
        }
        try (ControlClient c = client) {
            Iterator<Event> events = AgentServiceGrpc.newBlockingStub(c.channel()).withDeadlineAfter(seconds, TimeUnit.SECONDS)
                    .watchEvents(WatchEventsRequest.getDefaultInstance());
            while (events.hasNext()) {
                Event e = events.next();
                String time = Instant.ofEpochMilli(e.getUnixMs()).toString();
                System.out.println(json
                        ? "{\"time\":" + Json.string(time) + ",\"kind\":" + Json.string(e.getKind()) + ",\"subject\":"
                                + Json.string(e.getSubject()) + ",\"detail\":" + Json.string(e.getDetail()) + "}"
                        : time + " " + e.getKind() + " " + e.getSubject() + (e.getDetail().isEmpty() ? "" : " " + e.getDetail()));
                System.out.flush();
            }
            return 0;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
                return 0; // --seconds ran out
            }
            return ControlClient.refused("events", e);
        }
    }
}
