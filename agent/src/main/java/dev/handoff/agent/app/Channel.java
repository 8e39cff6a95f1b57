package dev.handoff.agent.app;

import dev.handoff.agent.host.Connection;

/** A handler's view of its connection. */
public final class Channel {
    /** The host's connection. */
    private final Connection connection;
    /** The handler wants {@link Handler#onWritable} calls. */
    private boolean wantWrite;

    Channel(Connection connection) {
        this.connection = connection;
    }

    /** Reads up to {@code len} bytes: the count, 0 when nothing is there yet, -1 at end of stream. */
    public int read(byte[] dst, int off, int len) {
        return connection.read(dst, off, len);
    }

    /** Writes what fits of {@code len} bytes; returns the count (0 when the send buffer is full). */
    public int write(byte[] src, int off, int len) {
        return connection.write(src, off, len);
    }

    /** Room in the send buffer. */
    public int writable() {
        return connection.writable();
    }

    /** Bytes ready to read. */
    public int readable() {
        return connection.readable();
    }

    /** Asks for (or stops) {@link Handler#onWritable} calls while there is room to write. */
    public void wantWrite(boolean want) {
        this.wantWrite = want;
    }

    /** {@link #wantWrite} is set. */
    public boolean wantsWrite() {
        return wantWrite;
    }

    /** Closes our side once the queued bytes are sent. */
    public void close() {
        connection.close();
    }

    /** Resets the connection. */
    public void abort() {
        connection.abort();
    }

    /** Our side is closed (or the connection is gone): writing is no longer possible. */
    public boolean isOutputShutdown() {
        return connection.isOutputShutdown();
    }

    /** local:port-remote:port. */
    public String id() {
        return connection.id();
    }
}
