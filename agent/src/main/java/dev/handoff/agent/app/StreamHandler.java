package dev.handoff.agent.app;

import java.nio.ByteBuffer;

/**
 * The {@code stream} service, for tests and benchmarks: sends {@code sendBytes} bytes of
 * a deterministic pseudorandom stream (then closes its side), and consumes whatever the
 * peer sends keeping a running hash. Its whole state is five numbers, so a move or a
 * checkpoint regenerates exactly the bytes it would have sent.
 */
public final class StreamHandler implements Handler {
    /** FNV-1a 64-bit offset basis. */
    private static final long FNV_BASIS = 0xcbf29ce484222325L;
    /** FNV-1a 64-bit prime. */
    private static final long FNV_PRIME = 0x100000001b3L;

    /** Seed of the stream we send. */
    private long seed;
    /** Bytes to send in all. */
    private long sendBytes;
    /** Bytes written so far. */
    private long sent;
    /** Bytes received so far. */
    private long received;
    /** FNV-1a hash of everything received. */
    private long hash = FNV_BASIS;
    /** Generator of what we send. */
    private PatternStream pattern;

    StreamHandler(long seed, long sendBytes) {
        this.seed = seed;
        this.sendBytes = sendBytes;
        this.pattern = new PatternStream(seed);
    }

    /** A factory for a stream service sending {@code sendBytes} bytes of the stream seeded {@code seed}. */
    public static HandlerFactory factory(long seed, long sendBytes) {
        if (sendBytes < 0) {
            throw new IllegalArgumentException("stream: bytes to send must not be negative, got " + sendBytes);
        }
        return new HandlerFactory() {
            @Override
            public String name() {
                return "stream";
            }

            @Override
            public Handler create() {
                return new StreamHandler(seed, sendBytes);
            }
        };
    }

    /** FNV-1a 64 of {@code len} bytes, continuing {@code h} (start with the basis). */
    public static long fnv1a(long h, byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            h = (h ^ (b[i] & 0xff)) * FNV_PRIME;
        }
        return h;
    }

    /** The FNV-1a 64 basis, for callers hashing from scratch. */
    public static long fnvBasis() {
        return FNV_BASIS;
    }

    @Override
    public void onOpen(Channel ch) {
        ch.wantWrite(sent < sendBytes);
        onWritable(ch);
    }

    @Override
    public void onReadable(Channel ch) {
        byte[] buf = Scratch.buffer();
        int n;
        while ((n = ch.read(buf, 0, buf.length)) > 0) {
            hash = fnv1a(hash, buf, 0, n);
            received += n;
        }
        if (n < 0 && sent >= sendBytes && !ch.isOutputShutdown()) {
            ch.close();
        }
    }

    @Override
    public void onWritable(Channel ch) {
        byte[] buf = Scratch.buffer();
        while (sent < sendBytes) {
            int n = (int) Math.min(Math.min(buf.length, ch.writable()), sendBytes - sent);
            if (n == 0) {
                return; // onWritable again when the peer acknowledges
            }
            pattern.fill(sent, buf, 0, n);
            sent += ch.write(buf, 0, n);
        }
        ch.wantWrite(false);
        if (sendBytes > 0 && !ch.isOutputShutdown()) {
            ch.close(); // all sent: half-close; a consume-only stream closes when the peer does
        }
    }

    /** Bytes received so far. */
    public long received() {
        return received;
    }

    /** FNV-1a of what was received. */
    public long receivedHash() {
        return hash;
    }

    @Override
    public byte[] snapshot() {
        return ByteBuffer.allocate(40).putLong(seed).putLong(sendBytes).putLong(sent).putLong(received)
                .putLong(hash).array();
    }

    @Override
    public void restore(byte[] state) {
        if (state.length != 40) {
            throw new IllegalArgumentException("stream state must be 40 bytes, got " + state.length);
        }
        ByteBuffer b = ByteBuffer.wrap(state);
        seed = b.getLong();
        sendBytes = b.getLong();
        sent = b.getLong();
        received = b.getLong();
        hash = b.getLong();
        if (sent < 0 || sent > sendBytes || received < 0) {
            throw new IllegalArgumentException("stream state is inconsistent: sent " + sent + " of " + sendBytes
                    + ", received " + received);
        }
        pattern = new PatternStream(seed);
    }
}
