package dev.handoff.cli;

import dev.handoff.agent.app.PatternStream;
import dev.handoff.agent.link.Faults;
import dev.handoff.agent.sim.SimNetwork;
import dev.handoff.agent.sim.StreamApp;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.tcp.TcpConnection;
import dev.handoff.agent.tcp.TcpStack;
import dev.handoff.agent.wire.Ipv4Address;
import java.util.HexFormat;

/**
 * The engine-only demo ({@code handoff demo --engine-only}): two Handoff TCP engines move
 * a stream each way through a simulated channel that loses, reorders, duplicates and
 * corrupts packets; every byte must arrive intact. Needs no root and no network.
 */
final class EngineDemo {
    /** Megabytes each side sends. */
    private final int megabytes;
    /** Packet loss probability. */
    private final double loss;
    /** Seed of the channel. */
    private final long seed;

    EngineDemo(int megabytes, double loss, long seed) {
        this.megabytes = megabytes;
        this.loss = loss;
        this.seed = seed;
    }

    int run() {
        if (loss < 0 || loss > 0.5) {
            System.err.println("demo: --loss must be 0..0.5, got " + loss);
            return 2;
        }
        int a = Ipv4Address.parse("10.0.0.1");
        int b = Ipv4Address.parse("10.0.0.2");
        Faults faults = new Faults(loss, loss / 10, loss / 2, loss / 10, 1, 4);
        System.out.printf("Two Handoff TCP engines, %s and %s, each sending %d MB over a channel with %.1f%% loss,"
                + " %.2f%% duplication, %.1f%% reordering, %.2f%% corruption.%n",
                Ipv4Address.format(a), Ipv4Address.format(b), megabytes, loss * 100, loss * 10, loss * 50, loss * 10);
        SimNetwork net = new SimNetwork(seed, faults);
        TcpStack sa = net.addHost(a, TcpConfig.defaults());
        TcpStack sb = net.addHost(b, TcpConfig.defaults());
        sb.listen(b, 80);
        long bytes = (long) megabytes << 20;
        PatternStream fromA = new PatternStream(seed * 2);
        PatternStream fromB = new PatternStream(seed * 2 + 1);
        StreamApp appA = new StreamApp(sa.connect(0, a, 0, b, 80), fromA, fromB, bytes);
        StreamApp appB = null;
        long start = System.nanoTime();
        long lastReport = start;
        while (appB == null || !(appA.done() && appB.done())) {
            if (appB == null) {
                TcpConnection c = sb.accept(80);
                if (c != null) {
                    appB = new StreamApp(c, fromB, fromA, bytes);
                }
            }
            boolean progress = appA.pump() | (appB != null && appB.pump());
            if (progress) {
                net.pollAll();
            }
            if (!net.step()) {
                System.err.println("demo: the transfer stalled; this is a bug, please report it with --seed " + seed);
                return 1;
            }
            long t = System.nanoTime();
            if (t - lastReport > 1_000_000_000L && appB != null) {
                lastReport = t;
                System.out.printf("  %5.1f%%  A received %d MB, B received %d MB%n",
                        50.0 * (appA.received() + appB.received()) / bytes, appA.received() >> 20, appB.received() >> 20);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        HexFormat hex = HexFormat.of();
        String sentA = hex.formatHex(appA.sentDigest());
        String gotB = hex.formatHex(appB.receivedDigest());
        String sentB = hex.formatHex(appB.sentDigest());
        String gotA = hex.formatHex(appA.receivedDigest());
        System.out.printf("A -> B  sha256 sent %s%n        sha256 recv %s  %s%n", sentA, gotB, sentA.equals(gotB) ? "EQUAL" : "DIFFERENT");
        System.out.printf("B -> A  sha256 sent %s%n        sha256 recv %s  %s%n", sentB, gotA, sentB.equals(gotA) ? "EQUAL" : "DIFFERENT");
        System.out.printf("%d packets, %d dropped by the channel, %d refused as corrupt, %d retransmitted%n",
                net.sent(), net.dropped(), net.malformed(), sa.counters().retransmits + sb.counters().retransmits);
        System.out.printf("goodput %.2f Gbit/s of payload (both directions, one core, %.2f s wall clock)%n",
                2.0 * bytes * 8 / seconds / 1e9, seconds);
        return sentA.equals(gotB) && sentB.equals(gotA) ? 0 : 1;
    }
}
