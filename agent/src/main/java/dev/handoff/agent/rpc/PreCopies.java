package dev.handoff.agent.rpc;

import com.google.protobuf.ByteString;
import dev.handoff.agent.ici.InvalidIciException;
import dev.handoff.agent.host.Connection;
import dev.handoff.proto.v1.Ici;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The destination's side of pre-copy: for each connection about to move here, the stretch
 * of its send stream the origin copied before the freeze ({@code PreCopy} calls), until the
 * import splices it back into the ICI that left it out. Bounded in connections and bytes; a
 * stretch unused for {@link #MAX_AGE_MS} is dropped. Thread-safe (gRPC threads).
 */
final class PreCopies {
    /** Connections with a stretch held at once. */
    static final int MAX_CONNECTIONS = 64;
    /** Bytes held in all. */
    static final long MAX_BYTES = 256L << 20;
    /** A stretch not extended or taken for this long is dropped, ms (a move given up without a word). */
    static final long MAX_AGE_MS = 60_000;

    /** Bytes {@code [from, from + data.size())} of a connection's send stream, last extended at {@code touchedAt}. */
    private record Held(long from, ByteString data, long touchedAt) {
        long to() {
            return from + data.size();
        }
    }

    /** A stretch spliced is kept this long (outside the limits), ms: twice the Import deadline. */
    static final long SPLICED_AGE_MS = 2 * AgentServiceImpl.DEADLINE_MS;

    /** Stretches by connection id at the origin (LOCAL:PORT-REMOTE:PORT). */
    private final Map<String, Held> held = new HashMap<>();
    /**
     * Stretches already spliced, by connection id, for {@link #SPLICED_AGE_MS}: an ICI sent
     * twice (over the link, its answer lost, then over Import) splices twice.
     */
    private final Map<String, Held> spliced = new HashMap<>();
    /** Milliseconds, for ageing. */
    private final LongSupplier clock;
    /** Bytes held in all. */
    private long bytes;

    PreCopies(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * Keeps {@code data} at stream position {@code offset} for connection {@code id}: it extends
     * the stretch held when it starts within it or right after it, else starts a new one.
     * Returns what is held now; IllegalStateException when a limit is reached.
     */
    synchronized SendPreCopy.Held add(String id, long offset, ByteString data) {
        long now = clock.getAsLong();
        dropOlderThan(now - MAX_AGE_MS);
        Held h = held.get(id);
        Held next;
        if (h != null && offset >= h.from() && offset <= h.to()) {
            long overlap = h.to() - offset;
            next = overlap >= data.size() ? h : new Held(h.from(), h.data().concat(data.substring((int) overlap)), now);
        } else {
            if (h == null && held.size() >= MAX_CONNECTIONS) {
                throw new IllegalStateException("pre-copies of " + MAX_CONNECTIONS + " connections are held already");
            }
            next = new Held(offset, data, now);
        }
        long grown = next.data().size() - (h == null ? 0 : h.data().size());
        if (bytes + grown > MAX_BYTES) {
            throw new IllegalStateException("pre-copies would hold more than " + MAX_BYTES + " bytes");
        }
        bytes += grown;
        held.put(id, next);
        return new SendPreCopy.Held(next.from(), next.to());
    }

    /** Forgets what is held for {@code id} (the move was given up). */
    synchronized void drop(String id) {
        spliced.remove(id);
        Held h = held.remove(id);
        if (h != null) {
            bytes -= h.data().size();
        }
    }

    /**
     * The ICI with the send bytes it left out ({@code send_precopied}) put back in front of its
     * send queue, from the stretch held for its connection, which is then kept
     * {@link #SPLICED_AGE_MS} only; InvalidIciException when this agent does not hold them all.
     */
    synchronized Ici splice(Ici ici) throws InvalidIciException {
        long n = ici.getSendPrecopied();
        String id = Connection.id(ici.getLocalIp(), ici.getLocalPort(), ici.getRemoteIp(), ici.getRemotePort());
        long now = clock.getAsLong();
        spliced.values().removeIf(s -> s.touchedAt() < now - SPLICED_AGE_MS);
        Held h = held.remove(id);
        if (h != null) {
            bytes -= h.data().size();
        } else {
            h = spliced.get(id); // the same ICI again, or a later one within what the stream had then
        }
        if (n == 0) {
            return ici;
        }
        long una = ici.getStreamOffset();
        if (h == null || h.from() > una || h.to() < una + n) {
            throw new InvalidIciException("send_precopied", n + " bytes from stream offset " + una + " are not held here"
                    + (h == null ? " (no pre-copy of " + id + ")" : " (held: " + h.from() + " to " + h.to() + ")"));
        }
        spliced.put(id, new Held(h.from(), h.data(), now));
        int at = (int) (una - h.from());
        return ici.toBuilder().setSendQueue(h.data().substring(at, at + (int) n).concat(ici.getSendQueue()))
                .setSendPrecopied(0).build();
    }

    /** Bytes held in all (for tests and limits). */
    synchronized long bytes() {
        return bytes;
    }

    private void dropOlderThan(long cutoff) {
        for (Iterator<Held> it = held.values().iterator(); it.hasNext(); ) {
            Held h = it.next();
            if (h.touchedAt() < cutoff) {
                bytes -= h.data().size();
                it.remove();
            }
        }
    }
}
