package dev.handoff.agent.sim;

import dev.handoff.agent.app.PatternStream;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpState;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * An application on one end of a connection: sends {@code toSend} bytes of its pattern
 * stream, then closes; reads everything the peer sends, hashing it and checking every
 * byte against the peer's pattern.
 */
public final class StreamApp {
    /** The connection driven. */
    private final TcpConnection conn;
    /** What we send. */
    private final PatternStream out;
    /** What we expect to receive. */
    private final PatternStream in;
    /** Bytes to send in all. */
    private final long toSend;
    /** Bytes queued so far. */
    private long sent;
    /** Bytes received so far. */
    private long received;
    /** Hash of what we sent. */
    private final MessageDigest sentHash;
    /** Hash of what we received. */
    private final MessageDigest receivedHash;
    /** Scratch buffer. */
    private final byte[] buf = new byte[64 * 1024];
    /** The peer's end of stream was read. */
    private boolean eof;
    /** First received offset whose byte differed from the peer's pattern, or -1. */
    private long firstMismatch = -1;

    public StreamApp(TcpConnection conn, PatternStream out, PatternStream in, long toSend) {
        this(conn, out, in, toSend, newDigest(), newDigest());
    }

    private StreamApp(TcpConnection conn, PatternStream out, PatternStream in, long toSend,
                      MessageDigest sentHash, MessageDigest receivedHash) {
        this.conn = conn;
        this.out = out;
        this.in = in;
        this.toSend = toSend;
        this.sentHash = sentHash;
        this.receivedHash = receivedHash;
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /**
     * The same application continuing on a restored endpoint (its state moves with it,
     * as a handler's snapshot would).
     */
    public StreamApp continueOn(TcpConnection moved) {
        StreamApp next = new StreamApp(moved, out, in, toSend, sentHash, receivedHash);
        next.sent = sent;
        next.received = received;
        next.eof = eof;
        next.firstMismatch = firstMismatch;
        return next;
    }

    /** Writes what fits, reads what arrived, closes once everything is queued. Returns true if it did anything. */
    public boolean pump() {
        boolean progress = false;
        TcpState st = conn.state();
        boolean canSend = st == TcpState.ESTABLISHED || st == TcpState.CLOSE_WAIT;
        while (canSend && sent < toSend && conn.sendBufferFree() > 0) {
            int n = (int) Math.min(Math.min(buf.length, conn.sendBufferFree()), toSend - sent);
            out.fill(sent, buf, 0, n);
            int w = conn.send(buf, 0, n);
            sentHash.update(buf, 0, w);
            sent += w;
            progress = true;
        }
        if (canSend && sent == toSend) {
            conn.close();
            progress = true;
        }
        while (!eof) {
            int n = conn.receive(buf, 0, buf.length);
            if (n < 0) {
                eof = true;
                progress = true;
                break;
            }
            if (n == 0) {
                break;
            }
            int bad = in.mismatch(received, buf, 0, n);
            if (bad >= 0 && firstMismatch < 0) {
                firstMismatch = received + bad;
            }
            receivedHash.update(buf, 0, n);
            received += n;
            progress = true;
        }
        return progress;
    }

    /** Everything was sent and closed, and the peer's end of stream was read. */
    public boolean done() {
        return sent == toSend && eof;
    }

    /** Bytes received. */
    public long received() {
        return received;
    }

    /** Bytes queued for sending. */
    public long sent() {
        return sent;
    }

    /** First received offset that differed from the expected stream, or -1. */
    public long firstMismatch() {
        return firstMismatch;
    }

    /** SHA-256 of what was sent so far (call once, at the end). */
    public byte[] sentDigest() {
        return sentHash.digest();
    }

    /** SHA-256 of what was received so far (call once, at the end). */
    public byte[] receivedDigest() {
        return receivedHash.digest();
    }

    /** The connection driven. */
    public TcpConnection connection() {
        return conn;
    }
}
