package dev.handoff.agent.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.PreCopyRequest;
import dev.handoff.proto.v1.PreCopyResponse;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;

/**
 * The origin's side of pre-copy, the first phase of a move: while the connection runs on,
 * its send stream from SND.UNA to what the application wrote is copied to the destination,
 * in calls of at most {@link #CHUNK} bytes, again and again while the application writes
 * more, until what is left is under {@link #ENOUGH} bytes, stops shrinking, or the peer
 * acknowledged everything copied before it crossed (a fast transfer replaces its whole
 * buffer in milliseconds: copying it is futile). The bytes stay as they are until
 * the peer acknowledges them, so the ICI dumped at the freeze leaves out what the
 * destination holds, and the freeze no longer waits for megabytes to cross.
 */
final class SendPreCopy {
    /** Bytes per PreCopy call. */
    static final int CHUNK = 1 << 20;
    /** Fewer new bytes than this ride in the ICI: another call would cost more than it saves. */
    static final int ENOUGH = 64 << 10;
    /** Calls at most (an application writing faster than the copy crosses never catches up). */
    static final int MAX_CALLS = 16;

    /** What the destination holds of the send stream: {@code [from, to)}; empty when {@code to <= from}. */
    record Held(long from, long to) {
        /** Nothing held. */
        static final Held NONE = new Held(0, 0);
    }

    private SendPreCopy() {
    }

    /**
     * Copies connection {@code id}'s send stream to the destination behind {@code channel}.
     * Best effort: a destination that refuses or fails (an older agent, its limits) leaves
     * what it held so far, and the ICI carries the rest.
     */
    static Held run(Channel channel, Host host, String id, IciSeal seal, long deadlineMs) {
        Held held = Held.NONE;
        long from = -1;
        int previous = Integer.MAX_VALUE;
        int overtaken = 0;
        for (int call = 0; call < MAX_CALLS; call++) {
            Connection.SendCopy copy = AgentServiceImpl.await(host.copySendStream(id, from, CHUNK), "copying " + id);
            int n = copy.data().length;
            boolean stale = call > 0 && copy.offset() > held.to(); // the peer acknowledged all that was copied
            if (n < ENOUGH || n >= previous && n < CHUNK || stale && ++overtaken > 1) {
                // Little left; or the application writes as fast as the copy crosses (the rest
                // is not shrinking); or the peer's ACKs overtook the copy twice (a fast transfer
                // replaces its buffer faster than it crosses). Once may be a slow first call:
                // the copy starts again at SND.UNA, and the destination drops the stale stretch.
                break;
            }
            previous = stale ? Integer.MAX_VALUE : n;
            ByteString data = UnsafeByteOperations.unsafeWrap(copy.data()); // a fresh copy of the ring: not copied again
            try {
                PreCopyResponse r = AgentServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                        .preCopy(PreCopyRequest.newBuilder().setConnectionId(id).setOffset(copy.offset()).setData(data)
                                .setTag(seal.seal(purpose(id, copy.offset()), data)).build());
                held = new Held(r.getHeldFrom(), r.getHeldTo());
            } catch (StatusRuntimeException e) {
                break;
            }
            from = held.to();
        }
        return held;
    }

    /** What a pre-copy's tag covers besides the bytes: that they are a pre-copy, of which connection, from where. */
    static String purpose(String id, long offset) {
        return "precopy " + id + " " + offset;
    }
}
