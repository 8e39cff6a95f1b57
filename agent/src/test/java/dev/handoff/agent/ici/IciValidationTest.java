package dev.handoff.agent.ici;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.link.Faults;
import dev.handoff.agent.sim.SimNetwork;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpStack;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.Ici;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each validation rule: an ICI breaking it is refused, naming the field; a valid one passes. */
class IciValidationTest {
    static final int A = Ipv4Address.parse("10.0.0.1");
    static final int B = Ipv4Address.parse("10.0.0.2");
    static final TcpConfig CONFIG = TcpConfig.defaults();
    static final IciLimits LIMITS = new IciLimits(CONFIG, ip -> ip == B, Set.of("echo"), 4096);

    /** A real ICI: B's end of a connection with data in flight both ways. */
    static Ici valid() {
        SimNetwork net = new SimNetwork(1, Faults.NONE);
        TcpStack sa = net.addHost(A, CONFIG);
        TcpStack sb = net.addHost(B, CONFIG);
        sb.listen(B, 7);
        TcpConnection a = sa.connect(0, A, 0, B, 7);
        TcpConnection b = null;
        while (b == null) {
            net.step();
            b = sb.accept(7);
        }
        a.send(new byte[50_000], 0, 50_000);
        b.send(new byte[30_000], 0, 30_000);
        net.pollAll();
        net.step();
        return IciCodec.encode(b.snapshot(), net.now(), 1_000_000, "echo", new byte[0], 3, true);
    }

    @Test
    void aValidIciDecodesAndContinuesTheTimestampClock() throws InvalidIciException {
        Ici ici = valid();
        IciCodec.Decoded d = IciCodec.decode(ici, LIMITS, 500, 1_000_250);
        assertEquals("echo", d.application());
        assertEquals(ici.getTsGen() + 250, d.endpoint().tsVal(500), "TSval = ts_gen + wall time elapsed");
        assertTrue(d.withCongestion());
        assertTrue(ici.getSendQueue().size() > 0, "the ICI carries unacknowledged bytes");
    }

    @Test
    void eachRuleNamesItsField() {
        Ici valid = valid();
        for (IciBreakages.Breakage b : IciBreakages.all(LIMITS)) {
            Ici broken = b.apply(valid);
            assertEquals(b.field(), assertThrows(InvalidIciException.class,
                    () -> IciCodec.decode(broken, LIMITS, 0, 1_000_000)).field(), "the rule on " + b.field());
        }
    }

    @Test
    void aRefusedIciExplainsItself() {
        Ici broken = valid().toBuilder().setSndWscale(20).build();
        InvalidIciException e = assertThrows(InvalidIciException.class, () -> IciCodec.decode(broken, LIMITS, 0, 0));
        assertEquals("ICI field snd_wscale: 20 exceeds 14 (RFC 7323 §2.3)", e.getMessage());
    }

}
