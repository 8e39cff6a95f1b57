package dev.handoff.cli;

import dev.handoff.agent.link.FaultyLink;
import dev.handoff.agent.link.Faults;
import dev.handoff.agent.link.PacketLink;
import dev.handoff.agent.link.PcapLink;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code handoff relay}: forwards every ARP and IPv4 frame between two interfaces, injecting
 * seeded loss, duplication, reordering, delay and corruption ({@code tc netem} is not
 * available here). Used by the impaired-path tests between the peer and the agents.
 */
@Command(name = "relay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Relays frames between two interfaces with seeded impairments, both directions.",
            "Example: sudo handoff relay --between r-peer r-br --loss 0.03 --reorder 0.02 --delay-ms 5"})
final class RelayCommand implements Callable<Integer> {
    @Option(names = "--between", arity = "2", required = true, paramLabel = "IFACE",
            description = "The two interfaces to join.")
    List<String> between;

    @Option(names = "--loss", defaultValue = "0", description = "Probability a frame is dropped (default ${DEFAULT-VALUE}).")
    double loss;

    @Option(names = "--duplicate", defaultValue = "0", description = "Probability a frame is sent twice (default ${DEFAULT-VALUE}).")
    double duplicate;

    @Option(names = "--reorder", defaultValue = "0", description = "Probability a frame is held back up to --jitter-ms (default ${DEFAULT-VALUE}).")
    double reorder;

    @Option(names = "--corrupt", defaultValue = "0", description = "Probability a byte of a frame is flipped (default ${DEFAULT-VALUE}).")
    double corrupt;

    @Option(names = "--delay-ms", defaultValue = "0", description = "One-way delay added to every frame, ms (default ${DEFAULT-VALUE}).")
    long delayMs;

    @Option(names = "--jitter-ms", defaultValue = "5", description = "Largest extra delay of a reordered frame, ms (default ${DEFAULT-VALUE}).")
    long jitterMs;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the impairments (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws InterruptedException {
        Faults faults;
        try {
            faults = new Faults(loss, duplicate, reorder, corrupt, delayMs, jitterMs);
            Preflight.requireRawSockets();
            Preflight.requireLibpcap();
            Preflight.requireInterface(between.get(0));
            Preflight.requireInterface(between.get(1));
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("handoff relay: " + e.getMessage());
            return 2;
        }
        PacketLink a = PcapLink.open(between.get(0), List.of());
        PacketLink b = PcapLink.open(between.get(1), List.of());
        PacketLink toA = new FaultyLink(a, faults, seed);
        PacketLink toB = new FaultyLink(b, faults, seed + 1);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "relay-stop"));
        Thread ab = forward(a, toB, stop);
        Thread ba = forward(b, toA, stop);
        System.out.println("relay " + between.get(0) + " <-> " + between.get(1) + " with " + faults);
        System.out.flush();
        stop.await();
        a.wakeup();
        b.wakeup();
        ab.join(2000);
        ba.join(2000);
        return 0;
    }

    private static Thread forward(PacketLink from, PacketLink to, CountDownLatch stop) {
        Thread t = new Thread(() -> {
            while (stop.getCount() > 0) {
                from.receive(to::send, PacketLink.MAX_WAIT_MILLIS);
            }
        }, "relay-" + from.name());
        t.setDaemon(true);
        t.start();
        return t;
    }
}
