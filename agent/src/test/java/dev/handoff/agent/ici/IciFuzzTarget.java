package dev.handoff.agent.ici;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.handoff.agent.tcp.SegmentSink;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpStack;
import dev.handoff.proto.v1.Ici;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Fuzz target (Jazzer) of the ICI decoder and validator, as a trusted-but-buggy agent could
 * feed them: bytes are parsed as an Ici, validated and decoded; what passes is re-created in a
 * TCP stack and polled, which must not fail. Any exception other than the decoder's refusals
 * ({@link InvalidProtocolBufferException}, {@link InvalidIciException}) is a finding.
 */
public final class IciFuzzTarget {
    /** The limits of a default agent that may take any address and runs echo and files. */
    static final IciLimits LIMITS = new IciLimits(TcpConfig.defaults(), ip -> true, Set.of("echo", "files"), 1 << 20);

    private IciFuzzTarget() {
    }

    /** One input: a serialized Ici. */
    public static void fuzzerTestOneInput(byte[] bytes) {
        IciCodec.Decoded d;
        try {
            d = IciCodec.decode(Ici.parseFrom(bytes), LIMITS, 1000, 1_000_000, 0);
        } catch (InvalidProtocolBufferException | InvalidIciException e) {
            return; // refused as it should be
        }
        TcpStack stack = new TcpStack(TcpConfig.defaults(), new SplittableRandom(1));
        TcpConnection c = stack.restore(1000, d.endpoint(), d.withCongestion());
        byte[] buf = new byte[70_000];
        stack.poll(1001, c, new SegmentSink() {
            @Override
            public byte[] buffer() {
                return buf;
            }

            @Override
            public void send(int sourceIp, int destinationIp, int len, int gsoSize) {
                if (len < 20 || len > buf.length) {
                    throw new AssertionError("emitted a segment of " + len + " bytes");
                }
            }
        });
    }
}
