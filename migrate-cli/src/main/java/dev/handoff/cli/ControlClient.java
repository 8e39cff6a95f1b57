package dev.handoff.cli;

import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.security.Credentials;
import io.grpc.ManagedChannel;
import io.grpc.Grpc;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;

/** A connection to an agent's control API for one operator command; every call has a deadline. */
final class ControlClient implements AutoCloseable {
    /** Deadline of each call, seconds. */
    static final long DEADLINE_SECONDS = 15;

    /** The channel. */
    private final ManagedChannel channel;

    ControlClient(HostPort agent, Credentials credentials) {
        this.channel = Grpc.newChannelBuilderForAddress(agent.host(), agent.port(), credentials.channel()).build();
    }

    /** A stub whose next call must finish within the deadline. */
    AgentServiceGrpc.AgentServiceBlockingStub stub() {
        return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    /** The channel, for calls that set their own deadline (streams). */
    ManagedChannel channel() {
        return channel;
    }

    /** Prints the agent's refusal as {@code handoff COMMAND: CODE: description}; returns exit status 1. */
    static int refused(String command, StatusRuntimeException e) {
        System.err.println("handoff " + command + ": " + e.getStatus().getCode() + ": " + e.getStatus().getDescription()
                + hint(e.getStatus().getCode()));
        return 1;
    }

    /** What to check when a call fails with {@code code} before the agent could say why. */
    static String hint(io.grpc.Status.Code code) {
        return code == io.grpc.Status.Code.UNAVAILABLE ? " (is the agent running with --control at that address, and"
                + " do --tls-cert/--tls-key/--tls-ca name an unexpired certificate of its cluster's CA? the agent's own"
                + " certificate must name that address: handoff certs issue --ip)" : "";
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
