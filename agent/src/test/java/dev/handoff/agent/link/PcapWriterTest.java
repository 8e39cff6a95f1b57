package dev.handoff.agent.link;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapWriterTest {
    @TempDir
    Path dir;

    @Test
    void framesCarryTheTimestampGiven() throws IOException {
        Path file = dir.resolve("given.pcap");
        try (PcapWriter w = new PcapWriter(file)) {
            w.frame(new byte[] {1, 2, 3}, 0, 3, 1_795_763_165_072_639L);
            w.frame(new byte[] {9, 8, 7, 6}, 1, 2, 1_795_763_165_999_999L);
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, b.getInt(0), "classic pcap, microseconds");
        b.position(24);
        assertRecord(b, 1_795_763_165L, 72_639, new byte[] {1, 2, 3});
        assertRecord(b, 1_795_763_165L, 999_999, new byte[] {8, 7});
        assertEquals(b.limit(), b.position());
    }

    /** Frames stamped "now" carry the wall clock to the microsecond, in order (not milliseconds with unrelated microseconds). */
    @Test
    void framesStampedNowLieBetweenTheClockReadingsAround() throws IOException {
        Path file = dir.resolve("now.pcap");
        long[] before = new long[50];
        long[] after = new long[50];
        try (PcapWriter w = new PcapWriter(file)) {
            for (int i = 0; i < before.length; i++) {
                before[i] = micros(Instant.now());
                w.frame(new byte[] {(byte) i}, 0, 1);
                after[i] = micros(Instant.now());
            }
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        b.position(24);
        for (int i = 0; i < before.length; i++) {
            long stamp = b.getInt() * 1_000_000L + b.getInt();
            b.position(b.position() + 8 + 1);
            assertTrue(before[i] <= stamp && stamp <= after[i],
                    "frame " + i + " stamped " + stamp + ", written between " + before[i] + " and " + after[i]);
        }
    }

    private static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000 + t.getNano() / 1000;
    }

    private static void assertRecord(ByteBuffer b, long seconds, int micros, byte[] payload) {
        assertEquals(seconds, Integer.toUnsignedLong(b.getInt()));
        assertEquals(micros, b.getInt());
        assertEquals(payload.length, b.getInt(), "captured length");
        assertEquals(payload.length, b.getInt(), "original length");
        byte[] got = new byte[payload.length];
        b.get(got);
        assertArrayEquals(payload, got);
    }
}
