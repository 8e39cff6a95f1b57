package dev.handoff.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code handoff demo}: builds a namespace network, starts an agent serving a generated
 * file on a VIP, downloads it with the real curl from a peer namespace, compares
 * checksums, reports goodput, and removes everything it made (also on Ctrl-C).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Shows Handoff at work on a real (namespaced) network: builds namespaces peer, host-a and",
            "host-b on a bridge, starts a Handoff agent in host-a owning VIP " + Topology.VIP + ", and",
            "downloads a generated file from it with curl in the peer namespace (a plain Linux TCP stack).",
            "Prints both SHA-256 sums and the goodput, then removes everything it made, also on Ctrl-C.",
            "Needs root (it creates network namespaces).",
            "",
            "  --engine-only runs the TCP engines alone over a simulated lossy channel (no root needed).",
            "",
            "Example: sudo handoff demo --megabytes 512"})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--megabytes", defaultValue = "256", paramLabel = "MB",
            description = "Size of the file downloaded (default ${DEFAULT-VALUE}).")
    int megabytes;

    @Option(names = "--engine-only", description = "Run the engine-only demo: two engines over a simulated lossy channel.")
    boolean engineOnly;

    @Option(names = "--loss", defaultValue = "0.01", paramLabel = "P",
            description = "With --engine-only: probability the channel drops a packet, 0 to 0.5 (default ${DEFAULT-VALUE}).")
    double loss;

    @Option(names = "--seed", defaultValue = "1",
            description = "With --engine-only: seed of the channel (default ${DEFAULT-VALUE}); the same seed replays the same run.")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (megabytes < 1 || megabytes > 4096) {
            System.err.println("demo: --megabytes must be 1..4096, got " + megabytes);
            return 2;
        }
        if (engineOnly) {
            return new EngineDemo(Math.min(megabytes, 64), loss, seed).run();
        }
        if (!"0".equals(Topology.run("id", "-u").strip())) {
            System.err.println("demo: building the demo network needs root: run `sudo scripts/demo`"
                    + " (or `handoff demo --engine-only`, which needs no root)");
            return 2;
        }
        Path dir = Files.createTempDirectory("handoff-demo");
        Topology net = null;
        AgentProcess agent = null;
        Thread cleanup = null;
        try {
            System.out.printf("1. generating a %d MB file to serve%n", megabytes);
            Path www = Files.createDirectories(dir.resolve("www"));
            Path file = RandomFiles.write(www.resolve("demo.bin"), (long) megabytes << 20, 42);
            System.out.println("2. building namespaces: peer, host-a, host-b on a bridge (10.77.0.0/24)");
            net = Topology.create();
            Topology made = net;
            AgentProcess[] started = new AgentProcess[1];
            cleanup = new Thread(() -> {
                if (started[0] != null) {
                    started[0].close();
                }
                made.close();
            }, "demo-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            System.out.println("3. starting agent a in host-a, owning VIP " + Topology.VIP + " (not configured on any kernel)");
            agent = AgentProcess.start(net.hostA(), dir, "--name", "a", "--interface", Topology.IFACE,
                    "--vip", Topology.VIP + "/" + Topology.PREFIX, "--files", www.toString());
            started[0] = agent;
            System.out.println("4. curl in the peer namespace downloads http://" + Topology.VIP + "/demo.bin");
            Path got = dir.resolve("downloaded.bin");
            Process curl = new ProcessBuilder(Topology.in(net.peer(), "curl", "-sS", "--fail", "-o", got.toString(),
                    "-w", "%{speed_download} %{time_total}", "http://" + Topology.VIP + "/demo.bin"))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String stats = new String(curl.getInputStream().readAllBytes()).strip();
            if (curl.waitFor() != 0) {
                System.err.println("demo: curl failed; agent log:\n" + agent.log());
                return 1;
            }
            String served = RandomFiles.sha256(file);
            String received = RandomFiles.sha256(got);
            String[] s = stats.split(" ");
            double bytesPerSecond = Double.parseDouble(s[0]);
            System.out.printf("   served   sha256 %s%n   received sha256 %s  %s%n", served, received,
                    served.equals(received) ? "EQUAL" : "DIFFERENT");
            System.out.printf("   goodput %.2f Gbit/s (%d MB in %s s)%n", bytesPerSecond * 8 / 1e9, megabytes, s[1]);
            agent.stop();
            System.out.println("5. the agent's log:");
            for (String line : agent.log().lines().toList()) {
                System.out.println("   " + line);
            }
            return served.equals(received) ? 0 : 1;
        } finally {
            if (agent != null) {
                agent.close();
            }
            if (net != null) {
                net.close();
                System.out.println("6. removed the namespaces");
            }
            if (cleanup != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // already shutting down: the hook runs anyway
                }
            }
            RandomFiles.deleteTree(dir);
        }
    }

}
