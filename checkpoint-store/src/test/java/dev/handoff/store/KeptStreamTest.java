package dev.handoff.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The kept send bytes of one connection: appends kept as they are, trims across them, retries, a replayed gap. */
class KeptStreamTest {
    static byte[] range(int from, int to) {
        byte[] b = new byte[to - from];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    @Test
    void appendsAndTrimsAcrossChunksKeepExactlyTheBytesFromTheTrimOn() {
        KeptStream s = new KeptStream();
        s.append(1000, range(0, 10));
        s.append(1010, range(10, 30));
        s.append(1025, range(25, 40)); // a retried write: its first 5 bytes are kept already
        assertEquals(1000, s.start());
        assertEquals(1040, s.end());
        assertArrayEquals(range(0, 40), s.toArray());

        s.trim(1015); // past the first chunk, into the second
        assertEquals(1015, s.start());
        assertArrayEquals(range(15, 40), s.toArray());
        s.trim(1010); // below what is kept: nothing
        assertEquals(25, s.length());
        s.append(1020, range(20, 35)); // wholly kept already
        assertArrayEquals(range(15, 40), s.toArray());

        s.trim(1040);
        assertEquals(0, s.length());
        s.append(5000, range(0, 3)); // an empty stream starts where its first bytes go
        assertEquals(5000, s.start());
        assertArrayEquals(range(0, 3), s.toArray());
    }

    @Test
    void aGapReplayedFromADamagedLogStartsTheStreamOverInsteadOfJoiningWrongOffsets() {
        KeptStream s = new KeptStream();
        s.append(0, range(0, 10));
        s.append(20, range(20, 25));
        assertEquals(20, s.start());
        assertArrayEquals(range(20, 25), s.toArray());
    }

    @Test
    void theAppendedArrayIsKeptNotCopied() {
        KeptStream s = new KeptStream();
        byte[] b = range(0, 4);
        s.append(0, b);
        Arrays.fill(b, (byte) 9); // a caller breaking the contract shows it: the store kept the array itself
        assertArrayEquals(new byte[] {9, 9, 9, 9}, s.toArray());
    }
}
