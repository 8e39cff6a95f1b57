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
            "While curl runs, the download moves back and forth between agent a and agent b (host-b) with",
            "`handoff move`. Prints both SHA-256 sums and the goodput, then removes everything it made, also on Ctrl-C.",
            "Needs root (it creates network namespaces).",
            "",
            "  --engine-only runs the TCP engines alone over a simulated lossy channel (no root needed).",
            "",
            "Example: sudo handoff demo --megabytes 512"})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--megabytes", defaultValue = "256", paramLabel = "MB",
            description = "Size of the file downloaded (default ${DEFAULT-VALUE}).")
    int megabytes;

    @Option(names = "--moves", defaultValue = "4", paramLabel = "N",
            description = "Move the download between agent a (host-a) and agent b (host-b) N times while curl runs;"
                    + " 0 downloads at full speed without moves (default ${DEFAULT-VALUE}).")
    int moves;

    @Option(names = "--engine-only", description = "Run the engine-only demo: two engines over a simulated lossy channel.")
    boolean engineOnly;

    @Option(names = "--loss", defaultValue = "0.01", paramLabel = "P",
            description = "With --engine-only: probability the channel drops a packet, 0 to 0.5 (default ${DEFAULT-VALUE}).")
    double loss;

    @Option(names = "--seed", defaultValue = "1",
            description = "With --engine-only: seed of the channel (default ${DEFAULT-VALUE}); the same seed replays the same run.")
    long seed;

    /** Control addresses of the demo's agents. */
    private static final String CONTROL_A = Topology.HOST_A_IP + ":7700";
    private static final String CONTROL_B = Topology.HOST_B_IP + ":7700";

    /** Moves the download between the agents with the operator's commands, printing each move. */
    private void moveAround(Topology net) throws Exception {
        String launcher = Path.of(HandoffProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolveSibling("handoff").toString();
        String id = null;
        for (int i = 0; i < 100 && id == null; i++) {
            Thread.sleep(100);
            String json = Topology.run(Topology.in(net.hostA(), launcher, "conns", "--agent", CONTROL_A, "--json"));
            if (json.contains("\"id\"")) {
                id = json.replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1").strip();
            }
        }
        if (id == null) {
            System.out.println("   (the download never showed in `handoff conns`: no moves)");
            return;
        }
        String[] agents = {CONTROL_A, CONTROL_B};
        for (int i = 0; i < moves; i++) {
            String from = agents[i % 2];
            String to = agents[(i + 1) % 2];
            System.out.print("   handoff move " + id + " --agent " + from + " --to " + to + "  ->  ");
            try {
                System.out.println(Topology.run(Topology.in(net.hostA(), launcher, "move", id, "--agent", from, "--to", to)).strip());
            } catch (java.io.IOException e) {
                System.out.println("not moved: " + e.getMessage().lines().reduce((a, b) -> b).orElse(""));
                return; // the download goes on where it is
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        if (megabytes < 1 || megabytes > 4096) {
            System.err.println("demo: --megabytes must be 1..4096, got " + megabytes);
            return 2;
        }
        if (moves < 0 || moves > 100) {
            System.err.println("demo: --moves must be 0..100, got " + moves);
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
        HandoffProcess agent = null;
        HandoffProcess other = null;
        Thread cleanup = null;
        try {
            System.out.printf("1. generating a %d MB file to serve%n", megabytes);
            Path www = Files.createDirectories(dir.resolve("www"));
            Path file = RandomFiles.write(www.resolve("demo.bin"), (long) megabytes << 20, 42);
            System.out.println("2. building namespaces: peer, host-a, host-b on a bridge (10.77.0.0/24)");
            net = Topology.create();
            Topology made = net;
            HandoffProcess[] started = new HandoffProcess[2];
            cleanup = new Thread(() -> {
                for (HandoffProcess p : started) {
                    if (p != null) {
                        p.close();
                    }
                }
                made.close();
            }, "demo-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            System.out.println("3. starting agent a in host-a, owning VIP " + Topology.VIP + " (not configured on any kernel)");
            agent = HandoffProcess.start(net.hostA(), dir, "--name", "a", "--interface", Topology.IFACE,
                    "--vip", Topology.VIP + "/" + Topology.PREFIX, "--files", www.toString(), "--control", CONTROL_A);
            started[0] = agent;
            if (moves > 0) {
                System.out.println("   and agent b in host-b, owning no VIP, ready to take moved connections");
                other = HandoffProcess.start(net.hostB(), dir, "--name", "b", "--interface", Topology.IFACE,
                        "--files", www.toString(), "--control", CONTROL_B);
                started[1] = other;
            }
            System.out.println("4. curl in the peer namespace downloads http://" + Topology.VIP + "/demo.bin"
                    + (moves > 0 ? ", paced so that " + moves + " moves fit in it" : ""));
            Path got = dir.resolve("downloaded.bin");
            List<String> curlCommand = new java.util.ArrayList<>(List.of("curl", "-sS", "--fail", "-o", got.toString(),
                    "-w", "%{speed_download} %{time_total}", "http://" + Topology.VIP + "/demo.bin"));
            if (moves > 0) {
                curlCommand.addAll(List.of("--limit-rate", Math.max(1, megabytes / (2 * moves + 4)) + "M"));
            }
            Process curl = new ProcessBuilder(Topology.in(net.peer(), curlCommand.toArray(String[]::new)))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            if (moves > 0) {
                moveAround(net);
            }
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
            System.out.printf("   goodput %.2f Gbit/s (%d MB in %s s%s)%n", bytesPerSecond * 8 / 1e9, megabytes, s[1],
                    moves > 0 ? ", paced by curl --limit-rate so the moves fit; --moves 0 for full speed" : "");
            agent.stop();
            System.out.println("5. the agents' logs:");
            for (HandoffProcess p : new HandoffProcess[] {agent, other}) {
                if (p == null) {
                    continue;
                }
                p.stop();
                for (String line : p.log().lines().filter(l -> !l.contains("counters")).toList()) {
                    System.out.println("   " + line);
                }
            }
            return served.equals(received) ? 0 : 1;
        } finally {
            if (agent != null) {
                agent.close();
            }
            if (other != null) {
                other.close();
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
