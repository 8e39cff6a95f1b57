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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sends dumped connections to another agent's {@code Import}: each ICI serialized and cut into
 * chunks. A move opens the call before its freeze ({@link #open}), so that the call's setup
 * (a stream, its headers, the destination's receiver) is not part of the freeze; or, when its
 * ICI goes over the link, only if the link's answer is late ({@link #onDemand}).
 */
final class IciTransfer {
    /** Largest chunk of one message, bytes. */
    static final int CHUNK = 1 << 20;
    /** Time allowed per byte sent on top of the base deadline: 100 MB/s, in ms per byte. */
    private static final double MS_PER_BYTE = 1.0 / 100_000;

    /** The destination agent. */
    private final Channel channel;
    /** The call, open and waiting for its ICIs; null until opened ({@link #onDemand}). Set under {@link #lock}. */
    private StreamObserver<ImportChunk> out;
    /** Its answer. */
    private final SingleAnswer<ImportResponse> answer = new SingleAnswer<>("Import");
    /** Time allowed for the answer once the ICIs are sent, before counting their bytes, ms. */
    private final long baseDeadlineMs;
    /** Guards {@link #sent}, {@link #cancelled} and {@link #out}: exactly one of sent and cancelled happens. */
    private final Object lock = new Object();
    /** Bytes of ICIs sent, or -1 while none were. */
    private long sent = -1;
    /** The call was given up before any ICI went. */
    private boolean cancelled;

    private IciTransfer(Channel channel, long baseDeadlineMs, boolean openNow) {
        this.channel = channel;
        this.baseDeadlineMs = baseDeadlineMs;
        if (openNow) {
            this.out = openCall();
        }
    }

    /** Starts the Import call. */
    private StreamObserver<ImportChunk> openCall() {
        // The call may carry ICIs up to the receiver's limit: the wait for the answer, not the call's
        // own deadline, holds a transfer to the time its actual bytes need.
        long callDeadline = baseDeadlineMs + (long) (ImportReceiver.MAX_ICI_BYTES * MS_PER_BYTE);
        return AgentServiceGrpc.newStub(channel).withDeadlineAfter(callDeadline, TimeUnit.MILLISECONDS).import_(answer);
    }

    /** Opens an {@code Import} call to the agent behind {@code channel}; nothing is imported until {@link #send}. */
    static IciTransfer open(Channel channel, long baseDeadlineMs) {
        return new IciTransfer(channel, baseDeadlineMs, true);
    }

    /**
     * An {@code Import} call to the agent behind {@code channel} that opens only if an ICI is
     * sent on it: a move whose ICI goes over the link usually needs none (its setup would cost
     * both agents CPU on every move), and sets one up only when the link's answer is late.
     */
    static IciTransfer onDemand(Channel channel, long baseDeadlineMs) {
        return new IciTransfer(channel, baseDeadlineMs, false);
    }

    /**
     * Imports {@code exports} at the agent behind {@code channel}, as connections of
     * {@code vip} (0 when they move without their VIP). Blocks until the destination answers; fails with the
     * destination's status, or DEADLINE_EXCEEDED after {@code baseDeadlineMs} plus the time
     * the bytes need at 100 MB/s. Each ICI goes with its {@code seal}.
     */
    static ImportResponse send(Channel channel, List<Host.Export> exports, int vip, long baseDeadlineMs, IciSeal seal) {
        IciTransfer call = open(channel, baseDeadlineMs);
        call.send(exports, vip, seal, 0);
        return call.answer();
    }

    /**
     * Sends {@code exports} (serialized, sealed) on this call and half-closes it; any thread, once;
     * never throws. {@code token} is the move's from PrepareImport, or 0. {@link #answer} then gives the destination's answer, or CANCELLED if the
     * call was given up first ({@link #cancelUnlessSent}) or the ICIs could not be sealed.
     */
    void send(List<Host.Export> exports, int vip, IciSeal seal, long token) {
        List<Sealed> sealed = new java.util.ArrayList<>(exports.size());
        try {
            for (Host.Export e : exports) {
                ByteString ici = e.ici().toByteString();
                sealed.add(new Sealed(ici, seal.seal(ImportReceiver.purpose(vip), ici), e.peerMac()));
            }
        } catch (RuntimeException e) {
            cancelUnlessSent("sealing the ICIs failed: " + e);
            return;
        }
        sendSealed(sealed, vip, token);
    }

    /**
     * Gives the call up if no ICI went on it yet (the destination imports nothing); answers
     * false if they went, and the answer is to be awaited.
     */
    boolean cancelUnlessSent(String why) {
        StreamObserver<ImportChunk> call;
        synchronized (lock) {
            if (sent >= 0) {
                return false;
            }
            cancelled = true;
            call = out;
        }
        if (call != null) {
            call.onError(Status.CANCELLED.withDescription(why).asRuntimeException());
        }
        answer.future.completeExceptionally(Status.CANCELLED.withDescription(why).asRuntimeException());
        return true;
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
        IciTransfer call = open(channel, baseDeadlineMs);
        call.sendSealed(exports, vip, 0);
        return call.answer();
    }

    private void sendSealed(List<Sealed> exports, int vip, long token) {
        long bytes = 0;
        for (Sealed e : exports) {
            bytes += e.ici().size();
        }
        StreamObserver<ImportChunk> out;
        synchronized (lock) {
            if (cancelled) {
                return;
            }
            sent = bytes;
            if (this.out == null) {
                this.out = openCall();
            }
            out = this.out;
        }
        try {
            for (Sealed e : exports) {
                ByteString ici = e.ici();
                int off = 0;
                do {
                    int end = Math.min(ici.size(), off + CHUNK);
                    ImportChunk.Builder c = ImportChunk.newBuilder().setData(ici.substring(off, end)).setExpectVip(vip)
                            .setToken(token);
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
            answer.future.completeExceptionally(Status.INTERNAL.withDescription("sending ICIs: " + e).asRuntimeException());
        }
    }

    /** Completed by the destination's answer, or failed with the call's status. */
    CompletableFuture<ImportResponse> answered() {
        return answer.future;
    }

    /** When the destination's answer arrived ({@link System#nanoTime}); 0 before. */
    long answeredAt() {
        return answer.answeredAt();
    }

    /**
     * The destination's answer to the ICIs sent on this call: waits {@code baseDeadlineMs} plus
     * the time their bytes need at 100 MB/s; on any failure (DEADLINE_EXCEEDED when that passed)
     * the call is given up too.
     */
    ImportResponse answer() {
        long deadline;
        StreamObserver<ImportChunk> call;
        synchronized (lock) {
            deadline = baseDeadlineMs + (long) (Math.max(sent, 0) * MS_PER_BYTE);
            call = out;
        }
        try {
            return answer.await(deadline);
        } catch (StatusRuntimeException e) {
            if (call != null) {
                call.onError(e); // cancels a call still running; nothing once it ended
            }
            throw e;
        }
    }
}
