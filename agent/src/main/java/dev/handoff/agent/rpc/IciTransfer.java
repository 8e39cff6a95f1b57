package dev.handoff.agent.rpc;

import com.google.protobuf.ByteString;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.ImportChunk;
import dev.handoff.proto.v1.ImportResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Sends dumped connections to another agent's {@code Import}: each ICI serialized and cut into chunks. */
final class IciTransfer {
    /** Largest chunk of one message, bytes. */
    static final int CHUNK = 1 << 20;
    /** Time allowed per byte sent on top of the base deadline: 100 MB/s, in ms per byte. */
    private static final double MS_PER_BYTE = 1.0 / 100_000;

    private IciTransfer() {
    }

    /**
     * Imports {@code exports} at the agent behind {@code channel}, as connections of
     * {@code vip} (0 when they move without their VIP). Blocks until the destination answers; fails with the
     * destination's status, or DEADLINE_EXCEEDED after {@code baseDeadlineMs} plus the time
     * the bytes need at 100 MB/s. Each ICI goes with its {@code seal}.
     */
    static ImportResponse send(Channel channel, List<Host.Export> exports, int vip, long baseDeadlineMs, IciSeal seal) {
        List<Sealed> sealed = new java.util.ArrayList<>(exports.size());
        for (Host.Export e : exports) {
            ByteString ici = e.ici().toByteString();
            sealed.add(new Sealed(ici, seal.seal(ImportReceiver.purpose(vip), ici), e.peerMac()));
        }
        return sendSealed(channel, sealed, vip, baseDeadlineMs);
    }

    /**
     * One serialized ICI, its seal and the peer's MAC (-1 if unknown).
     *
     * @param ici the serialized ICI
     * @param seal its seal
     * @param peerMac the peer's next-hop MAC, or -1
     */
    record Sealed(ByteString ici, ByteString seal, long peerMac) {
    }

    /** Like {@link #send}, with ICIs already serialized and sealed (tests pass forged ones). */
    static ImportResponse sendSealed(Channel channel, List<Sealed> exports, int vip, long baseDeadlineMs) {
        long bytes = 0;
        for (Sealed e : exports) {
            bytes += e.ici().size();
        }
        long deadline = baseDeadlineMs + (long) (bytes * MS_PER_BYTE);
        SingleAnswer<ImportResponse> answer = new SingleAnswer<>("Import");
        StreamObserver<ImportChunk> out = AgentServiceGrpc.newStub(channel).withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)
                .import_(answer);
        try {
            for (Sealed e : exports) {
                ByteString ici = e.ici();
                int off = 0;
                do {
                    int end = Math.min(ici.size(), off + CHUNK);
                    ImportChunk.Builder c = ImportChunk.newBuilder().setData(ici.substring(off, end)).setExpectVip(vip);
                    if (end == ici.size()) {
                        c.setIciComplete(true).setPeerMac(e.peerMac() == -1 ? 0 : e.peerMac()).setSeal(e.seal());
                    }
                    out.onNext(c.build());
                    off = end;
                } while (off < ici.size());
            }
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(e);
            throw Status.INTERNAL.withDescription("sending ICIs: " + e).asRuntimeException();
        }
        try {
            return answer.future.get(deadline + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StatusRuntimeException s ? s
                    : Status.INTERNAL.withDescription(String.valueOf(e.getCause())).asRuntimeException();
        } catch (TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("no answer to Import in " + deadline + " ms").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted while importing").asRuntimeException();
        }
    }
}
