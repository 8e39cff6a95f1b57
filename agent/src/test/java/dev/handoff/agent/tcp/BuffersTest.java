package dev.handoff.agent.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The send and receive rings against a plain-array model: wrap-around, growth, adopted pieces, reassembly. */
class BuffersTest {

    @Test
    void sendBufferKeepsBytesInOrderAcrossWrapsAndGrowth() {
        SplittableRandom r = new SplittableRandom(1);
        byte[] stream = new byte[5_000_000];
        r.nextBytes(stream);
        writeReadAndAcknowledge(new SendBuffer(300_000), stream, 0, r);
    }

    @Test
    void aBufferThatFillsTakesTheRingOfOneReleasedAndKeepsItsBytes() {
        SplittableRandom r = new SplittableRandom(7);
        TcpCounters counters = new TcpCounters();
        RingPool pool = new RingPool(counters);
        SendBuffer gone = new SendBuffer(300_000);
        gone.drawFrom(pool);
        byte[] old = new byte[300_000];
        r.nextBytes(old);
        assertEquals(300_000, gone.write(old, 0, old.length));
        gone.release();
        assertEquals(0, gone.length(), "released: it holds nothing any more");

        SendBuffer small = new SendBuffer(300_000);
        small.drawFrom(pool);
        assertEquals(30_000, small.write(old, 0, 30_000));
        assertEquals(0, counters.ringsReused, "a buffer that stays small allocates its own ring");

        SendBuffer next = new SendBuffer(300_000);
        next.drawFrom(pool);
        byte[] stream = new byte[3_000_000];
        r.nextBytes(stream);
        writeReadAndAcknowledge(next, stream, 0, r);
        assertEquals(1, counters.ringsReused, "the buffer that filled took the released ring");
        next.release();
        SendBuffer again = new SendBuffer(300_000);
        again.drawFrom(pool);
        writeReadAndAcknowledge(again, stream, 0, r);
        assertEquals(2, counters.ringsReused, "and gave it back when released");
    }

    /**
     * Writes {@code stream} from {@code written} into {@code b} (which holds the bytes before) in
     * random pieces, checking random reads against the stream and acknowledging random amounts,
     * until every byte is acknowledged.
     */
    static void writeReadAndAcknowledge(SendBuffer b, byte[] stream, long written, SplittableRandom r) {
        long acked = 0;
        while (acked < stream.length) {
            int n = (int) Math.min(r.nextInt(100_000), stream.length - written);
            written += b.write(stream, (int) written, n);
            assertTrue(b.length() <= b.capacity());
            int off = r.nextInt(b.length() + 1);
            int len = r.nextInt(b.length() - off + 1);
            byte[] got = new byte[len];
            b.copy(off, got, 0, len);
            assertArrayEquals(Arrays.copyOfRange(stream, (int) acked + off, (int) acked + off + len), got);
            int ack = r.nextInt(b.length() + 1);
            b.discard(ack);
            acked += ack;
        }
        assertEquals(0, b.length());
    }

    @Test
    void sendBufferReadsAdoptedPiecesInPlaceThenItsRing() {
        SplittableRandom r = new SplittableRandom(3);
        for (int round = 0; round < 50; round++) {
            int limit = 1 + r.nextInt(400_000);
            byte[] stream = new byte[2_000_000];
            r.nextBytes(stream);
            // The adopted stretch in pieces of random sizes (some empty), read-only views of a larger array.
            int adopted = r.nextInt(limit + 1);
            List<ByteBuffer> pieces = new ArrayList<>();
            byte[] backing = Arrays.copyOf(stream, adopted + 10);
            for (int at = 0; at < adopted; ) {
                int n = Math.min(adopted - at, r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(50_000));
                pieces.add(ByteBuffer.wrap(backing, at, n).asReadOnlyBuffer());
                at += n;
            }
            SendBuffer b = new SendBuffer(limit);
            b.adopt(pieces);
            assertEquals(adopted, b.length());
            writeReadAndAcknowledge(b, stream, adopted, r);
        }
    }

    @Test
    void sendBufferAdoptsOnlyWhenEmptyAndWithinItsLimit() {
        SendBuffer b = new SendBuffer(10);
        assertThrows(IllegalStateException.class, () -> b.adopt(List.of(ByteBuffer.allocate(11))));
        b.write(new byte[1], 0, 1);
        assertThrows(IllegalStateException.class, () -> b.adopt(List.of(ByteBuffer.allocate(1))));
    }

    @Test
    void receiveBufferReassemblesRandomSegmentsAcrossWrapsAndGrowth() {
        SplittableRandom r = new SplittableRandom(2);
        int capacity = 200_000;
        ReceiveBuffer b = new ReceiveBuffer(capacity, 16);
        byte[] stream = new byte[3_000_000];
        r.nextBytes(stream);
        int base = 0x7fff_0000; // sequence numbers wrap past 2^31 too
        int rcvNxt = base;
        int read = 0;
        byte[] out = new byte[stream.length];
        while (read < stream.length) {
            int inOrder = rcvNxt - base;
            int window = capacity - b.unread();
            if (window > 0 && inOrder < stream.length) {
                int delta = r.nextInt(4) == 0 ? 0 : r.nextInt(window);
                int len = Math.min(1 + r.nextInt(3000), Math.min(window - delta, stream.length - inOrder - delta));
                if (len > 0) {
                    int seq = rcvNxt + delta;
                    if (!b.wouldOverflow(seq, seq + len)) {
                        rcvNxt = b.write(rcvNxt, seq, stream, inOrder + delta, len);
                    }
                }
            }
            read += b.read(out, read, r.nextInt(5000));
        }
        assertArrayEquals(stream, out);
    }
}
