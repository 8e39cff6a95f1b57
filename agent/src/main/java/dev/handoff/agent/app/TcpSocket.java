package dev.handoff.agent.app;

import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.ConnectionDriver;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.tcp.TcpState;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A blocking socket over a Handoff connection, for ordinary Java code (best on virtual
 * threads): {@link #getInputStream()} and {@link #getOutputStream()} block until data or
 * room is there. Every call hops to the connection's event loop, so it is simple, not fast.
 */
public final class TcpSocket implements AutoCloseable {
    /** Guards {@link #changed}. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every activity of the connection. */
    private final Condition changed = lock.newCondition();
    /** The connection, once created. */
    private volatile Connection connection;
    /** Why it closed, once it has. */
    private volatile String closedReason;

    private TcpSocket() {
    }

    /** Connects from {@code localIp} (a VIP of {@code host}) to {@code remoteIp:port}; waits until established. */
    public static TcpSocket connect(Host host, int localIp, int remoteIp, int port, long timeoutMs) throws IOException {
        TcpSocket s = new TcpSocket();
        try {
            s.connection = host.connect(localIp, remoteIp, port, s.driver()).get(timeoutMs, TimeUnit.MILLISECONDS);
            long deadline = System.nanoTime() + timeoutMs * 1_000_000;
            while (s.onLoop(() -> s.connection.state() == TcpState.SYN_SENT || s.connection.state() == TcpState.SYN_RECEIVED)) {
                if (s.closedReason != null) {
                    throw new IOException("connect to port " + port + " failed: " + s.closedReason);
                }
                if (!s.await(deadline)) {
                    throw new IOException("connect to port " + port + " timed out after " + timeoutMs + " ms");
                }
            }
            if (s.closedReason != null) {
                throw new IOException("connect to port " + port + " failed: " + s.closedReason);
            }
            return s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting");
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("connect to port " + port + " failed: " + e.getMessage(), e);
        }
    }

    private ConnectionDriver driver() {
        return new ConnectionDriver() {
            @Override
            public void onActivity(Connection c) {
                signal();
            }

            @Override
            public void onClosed(Connection c, String reason) {
                closedReason = reason;
                signal();
            }
        };
    }

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits for activity until {@code deadline} (nanoTime); false when it passed. */
    private boolean await(long deadline) throws InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        lock.lock();
        try {
            changed.awaitNanos(Math.min(left, 50_000_000)); // re-check at least every 50 ms
        } finally {
            lock.unlock();
        }
        return true;
    }

    private <T> T onLoop(java.util.function.Supplier<T> work) throws IOException {
        try {
            return connection.onLoop(work).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    /** The connection's id, {@code local:port-remote:port}, as the host and the control API name it. */
    public String id() {
        return connection.id();
    }

    /** Bytes from the peer; read blocks until data or end of stream. */
    public InputStream getInputStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (true) {
                    int n = onLoop(() -> connection.read(b, off, len));
                    if (n != 0) {
                        return n;
                    }
                    if (closedReason != null && !"closed".equals(closedReason)) {
                        throw new IOException("connection " + connection.id() + ": " + closedReason);
                    }
                    try {
                        await(System.nanoTime() + 50_000_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading");
                    }
                }
            }
        };
    }

    /** Bytes to the peer; write blocks until all fit in the send buffer. */
    public OutputStream getOutputStream() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                int done = 0;
                while (done < len) {
                    int start = off + done;
                    int want = len - done;
                    int n = onLoop(() -> connection.isOutputShutdown() ? -1 : connection.write(b, start, want));
                    if (n < 0) {
                        throw new IOException("connection " + connection.id() + " is closed for writing"
                                + (closedReason != null ? ": " + closedReason : ""));
                    }
                    done += n;
                    if (n == 0) {
                        try {
                            await(System.nanoTime() + 50_000_000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new InterruptedIOException("interrupted while writing");
                        }
                    }
                }
            }
        };
    }

    /** Closes our side (FIN after what is queued). */
    @Override
    public void close() throws IOException {
        onLoop(() -> {
            connection.close();
            return null;
        });
    }
}
