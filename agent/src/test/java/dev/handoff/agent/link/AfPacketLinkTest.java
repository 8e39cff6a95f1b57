package dev.handoff.agent.link;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Frames through real packet sockets on the two ends of a veth pair (needs root, as CI is). */
class AfPacketLinkTest {
    /** An EtherType nothing else on the pair sends (IEEE local experimental). */
    private static final int ETHER_TYPE = 0x88B6;

    @Test
    void framesCrossWhole() throws Exception {
        try (Veth veth = Veth.create("hxafp"); AfPacketLink a = AfPacketLink.open(veth.end());
             AfPacketLink b = AfPacketLink.open(veth.peerEnd())) {
            byte[] frame = frame(a.mac(), b.mac(), 300, 7);
            a.send(frame, 0, frame.length);
            byte[][] got = new byte[1][];
            for (int i = 0; i < 100 && got[0] == null; i++) {
                b.receive((buf, off, len) -> {
                    if (etherType(buf, off) == ETHER_TYPE) {
                        got[0] = Arrays.copyOfRange(buf, off, off + len);
                    }
                }, 10);
            }
            assertArrayEquals(frame, got[0]);
        }
    }

    /**
     * No call on the event loop's path captures errno, which made the JDK slice its capture
     * segment on every call: ~40 MB a minute in a busy agent, where the loop's code is too large
     * for C2 to scalar-replace them, and the young collections that followed paused every loop
     * for ~12 ms. Measured cold (the interpreter and C1 scalar-replace nothing, so what the path
     * allocates shows): ~50 bytes per frame sent and received (FFM's own plumbing, gone once
     * compiled), against ~210 when every call captured errno.
     */
    @Test
    void sendingAndReceivingCaptureNoErrnoPerFrame() throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Veth veth = Veth.create("hxafp"); AfPacketLink a = AfPacketLink.open(veth.end());
             AfPacketLink b = AfPacketLink.open(veth.peerEnd())) {
            byte[] frame = frame(a.mac(), b.mac(), 200, 3);
            int[] received = new int[1];
            FrameReceiver count = (buf, off, len) -> received[0] += etherType(buf, off) == ETHER_TYPE ? 1 : 0;
            exchange(a, b, frame, count, 100, received); // classes loaded, the sockets settled
            long before = threads.getCurrentThreadAllocatedBytes();
            int frames = 2_000;
            exchange(a, b, frame, count, frames, received);
            long perFrame = (threads.getCurrentThreadAllocatedBytes() - before) / frames;
            assertTrue(perFrame < 128, perFrame + " bytes allocated per frame sent and received");
        }
    }

    /** Sends {@code n} frames from {@code a}, each received at {@code b} before the next leaves. */
    private static void exchange(AfPacketLink a, AfPacketLink b, byte[] frame, FrameReceiver count, int n, int[] received) {
        for (int i = 0; i < n; i++) {
            int want = received[0] + 1;
            a.send(frame, 0, frame.length);
            for (int tries = 0; received[0] < want; tries++) {
                if (tries >= 1000) {
                    fail("frame " + i + " never arrived");
                }
                b.receive(count, 10);
            }
        }
    }

    private static byte[] frame(long from, long to, int length, int seed) {
        byte[] f = new byte[length];
        for (int i = 0; i < 6; i++) {
            f[i] = (byte) (to >>> (40 - 8 * i));
            f[6 + i] = (byte) (from >>> (40 - 8 * i));
        }
        f[12] = (byte) (ETHER_TYPE >>> 8);
        f[13] = (byte) ETHER_TYPE;
        for (int i = 14; i < length; i++) {
            f[i] = (byte) (i * seed);
        }
        return f;
    }

    private static int etherType(byte[] buf, int off) {
        return (buf[off + 12] & 0xff) << 8 | buf[off + 13] & 0xff;
    }
}
