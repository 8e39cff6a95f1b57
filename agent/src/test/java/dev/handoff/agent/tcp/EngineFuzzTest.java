package dev.handoff.agent.tcp;

import static dev.handoff.agent.tcp.EngineFixture.IRS;
import static dev.handoff.agent.tcp.EngineFixture.ISS;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.wire.TcpSegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Hostile peers: random segments (any flags, sequence and acknowledgment numbers near and
 * far from the windows, random options and payloads) at connections in every state.
 * No input may make the engine throw, and every segment it emits must parse.
 */
class EngineFuzzTest {

    @Test
    void randomSegmentsNeverMakeTheEngineThrow() {
        SplittableRandom r = new SplittableRandom(99);
        long fed = 0;
        for (int round = 0; round < 300; round++) {
            EngineFixture fx = new EngineFixture(TcpConfig.builder()
                    .receiveBufferSize(1 + r.nextInt(200_000)).sendBufferSize(1 + r.nextInt(200_000))
                    .maxOutOfOrderRanges(1 + r.nextInt(8)).build());
            TcpConnection c = fx.establish(r.nextBoolean());
            if (r.nextBoolean()) {
                c.send(new byte[5000], 0, 5000);
            }
            if (r.nextInt(4) == 0) {
                c.close();
            }
            for (int i = 0; i < 400; i++) {
                int flags = r.nextInt(64);
                int seq = near(r, IRS + 1);
                Seg s = fx.seg(flags).seq(seq).win(r.nextInt(65536));
                if ((flags & TcpSegment.ACK) != 0 || r.nextBoolean()) {
                    s.ack(near(r, ISS + 1));
                    s.h.flags = flags; // ack() sets ACK: keep the random flags as drawn
                }
                if (r.nextBoolean()) {
                    s.ts(100 + r.nextInt(1000) - 200, r.nextInt());
                }
                if (r.nextInt(4) == 0) {
                    s.mss(r.nextInt(65536)).ws(r.nextInt(30));
                }
                if (r.nextInt(3) == 0) {
                    s.sack(near(r, ISS + 1), near(r, ISS + 1));
                }
                if (r.nextBoolean()) {
                    s.data(new byte[r.nextInt(1500)]);
                }
                s.send();
                fed++;
                if (r.nextInt(3) == 0) {
                    c.receive(new byte[4096], 0, 4096);
                }
                fx.advance(r.nextInt(300));
                fx.poll(); // parses every emitted segment (checksum included)
                if (c.state() == TcpState.CLOSED) {
                    break;
                }
            }
            assertTrue(fx.stack.connectionCount() <= 1, "one connection at most");
        }
        assertTrue(fed > 30_000, "hostile segments fed: " + fed);
    }

    private static int near(SplittableRandom r, int base) {
        return switch (r.nextInt(4)) {
            case 0 -> base + r.nextInt(3000);
            case 1 -> base - r.nextInt(3000);
            case 2 -> base + r.nextInt(1 << 20);
            default -> r.nextInt();
        };
    }
}
