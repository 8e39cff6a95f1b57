package dev.handoff.agent.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.host.HostLoop;
import dev.handoff.agent.host.MoveFrames;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.agent.ici.InvalidIciException;
import dev.handoff.agent.wire.MoveFrame;
import dev.handoff.proto.v1.Ici;
import io.grpc.Status;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Moves over the link: the ICI of a connection moved alone goes from the origin's event loop
 * straight to the destination's in move frames ({@link MoveFrame}: one, or up to
 * {@link MoveFrame#MAX_FRAGMENTS} pieces reassembled there), and the answer comes
 * back the same way, with none of the control channel's transport threads in between (four
 * thread hand-offs fewer in the freeze). The control channel still announces the move
 * ({@code PrepareImport} with the move's random token, over TLS) and carries anything that does
 * not fit in those frames. An ICI is imported only for the token announced for its
 * connection, and only with the cluster's seal over the token and the bytes; an ICI the link
 * leaves unanswered for {@link #WAIT_MS} (a piece lost) goes again over {@code Import} with the same token,
 * and the destination, which imports a move's connection once, answers it again.
 */
final class LinkMoves implements MoveFrames {
    /** How long the origin waits for the answer over the link before sending the ICI over Import, ms. */
    static final long WAIT_MS = 20;

    /** The agent's host. */
    private final Host host;
    /** Seals and checks ICIs and answers. */
    private final IciSeal seal;
    /** Send bytes copied ahead of moves to this agent, spliced back into their ICIs. */
    private final PreCopies preCopies;
    /** Moves from here waiting for their answer over the link, by token. */
    private final ConcurrentHashMap<Long, Attempt> waiting = new ConcurrentHashMap<>();
    /** Tokens of moves from here. */
    private final SecureRandom tokens = new SecureRandom();
    /** ICIs cut into several frames, by token, while their pieces come. */
    private final ConcurrentHashMap<Long, Pieces> partial = new ConcurrentHashMap<>();
    /** Most ICIs whose pieces are awaited at once; a new one beyond them drops the oldest. */
    static final int MAX_PARTIAL = 16;
    /** An ICI whose pieces did not all come within this is forgotten, ms (its move went on over Import). */
    static final long PARTIAL_MS = 1000;

    LinkMoves(Host host, IciSeal seal, PreCopies preCopies) {
        this.host = host;
        this.seal = seal;
        this.preCopies = preCopies;
    }

    /** A new, non-zero move token. */
    long newToken() {
        long t;
        do {
            t = tokens.nextLong();
        } while (t == 0);
        return t;
    }

    /** What the seal of an ICI frame covers besides its body: that it is one, and the move's token. */
    static String iciPurpose(long token) {
        return "link import token=" + Long.toUnsignedString(token);
    }

    /** What the seal of an answer frame covers besides its body. */
    static String answerPurpose(long token) {
        return "link answer token=" + Long.toUnsignedString(token);
    }

    /**
     * An ICI frame as received: the move's {@code token}, the connection's flow, the seal and
     * the body, sent by {@code origin}.
     */
    private record IciFrame(long token, int remoteIp, int remotePort, int localPort, byte[] seal, byte[] body, long origin) {
    }

    /** The pieces of one ICI cut into several frames, as they come (any order; the loop of its flow). */
    private static final class Pieces {
        /** When the first came, ms. */
        final long since = System.currentTimeMillis();
        /** The pieces by fragment index; null until it came. */
        final byte[][] pieces;
        /** The seal, from fragment 0. */
        byte[] seal;
        /** Pieces still missing. */
        int missing;

        Pieces(int count) {
            pieces = new byte[count][];
            missing = count;
        }

        /** Takes fragment {@code f}; the whole body once every piece came, else null. */
        synchronized byte[] add(MoveFrame f) {
            if (f.fragments() != pieces.length || pieces[f.fragment()] != null) {
                return null; // a duplicate, or not of this ICI
            }
            pieces[f.fragment()] = f.body();
            if (f.fragment() == 0) {
                seal = f.seal();
            }
            if (--missing > 0) {
                return null;
            }
            java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
            for (byte[] p : pieces) {
                whole.writeBytes(p);
            }
            return whole.toByteArray();
        }
    }

    /** The whole ICI frame once {@code frame} completed it (it may be its only fragment), else null. */
    private IciFrame assemble(MoveFrame frame, long sourceMac) {
        if (frame.fragments() == 1) {
            return new IciFrame(frame.token(), frame.remoteIp(), frame.remotePort(), frame.localPort(), frame.seal(),
                    frame.body(), sourceMac);
        }
        long now = System.currentTimeMillis();
        Pieces p = partial.get(frame.token());
        if (p == null) {
            partial.values().removeIf(old -> old.since < now - PARTIAL_MS);
            if (partial.size() >= MAX_PARTIAL) {
                partial.entrySet().stream().min(java.util.Comparator.comparingLong(e -> e.getValue().since))
                        .ifPresent(e -> partial.remove(e.getKey()));
            }
            p = partial.computeIfAbsent(frame.token(), t -> new Pieces(frame.fragments()));
        }
        byte[] body = p.add(frame);
        if (body == null) {
            return null;
        }
        partial.remove(frame.token());
        return new IciFrame(frame.token(), frame.remoteIp(), frame.remotePort(), frame.localPort(), p.seal, body, sourceMac);
    }

    @Override
    public void onMoveFrame(HostLoop loop, MoveFrame frame, long sourceMac) {
        if (frame.kind() == MoveFrame.ICI) {
            IciFrame f = assemble(frame, sourceMac);
            if (f == null) {
                return; // more pieces to come
            }
            HostLoop owner = host.loopOfFlow(f.remoteIp(), f.remotePort(), f.localPort());
            if (owner == loop) {
                importFrom(loop, f);
            } else { // received by another loop than the connection's (a link that steers by flow sends none)
                owner.execute(() -> importFrom(owner, f));
            }
        } else {
            Attempt a = waiting.get(frame.token());
            if (a != null) { // else late: the move went on over Import
                a.answered(frame);
            }
        }
    }

    /** Imports the ICI of {@code frame} on {@code loop}, the connection's, and answers its origin, or drops it. */
    private void importFrom(HostLoop loop, IciFrame frame) {
        long token = frame.token();
        ByteString body = UnsafeByteOperations.unsafeWrap(frame.body()); // the frame's own copy, never written
        try {
            seal.check(iciPurpose(token), body, UnsafeByteOperations.unsafeWrap(frame.seal()));
        } catch (InvalidIciException e) {
            return; // not sealed by the cluster: dropped, unanswered
        }
        if (body.size() < 6) {
            return; // sealed, yet no ICI: dropped
        }
        Connection in;
        try {
            Ici ici = Ici.parseFrom(body.substring(6));
            if (ici.getLeaseEpoch() != 0) {
                return; // its epoch is checked against the store: over Import only
            }
            in = loop.importMoved(new Host.Import(preCopies.splice(ici), MoveFrame.peerMacOf(frame.body())), token);
        } catch (InvalidProtocolBufferException e) {
            answer(loop, frame, Status.INVALID_ARGUMENT, "ICI 1 is not a valid message: " + e.getMessage());
            return;
        } catch (InvalidIciException e) {
            answer(loop, frame, Status.FAILED_PRECONDITION, "ICI 1 refused: " + e.getMessage());
            return;
        } catch (RuntimeException e) { // refused as Import refuses it
            Status s = AgentServiceImpl.failure(e, "importing 1 connection(s)").getStatus();
            answer(loop, frame, s, s.getDescription());
            return;
        }
        if (in == null) {
            return; // no move announced this token for the connection here: late, or replayed
        }
        answer(loop, frame, Status.OK, in.id());
    }

    private void answer(HostLoop loop, IciFrame about, Status status, String text) {
        // Short enough for one frame: an id, or the start of a refusal's reason.
        byte[] body = MoveFrame.answerBody(status.getCode().value(), text.substring(0, Math.min(text.length(), 400)));
        loop.sendFrame(MoveFrame.write(about.origin(), loop.mac(), MoveFrame.ANSWER, about.remoteIp(), about.remotePort(),
                about.localPort(), about.token(), seal.seal(answerPurpose(about.token()),
                        UnsafeByteOperations.unsafeWrap(body)).toByteArray(), body));
    }

    /**
     * Starts the link's part of the move of {@code id} with {@code token} (announced to the
     * destination, which said it takes move frames): the answer is awaited from now on.
     */
    Attempt attempt(String id, long token, long destinationMac) {
        Attempt a = new Attempt(id, token, destinationMac);
        waiting.put(token, a);
        return a;
    }

    /**
     * The destination's answer over the link: status OK and the connection's id, or the refusal's
     * status; {@code at} when it came, as {@link System#nanoTime}.
     */
    record Answer(Status status, long at) {
    }

    /** One move's ICI over the link, and its answer. */
    final class Attempt {
        /** The connection moved. */
        private final String id;
        /** The move's token. */
        private final long token;
        /** The destination's link address. */
        private final long destinationMac;
        /** Completed by the loop that receives the answer. */
        private final CompletableFuture<Answer> answer = new CompletableFuture<>();
        /** The ICI went over the link (guarded by this attempt). */
        private boolean sent;
        /** The link's part was given up before the ICI went (guarded by this attempt). */
        private boolean cancelled;

        private Attempt(String id, long token, long destinationMac) {
            this.id = id;
            this.token = token;
            this.destinationMac = destinationMac;
        }

        /**
         * Sends {@code e}'s ICI in move frames from the connection's loop; false (nothing sent)
         * when it takes more than {@link MoveFrame#MAX_FRAGMENTS} or the attempt was given up: it
         * goes over Import instead.
         */
        boolean send(Host.Export e) {
            Ici ici = e.ici();
            byte[] body = MoveFrame.iciBody(e.peerMac(), ici.toByteArray());
            List<byte[]> frames = MoveFrame.writeAll(destinationMac, host.mac(), MoveFrame.ICI, ici.getRemoteIp(),
                    ici.getRemotePort(), ici.getLocalPort(), token,
                    seal.seal(iciPurpose(token), UnsafeByteOperations.unsafeWrap(body)).toByteArray(), body);
            synchronized (this) {
                if (frames == null || cancelled) {
                    return false;
                }
                sent = true;
            }
            for (byte[] f : frames) {
                host.sendMoveFrame(id, f);
            }
            return true;
        }

        /** Whether the ICI went over the link. */
        synchronized boolean sent() {
            return sent;
        }

        /** Gives the link's part up unless the ICI went; false if it went (its answer is then to be awaited). */
        synchronized boolean cancelUnlessSent() {
            cancelled = !sent;
            return cancelled;
        }

        /** The token of this move. */
        long token() {
            return token;
        }

        /** Takes an answer frame; one whose seal does not check, or that holds no outcome, is ignored. */
        private void answered(MoveFrame f) {
            byte[] b = f.body();
            try {
                seal.check(answerPurpose(token), UnsafeByteOperations.unsafeWrap(b), UnsafeByteOperations.unsafeWrap(f.seal()));
            } catch (InvalidIciException e) {
                return;
            }
            if (f.fragments() == 1 && b.length > 0) {
                answer.complete(new Answer(Status.fromCodeValue(MoveFrame.statusOf(b)).withDescription(MoveFrame.textOf(b)),
                        System.nanoTime()));
            }
        }

        /** Completed by the answer over the link. */
        CompletableFuture<Answer> answered() {
            return answer;
        }

        /** The answer over the link if it came, else null. */
        Answer answerNow() {
            return answer.getNow(null);
        }

        /** The answer, if it comes within {@link #WAIT_MS}; else null (the ICI is to go over Import). */
        Answer await() {
            try {
                return answer.get(WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            } catch (ExecutionException e) {
                throw new IllegalStateException("an answer future is never failed", e);
            }
        }

        /** Ends the wait: a later answer is dropped. */
        void close() {
            waiting.remove(token);
        }
    }
}
