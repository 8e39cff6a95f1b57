package dev.handoff.agent.host;

import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpState;
import dev.handoff.agent.wire.Ipv4Address;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A connection as drivers see it: read, write, close, on the host's event loop only.
 * Writes and reads tell the host, so the engine is polled right after the driver returns.
 */
public final class Connection {
    /**
     * Most bytes an application writes in one turn, before its connection is polled: a
     * refill of a drained 4 MB buffer (after a move) leaves in bursts as it is written, not
     * once all of it is, and one application cannot keep the loop from the others for long.
     */
    public static final int WRITE_TURN = 128 << 10;
    /** The engine's endpoint. */
    private final TcpConnection tcp;
    /** The host that runs it. */
    private final HostLoop host;
    /** Identifier for logs and the control API: local:port-remote:port. */
    private final String id;
    /** When it was opened, ms since the epoch. */
    private final long openedAt;
    /** Bytes read by the application. */
    private long bytesIn;
    /** Bytes written by the application. */
    private long bytesOut;
    /** Dumps of this connection for moves so far, carried in its ICIs (replay protection). */
    private long incarnation;
    /** A sequence number whose position in the send stream is {@link #streamBase}. */
    private int streamBaseSeq;
    /** Position of {@link #streamBaseSeq} in the send stream (bytes since the SYN; carried in the ICI). */
    private long streamBase;
    /** The driver. */
    ConnectionDriver driver;
    /** The application may not write now (loop only; see {@link #holdWrites}). */
    private boolean writesHeld;
    /** Bytes the application may still write in this turn (see {@link #WRITE_TURN}). */
    private int turnLeft = WRITE_TURN;
    /** onClosed was delivered. */
    boolean closedNotified;

    Connection(TcpConnection tcp, HostLoop host, long openedAt) {
        this.tcp = tcp;
        this.host = host;
        this.openedAt = openedAt;
        this.id = id(tcp.localIp(), tcp.localPort(), tcp.remoteIp(), tcp.remotePort());
        this.streamBaseSeq = tcp.iss() + 1;
    }

    /** Position of sequence number {@code seq} (at or after the last {@link #rebaseStream}) in the send stream. */
    public long streamOffset(int seq) {
        return streamBase + Integer.toUnsignedLong(seq - streamBaseSeq);
    }

    /** Makes {@code seq} the reference of {@link #streamOffset}, so that offsets stay exact past 2^32 bytes. */
    public void rebaseStream(int seq) {
        streamBase = streamOffset(seq);
        streamBaseSeq = seq;
    }

    /**
     * Sets the send stream position of SND.UNA (of the data: {@link TcpConnection#sndUnaData}),
     * so that a restored endpoint continues its origin's numbering.
     */
    void startStreamAt(long offsetOfSndUna) {
        streamBaseSeq = tcp.sndUnaData();
        streamBase = offsetOfSndUna;
    }

    /** Bytes of the send stream: {@code data} starts at stream position {@code offset}. */
    public record SendCopy(long offset, byte[] data) {
    }

    /**
     * A copy of the send stream (written by the application, not yet acknowledged by the
     * peer, unchanged until then) from stream position {@code from}, or from SND.UNA if that
     * is later, to what was written, at most {@code max} bytes: what a checkpoint appends to
     * the store and a pre-copy sends ahead of a move. On the host's loop.
     */
    public SendCopy copySendStream(long from, int max) {
        int unaSeq = tcp.sndUnaData(); // past an acknowledged FIN, SND.UNA is one beyond the data
        long una = streamOffset(unaSeq);
        long start = Math.max(from, una);
        int n = (int) Math.max(0, Math.min(max, streamOffset(tcp.writtenEnd()) - start));
        byte[] data = new byte[n];
        tcp.copyWritten(unaSeq + (int) (start - una), data, 0, n);
        return new SendCopy(start, data);
    }

    /** The application's state now (for a checkpoint), see {@link ConnectionDriver#snapshot()}. */
    public byte[] applicationState() {
        return driver == null ? new byte[0] : driver.snapshot();
    }

    /** See {@link ConnectionDriver#snapshotBefore(long)}; null for a strict application. */
    public byte[] applicationStateBefore(long unsent) {
        return driver == null ? null : driver.snapshotBefore(unsent);
    }

