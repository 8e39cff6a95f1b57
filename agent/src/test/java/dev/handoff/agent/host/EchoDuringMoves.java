package dev.handoff.agent.host;

import dev.handoff.agent.app.TcpSocket;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;

/**
 * An echo transfer for migration tests: writes random data in chunks while reading the
 * echo back, and holds its last chunk until {@link #movesDone()} so that every move the
 * test makes happens while data is flowing.
 */
public final class EchoDuringMoves {
    /** What is sent. */
    private final byte[] data;
    /** What came back. */
    private final ByteArrayOutputStream got = new ByteArrayOutputStream();
    /** Released when the test's moves are over. */
    private final CountDownLatch moves = new CountDownLatch(1);
    private final Thread reader;
    private final Thread writer;

    /** Starts echoing {@code size} random bytes over {@code s} in {@code chunk}-byte writes. */
    public EchoDuringMoves(TcpSocket s, int size, int chunk, long seed) {
        data = new byte[size];
        new SplittableRandom(seed).nextBytes(data);
        reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = s.getInputStream()) {
                in.transferTo(got);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        writer = Thread.ofVirtual().start(() -> {
            try {
                OutputStream out = s.getOutputStream();
                for (int off = 0; off < data.length; off += chunk) {
                    if (off + chunk >= data.length) {
                        moves.await(); // the last chunk waits until every move is done
                    }
                    out.write(data, off, Math.min(chunk, data.length - off));
                    Thread.sleep(10); // data keeps flowing while the connection moves
                }
                s.close();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** The test's moves are over: the transfer may finish. */
    public void movesDone() {
        moves.countDown();
    }

    /** Waits for the transfer to end; returns what was sent and what came back. */
    public byte[][] finish() throws InterruptedException {
        writer.join(60_000);
        reader.join(60_000);
        return new byte[][] {data, got.toByteArray()};
    }
}
