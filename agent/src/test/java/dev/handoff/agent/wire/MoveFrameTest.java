package dev.handoff.agent.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Move frames: a body cut into frames within one Ethernet payload and read back, the seal in the first. */
class MoveFrameTest {
    static final long A = MacAddress.parse("02:00:00:00:00:0a");
    static final long B = MacAddress.parse("02:00:00:00:00:0b");

    @Test
    void aBodyIsCutIntoFramesThatReadBackToIt() throws Exception {
        byte[] seal = new byte[32];
        seal[0] = 7;
        for (int size : new int[] {6, 1446, 1447, 5000, 60_000}) {
            byte[] body = new byte[size];
            new SplittableRandom(size).nextBytes(body);
            List<byte[]> frames = MoveFrame.writeAll(B, A, MoveFrame.ICI, 0x0a090002, 40000, 80, -5L, seal, body);
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            MoveFrame view = new MoveFrame();
            for (int i = 0; i < frames.size(); i++) {
                byte[] f = frames.get(i);
                assertTrue(f.length - EthernetFrame.HEADER_LENGTH <= MoveFrame.MAX_PAYLOAD, "frame " + i + " of " + size);
                view.wrap(f, EthernetFrame.HEADER_LENGTH, f.length - EthernetFrame.HEADER_LENGTH);
                assertEquals(i, view.fragment());
                assertEquals(frames.size(), view.fragments());
                assertEquals(-5L, view.token());
                assertEquals(0x0a090002, view.remoteIp());
                assertEquals(40000, view.remotePort());
                assertEquals(80, view.localPort());
                assertArrayEquals(i == 0 ? seal : new byte[0], view.seal());
                back.writeBytes(view.body());
            }
            assertArrayEquals(body, back.toByteArray(), size + " bytes");
            int first = MoveFrame.MAX_PAYLOAD - 22 - 32; // the header and the seal leave 1,446 bytes in the first
            int rest = MoveFrame.MAX_PAYLOAD - 22;
            assertEquals(size <= first ? 1 : 1 + (size - first + rest - 1) / rest, frames.size(), size + " bytes");
        }
    }

    @Test
    void aBodyBeyondTheFragmentsAllowedIsNotCut() {
        assertNull(MoveFrame.writeAll(B, A, MoveFrame.ICI, 1, 2, 3, 4, new byte[32], new byte[MoveFrame.MAX_FRAGMENTS * 1500]));
        assertNull(MoveFrame.write(B, A, MoveFrame.ANSWER, 1, 2, 3, 4, new byte[32], new byte[1500]), "an answer is one frame");
    }

    @Test
    void aFrameWithAFragmentBeyondItsCountOrASealPastItsEndIsMalformed() {
        byte[] f = MoveFrame.write(B, A, MoveFrame.ICI, 1, 2, 3, 4, new byte[32], new byte[10]);
        int p = EthernetFrame.HEADER_LENGTH;
        f[p + 18] = 1; // fragment 1 of 1
        assertThrows(MalformedPacketException.class, () -> new MoveFrame().wrap(f, p, f.length - p));
        f[p + 18] = 0;
        f[p + 21] = 100; // a 100-byte seal in a frame with 42 bytes after the header
        assertThrows(MalformedPacketException.class, () -> new MoveFrame().wrap(f, p, f.length - p));
        f[p + 21] = 32;
        f[p] = 2; // version 2
        assertThrows(MalformedPacketException.class, () -> new MoveFrame().wrap(f, p, f.length - p));
    }
}