    /** Runs {@code work} on this connection's event loop (from any thread) and completes with its result. */
    public <T> CompletableFuture<T> onLoop(Supplier<T> work) {
        return host.call(work);
    }

    /** The id of the connection with this 4-tuple: local:port-remote:port (what the control API names it by). */
    public static String id(int localIp, int localPort, int remoteIp, int remotePort) {
        return Ipv4Address.format(localIp) + ":" + localPort + "-" + Ipv4Address.format(remoteIp) + ":" + remotePort;
    }

    /** The local address of connection id {@code id} ({@link #id}'s form); IllegalArgumentException if malformed. */
    public static int localIpOf(String id) {
        int dash = id.indexOf('-');
        int colon = dash < 0 ? -1 : id.lastIndexOf(':', dash);
        if (colon <= 0) {
            throw new IllegalArgumentException("connection id '" + id + "' is not LOCAL:PORT-REMOTE:PORT");
        }
        return Ipv4Address.parse(id.substring(0, colon));
    }

    /** Reads up to {@code len} bytes; returns the count, 0 if none yet, -1 at end of stream. */
    public int read(byte[] dst, int off, int len) {
        int n = tcp.receive(dst, off, len);
        if (n > 0) {
            bytesIn += n;
            host.touch(tcp);
        }
        return n;
    }

    /**
     * Writes up to {@code len} bytes; returns how many fit in the send buffer and in this turn
     * (0 when full, when the turn's {@link #WRITE_TURN} bytes are written: the connection is
     * given another turn once polled, or when held: {@link #holdWrites}).
     */
    public int write(byte[] src, int off, int len) {
        if (writesHeld) {
            return 0;
        }
        int n = tcp.send(src, off, Math.min(len, turnLeft));
        if (n > 0) {
            bytesOut += n;
            turnLeft -= n;
            host.touch(tcp); // polled after this turn, then given the next
        }
        return n;
    }

    /** Room for the application's writes now: in the send buffer and in this turn (none while writes are held). */
    public int writable() {
        return writesHeld ? 0 : Math.min(turnLeft, tcp.sendBufferFree());
    }

    /** A new turn of the application: it may write {@link #WRITE_TURN} bytes before its connection is polled again. */
    void newTurn() {
        turnLeft = WRITE_TURN;
    }

    /** Holds the application's writes back (the buffer drains before a move), or lets them go again. */
    void holdWrites(boolean hold) {
        boolean released = writesHeld && !hold;
        writesHeld = hold;
        if (released) {
            host.touch(tcp); // its driver tries again
        }
    }

    /** Bytes waiting to be read. */
    public int readable() {
        return tcp.available();
    }

    /** The peer closed its side and everything was read. */
    public boolean isEndOfStream() {
        return tcp.isEndOfStream();
    }

    /** Closes our side after the queued data (FIN). */
    public void close() {
        tcp.close();
        host.touch(tcp);
    }

    /** Resets the connection. */
    public void abort() {
        tcp.abort();
        host.touch(tcp);
    }

    /** The engine's state. */
    public TcpState state() {
        return tcp.state();
    }

    /** Our sending side is closed or the connection is gone. */
    public boolean isOutputShutdown() {
        TcpState s = tcp.state();
        return s != TcpState.ESTABLISHED && s != TcpState.CLOSE_WAIT && s != TcpState.SYN_RECEIVED;
    }

    /** local:port-remote:port. */
    public String id() {
        return id;
    }

    /** The engine's endpoint (for the ICI and diagnostics). */
    public TcpConnection tcp() {
        return tcp;
    }

    /** Bytes the application read. */
    public long bytesIn() {
        return bytesIn;
    }

    /** Bytes the application wrote. */
    public long bytesOut() {
        return bytesOut;
    }

    /** Name of the application driving it. */
    public String application() {
        return driver == null ? "" : driver.application();
    }

    /** When the connection was opened, ms since the epoch. */
    public long openedAt() {
        return openedAt;
    }

    @Override
    public String toString() {
        return id;
    }

    /** Dumps of this connection for moves so far. */
    public long incarnation() {
        return incarnation;
    }

    /** Sets the count of dumps for moves, from the ICI it was created from. */
    void incarnation(long n) {
        incarnation = n;
    }
}
