package dev.handoff.agent.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The send and receive rings against a plain-array model: wrap-around, growth, reassembly. */
class BuffersTest {

    @Test
    void sendBufferKeepsBytesInOrderAcrossWrapsAndGrowth() {
        SplittableRandom r = new SplittableRandom(1);
        SendBuffer b = new SendBuffer(300_000);
        byte[] stream = new byte[5_000_000];
        r.nextBytes(stream);
        long written = 0;
        long acked = 0;
        while (acked < stream.length) {
            int n = (int) Math.min(r.nextInt(100_000), stream.length - written);
            written += b.write(stream, (int) written, n);
            assertTrue(b.length() <= 300_000);
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
