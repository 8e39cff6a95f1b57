package dev.handoff.cli;

import dev.handoff.security.Role;
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
            "`handoff move`; then agent a is killed with kill -9 and agent b, its peer, takes the VIP over by",
            "itself, resurrecting the download from the checkpoint store (a `handoff store` in host-b).",
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

    @Option(names = "--moves", defaultValue = "4", paramLabel = "N",
            description = "Move the download between agent a (host-a) and agent b (host-b) N times while curl runs;"
                    + " 0 downloads at full speed without moves (default ${DEFAULT-VALUE}).")
    int moves;

    @Option(names = "--kill", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "After the moves, kill -9 agent a, the VIP's owner, while curl runs: agent b takes over by itself"
                    + " (default: on; --no-kill leaves it out).")
    boolean kill;

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
    /** The checkpoint store's address (in host-b). */
    private static final String STORE = Topology.HOST_B_IP + ":7800";

    /** Kills agent a with SIGKILL and shows agent b taking its VIP over. */
    private static void killAndTakeOver(HandoffProcess a, HandoffProcess b) throws Exception {
        Thread.sleep(1000);
        System.out.println("5. kill -9 of agent a (pid " + a.pid() + "), the VIP's owner, while curl runs");
        a.kill();
        long killed = System.nanoTime();
        while (b.lines("failover " + Topology.VIP + " taken over").isEmpty()
                && b.lines("failover " + Topology.VIP + " left").isEmpty() && System.nanoTime() - killed < 15_000_000_000L) {
            Thread.sleep(20);
        }
        for (String line : b.log().lines().filter(l -> l.matches(".* (peer-down|failover|resurrected|vip-taken) .*")).toList()) {
            System.out.println("   " + line);
        }
    }

    /** Moves the download between the agents with the operator's commands, printing each move. */
    private void moveAround(Topology net, ThrowawayPki pki) throws Exception {
        String launcher = Path.of(HandoffProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolveSibling("handoff").toString();
        String id = null;
        for (int i = 0; i < 100 && id == null; i++) {
            Thread.sleep(100);
            String json = Topology.run(Topology.in(net.hostA(), pki.with(Role.OPERATOR, launcher, "conns", "--agent", CONTROL_A, "--json")));
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
                System.out.println(Topology.run(Topology.in(net.hostA(), pki.with(Role.OPERATOR, launcher, "move", id, "--agent", from, "--to", to))).strip());
            } catch (java.io.IOException e) {
                System.out.println("not moved: " + e.getMessage().lines().reduce((a, b) -> b).orElse(""));
                return; // the download goes on where it is
            }
        }
    }

    /** The arguments of demo agent {@code name}: files, control, its certificate, and the VIP for a; plus {@code cluster}. */
    private static String[] args(String name, String control, Path www, boolean withVip, List<String> cluster,
                                 ThrowawayPki pki) {
        List<String> a = new java.util.ArrayList<>(List.of("--name", name, "--interface", Topology.IFACE,
                "--files", www.toString(), "--control", control));
        if (withVip) {
            a.addAll(List.of("--vip", Topology.VIP + "/" + Topology.PREFIX));
        }
        a.addAll(cluster);
        a.addAll(pki.agentArgs());
        return a.toArray(String[]::new);
    }

    /** Ends every process still running. */
    private static void closeAll(HandoffProcess[] processes) {
        for (HandoffProcess p : processes) {
            if (p != null) {
                p.close();
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
            System.err.println("demo: building the demo network needs root: run `scripts/demo` (as a user, it starts"
                    + " again under sudo), or `handoff demo --engine-only`, which needs no root");
            return 2;
        }
        Path dir = Files.createTempDirectory("handoff-demo");
        Topology net = null;
        HandoffProcess agent = null;
        HandoffProcess other = null;
        Thread cleanup = null;
        HandoffProcess[] started = new HandoffProcess[3]; // agents a and b, the store
        try {
            System.out.printf("1. generating a %d MB file to serve%n", megabytes);
            Path www = Files.createDirectories(dir.resolve("www"));
            Path file = RandomFiles.write(www.resolve("demo.bin"), (long) megabytes << 20, 42);
            System.out.println("2. building namespaces: peer, host-a, host-b on a bridge (10.77.0.0/24), and a throw-away"
                    + " cluster CA: every gRPC call below is mutual TLS");
            net = Topology.create();
            ThrowawayPki pki = net.pki();
            Topology made = net;
            cleanup = new Thread(() -> {
                closeAll(started);
                made.close();
            }, "demo-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            List<String> cluster = List.of();
            if (kill) {
                System.out.println("3. starting the checkpoint store in host-b on " + STORE);
                started[2] = HandoffProcess.launch(net.hostB(), dir, "store serving", pki.with(Role.AGENT, "store",
                        "--listen", STORE, "--dir", dir.resolve("store").toString()));
            }
            System.out.println((kill ? "   " : "3. ") + "starting agent a in host-a, owning VIP " + Topology.VIP
                    + " (not configured on any kernel)" + (kill ? ", checkpointing every connection into the store" : ""));
            if (kill) {
                cluster = List.of("--store", STORE, "--peers", "b=" + CONTROL_B);
            }
            agent = HandoffProcess.start(net.hostA(), dir, args("a", CONTROL_A, www, true, cluster, pki));
            started[0] = agent;
            if (moves > 0 || kill) {
                System.out.println("   and agent b in host-b, owning no VIP, ready to take moved connections"
                        + (kill ? " and to take a's VIP over if a dies" : ""));
                if (kill) {
                    cluster = List.of("--store", STORE, "--peers", "a=" + CONTROL_A);
                }
                other = HandoffProcess.start(net.hostB(), dir, args("b", CONTROL_B, www, false, cluster, pki));
                started[1] = other;
            }
            int events = moves + (kill ? 2 : 0);
            System.out.println("4. curl in the peer namespace downloads http://" + Topology.VIP + "/demo.bin"
                    + (events > 0 ? ", paced so that " + (moves > 0 ? moves + " moves" : "") + (moves > 0 && kill ? " and " : "")
                    + (kill ? "a kill -9" : "") + (moves == 0 ? " fits" : " fit") + " in it" : ""));
            Path got = dir.resolve("downloaded.bin");
            List<String> curlCommand = new java.util.ArrayList<>(List.of("curl", "-sS", "--fail", "-o", got.toString(),
                    "-w", "%{speed_download} %{time_total}", "http://" + Topology.VIP + "/demo.bin"));
            if (events > 0) {
                curlCommand.addAll(List.of("--limit-rate", Math.max(1, megabytes / (3 * events + 4)) + "M"));
            }
            Process curl = new ProcessBuilder(Topology.in(net.peer(), curlCommand.toArray(String[]::new)))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            if (moves > 0) {
                moveAround(net, pki);
            }
            if (kill) {
                killAndTakeOver(agent, other);
            }
            String stats = new String(curl.getInputStream().readAllBytes()).strip();
            if (curl.waitFor() != 0) {
                System.err.println("demo: curl failed; agent logs:\n" + agent.log() + (other != null ? other.log() : ""));
                return 1;
            }
            String served = RandomFiles.sha256(file);
            String received = RandomFiles.sha256(got);
            String[] s = stats.split(" ");
            double bytesPerSecond = Double.parseDouble(s[0]);
            System.out.printf("   served   sha256 %s%n   received sha256 %s  %s%n", served, received,
                    served.equals(received) ? "EQUAL" : "DIFFERENT");
            System.out.printf("   goodput %.2f Gbit/s (%d MB in %s s%s)%n", bytesPerSecond * 8 / 1e9, megabytes, s[1],
                    events > 0 ? ", paced by curl --limit-rate so that the moves and the kill fit; --moves 0 --no-kill for"
                            + " full speed" : "");
            agent.stop();
            System.out.println((kill ? "6" : "5") + ". the agents' logs:");
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
                closeAll(started);
                net.close();
                System.out.println((kill ? "7" : "6") + ". removed the namespaces");
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
