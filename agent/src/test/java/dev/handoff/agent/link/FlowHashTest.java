package dev.handoff.agent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

/** Flows spread evenly over loops, also as real clients make them: one address, even ports, one server port. */
class FlowHashTest {
    static void assertEven(int[] perLoop, int flows) {
        for (int i = 0; i < perLoop.length; i++) {
            double share = perLoop[i] / (double) flows;
            double fair = 1.0 / perLoop.length;
            assertTrue(share > fair * 0.85 && share < fair * 1.15, "loop " + i + " of " + perLoop.length + " has "
                    + perLoop[i] + " of " + flows + " flows");
        }
    }

    @Test
    void linuxClientPortsToOneServerSpreadEvenly() {
        int client = Ipv4Address.parse("10.77.0.2");
        for (int loops = 2; loops <= 8; loops++) {
            int[] perLoop = new int[loops];
            int flows = 0;
            for (int port = 32768; port < 60999; port += 2) { // Linux's connect() takes even ports
                perLoop[FlowHash.loopOf(client, port, 80, loops)]++;
                flows++;
            }
            assertEven(perLoop, flows);
        }
    }

    @Test
    void manyClientsOnOnePortSpreadEvenly() {
        for (int loops = 2; loops <= 8; loops++) {
            int[] perLoop = new int[loops];
            for (int host = 1; host <= 4000; host++) {
                perLoop[FlowHash.loopOf(Ipv4Address.parse("10.77.0.0") + host, 40000, 443, loops)]++;
            }
            assertEven(perLoop, 4000);
        }
    }

    @Test
    void oneLoopTakesEverything() {
        assertEquals(0, FlowHash.loopOf(-1, 65535, 65535, 1));
    }
}
