package dev.handoff.agent.ici;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.handoff.proto.v1.Ici;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the codec copies and what it does not. */
class IciCodecTest {

    @Test
    void aDecodedSendQueueIsTheIcisOwnPiecesNotACopy() throws InvalidIciException {
        Ici valid = IciValidationTest.valid();
        byte[] queue = valid.getSendQueue().toByteArray();
        int half = queue.length / 2;
        byte[] front = Arrays.copyOfRange(queue, 0, half);
        byte[] back = Arrays.copyOfRange(queue, half, queue.length);
        // A pre-copy spliced in front of the ICI's own tail: a rope of two pieces.
        ByteString rope = UnsafeByteOperations.unsafeWrap(front).concat(UnsafeByteOperations.unsafeWrap(back));
        Ici ici = valid.toBuilder().setSendQueue(rope).build();

        List<ByteBuffer> pieces = IciCodec.decode(ici, IciValidationTest.LIMITS, 0, 1_000_000).endpoint().sendQueue();

        assertEquals(2, pieces.size(), "one view per piece of the rope");
        assertEquals(queue.length, pieces.get(0).remaining() + pieces.get(1).remaining());
        front[0] ^= 1; // only to see where the views read: nothing writes an ICI's bytes
        assertEquals(front[0], pieces.get(0).get(pieces.get(0).position()), "the view reads the ICI's array itself");
        byte[] got = new byte[queue.length];
        pieces.get(0).duplicate().get(got, 0, half);
        pieces.get(1).duplicate().get(got, half, queue.length - half);
        front[0] ^= 1;
        got[0] ^= 1;
        assertArrayEquals(queue, got);
    }
}
