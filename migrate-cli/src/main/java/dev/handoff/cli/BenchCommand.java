package dev.handoff.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code handoff bench}: the network benchmarks of issue "Agent on a real network", each
 * a ratio against the kernel on the same path in the same run: bulk goodput, 1-byte echo
 * latency, and memory per idle connection with 10,000 connections held by a real peer.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Measures the agent against the Linux kernel on the same namespaced path, in one run:",
            "  goodput  one bulk transfer (socat client in the peer), agent stream service vs kernel socat",
            "  latency  1-byte echo round trips, agent echo vs a kernel echo server",
            "  memory   agent RSS growth per idle connection, with --connections held open by the peer",
            "  loops    --parallel downloads at once, agent with --loops 1 and one loop per core vs kernel socat",
            "Needs root. Example: scripts/bench-net --megabytes 1024"})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--megabytes", defaultValue = "1024", description = "Bytes per goodput run, MB (default ${DEFAULT-VALUE}).")
    int megabytes;

    @Option(names = "--runs", defaultValue = "3", description = "Goodput runs per side; the median is reported (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--connections", defaultValue = "10000", description = "Idle connections held for the memory figure (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--impaired-loss", split = ",", defaultValue = "0.01,0.03",
            description = "Loss rates of the impaired goodput runs, through the relay with 5 ms delay each way, 2 %% reordering"
                    + " and 1 %% duplication; empty for none (default ${DEFAULT-VALUE}).")
    List<Double> impairedLoss;

    @Option(names = "--impaired-megabytes", defaultValue = "32", description = "Bytes per impaired goodput run, MB (default ${DEFAULT-VALUE}).")
    int impairedMegabytes;

    @Option(names = "--loops", paramLabel = "N",
            description = "Event loops of the agent in the clean part (default: the agent's own, one per core).")
    Integer loops;

    @Option(names = "--parallel", defaultValue = "4",
            description = "Connections downloading at once in the loops part; --megabytes is shared among them (default ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--only", split = ",", defaultValue = "clean,impaired,loops",
            description = "Parts to run: clean (goodput, latency, memory on the direct path), impaired, loops (parallel"
                    + " goodput by event loops) (default ${DEFAULT-VALUE}).")
    List<String> only;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("handoff-bench");
        try {
            if (only.contains("clean")) {
                clean(dir);
            }
            if (only.contains("impaired")) {
                for (double loss : impairedLoss) {
                    impaired(dir, loss);
                }
            }
            if (only.contains("loops")) {
                loops(dir);
            }
        } finally {
            RandomFiles.deleteTree(dir);
        }
        return 0;
    }

    /**
     * Goodput through the impairment relay, agent vs kernel, at {@code loss}: what the
     * engine's loss recovery (SACK, RFC 6675) achieves against Linux's on the same path.
     */
    private void impaired(Path dir, double loss) throws Exception {
        long bytes = (long) impairedMegabytes << 20;
        Path file = RandomFiles.write(Path.of("/dev/shm").resolve("handoff-bench-imp-" + ProcessHandle.current().pid()), bytes, 7);
        try (Topology net = Topology.createRelayed();
                Background relay = net.startRelay("--loss", Double.toString(loss), "--reorder", "0.02", "--duplicate", "0.01",
                        "--delay-ms", "5", "--jitter-ms", "4", "--seed", "7")) {
            System.out.println("relay: " + relay.output().strip());
            String defaultCc = Topology.run(Topology.in(net.hostA(), "sysctl", "-n", "net.ipv4.tcp_congestion_control")).strip();
            double kernel = median(runs, () -> kernelGoodput(net, file, bytes));
            Topology.run(Topology.in(net.hostA(), "sysctl", "-q", "-w", "net.ipv4.tcp_congestion_control=reno"));
            double kernelReno = median(runs, () -> kernelGoodput(net, file, bytes));
            System.out.printf("impaired goodput at %.1f %% loss (5 ms delay each way, 2 %% reordering, 1 %% duplication),"
                    + " %d MB, median of %d: kernel reno %.1f Mbit/s, kernel %s (its default) %.1f Mbit/s%n",
                    loss * 100, impairedMegabytes, runs, kernelReno * 1000, defaultCc, kernel * 1000);
            for (String cc : List.of("cubic", "bbr")) {
                try (HandoffProcess a = HandoffProcess.start(net.hostA(), dir, "--name", "bench-imp-" + cc, "--interface",
                        Topology.IFACE, "--vip", Topology.VIP + "/" + Topology.PREFIX, "--stream-port", "9000", "--stream-bytes",
                        Long.toString(bytes), "--congestion-control", cc)) {
                    double agent = median(runs, () -> clientGoodput(net, Topology.VIP, bytes));
                    a.stop();
                    System.out.printf("  agent (%s) %.1f Mbit/s: ratio %.2f to kernel reno, %.2f to kernel %s%n",
                            cc, agent * 1000, agent / kernelReno, agent / kernel, defaultCc);
                    System.out.println("  agent " + String.join(" ", a.lines("tcp counters")).replaceAll("\\S+=0 ", ""));
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Goodput of {@link #parallel} downloads at once on the direct path: the agent with one
     * event loop, with one per core, and the kernel (socat forking a server per connection).
     */
    private void loops(Path dir) throws Exception {
        long perConnection = ((long) megabytes << 20) / parallel;
        int cores = Runtime.getRuntime().availableProcessors();
        Path file = RandomFiles.write(Path.of("/dev/shm").resolve("handoff-bench-par-" + ProcessHandle.current().pid()),
                perConnection, 7);
        try (Topology net = Topology.create()) {
            double kernel;
            // -U with the listener first: each forked child opens the file itself, at offset 0.
            Background server = Background.start(Topology.in(net.hostA(), "socat", "-U", "-b", "262144",
                    "TCP-LISTEN:9000,reuseaddr,fork", "FILE:" + file));
            try {
                Thread.sleep(300); // socat prints nothing when it listens
                kernel = median(runs, () -> parallelGoodput(net, Topology.HOST_A_IP, perConnection));
            } finally {
                server.close();
            }
            System.out.printf("parallel goodput, %d connections of %d MB at once, median of %d: kernel %.2f Gbit/s%n",
                    parallel, perConnection >> 20, runs, kernel);
            for (int loops : cores > 1 ? List.of(1, cores) : List.of(1)) {
                try (HandoffProcess a = HandoffProcess.start(net.hostA(), dir, "--name", "bench-loops-" + loops, "--interface",
                        Topology.IFACE, "--vip", Topology.VIP + "/" + Topology.PREFIX, "--stream-port", "9000",
                        "--stream-bytes", Long.toString(perConnection), "--loops", Integer.toString(loops))) {
                    double agent = median(runs, () -> parallelGoodput(net, Topology.VIP, perConnection));
                    a.stop();
                    System.out.printf("  agent --loops %d: %.2f Gbit/s, ratio %.2f%n", loops, agent, agent / kernel);
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** {@link #parallel} socat clients in the peer at once, each reading {@code bytes}; Gbit/s of payload in all. */
    private double parallelGoodput(Topology net, String host, long bytes) throws IOException, InterruptedException {
        long t = System.nanoTime();
        String out = Topology.run(Topology.in(net.peer(), "sh", "-c", "for i in $(seq " + parallel + "); do"
                + " (socat -u -b 262144 TCP:" + host + ":9000 - | wc -c) & done; wait"));
        double seconds = (System.nanoTime() - t) / 1e9;
        List<String> counts = out.strip().lines().toList();
        if (counts.size() != parallel || counts.stream().anyMatch(c -> Long.parseLong(c.strip()) != bytes)) {
            throw new IOException("parallel goodput run from " + host + ": expected " + parallel + " downloads of " + bytes
                    + " bytes, got " + counts);
        }
        return parallel * bytes * 8 / seconds / 1e9;
    }

    /** Goodput, latency and memory on the direct path. */
    private void clean(Path dir) throws Exception {
        try (Topology net = Topology.create()) {
            long bytes = (long) megabytes << 20;
            Path file = RandomFiles.write(Path.of("/dev/shm").resolve("handoff-bench-" + ProcessHandle.current().pid()), bytes, 7);
            try {
                double kernel = median(runs, () -> kernelGoodput(net, file, bytes));
                HandoffProcess pcap = HandoffProcess.start(net.hostB(), dir, "--name", "bench-pcap", "--link", "pcap",
                        "--interface", Topology.IFACE, "--vip", "10.77.0.101/" + Topology.PREFIX, "--stream-port", "9000",
                        "--stream-bytes", Long.toString(bytes));
                try {
                    double viaPcap = median(runs, () -> clientGoodput(net, "10.77.0.101", bytes));
                    System.out.printf("goodput: agent on the pcap link %.2f Gbit/s, kernel %.2f Gbit/s, ratio %.2f%n",
                            viaPcap, kernel, viaPcap / kernel);
                } finally {
                    pcap.close();
                }
                double agent;
                List<String> args = new ArrayList<>(List.of("--name", "bench", "--interface", Topology.IFACE,
                        "--vip", Topology.VIP + "/" + Topology.PREFIX, "--stream-port", "9000", "--stream-bytes",
                        Long.toString(bytes), "--echo-port", "7"));
                if (loops != null) {
                    args.addAll(List.of("--loops", Integer.toString(loops)));
                }
                try (HandoffProcess a = HandoffProcess.start(net.hostA(), dir, args.toArray(String[]::new))) {
                    agent = median(runs, () -> clientGoodput(net, Topology.VIP, bytes));
                    System.out.printf("goodput: agent on the af-packet link %.2f Gbit/s, kernel %.2f Gbit/s, ratio %.2f"
                            + " (%d MB, median of %d)%n", agent, kernel, agent / kernel, megabytes, runs);
                    String agentRtt = latency(net, Topology.VIP, 7);
                    try (Background echo = Background.start(Topology.in(net.hostA(), HandoffProcess.launcher(), "probe", "echo-server", "7007"))) {
                        echo.awaitOutput("listening", 30);
                        String kernelRtt = latency(net, Topology.HOST_A_IP, 7007);
                        System.out.println("latency: agent " + agentRtt + ", kernel " + kernelRtt);
                    }
                    long pid = a.pid();
                    long before = rssKb(pid);
                    try (Background hold = Background.start(Topology.in(net.peer(), "sh", "-c",
                            "ulimit -n " + (connections + 1000) + "; exec " + HandoffProcess.launcher() + " probe hold --count " + connections
                                    + " " + Topology.VIP + " 7"))) {
                        hold.awaitOutput("held ", 300);
                        Thread.sleep(2000);
                        long after = rssKb(pid);
                        System.out.printf("memory: %d idle connections held, agent RSS %d -> %d KB, %.1f KB per connection%n",
                                connections, before, after, (after - before) / (double) connections);
                    }
                }
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }

    /** A measurement that may fail. */
    private interface Run {
        double measure() throws Exception;
    }

    private static double median(int n, Run run) throws Exception {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = run.measure();
        }
        Arrays.sort(v);
        return v[n / 2];
    }

    private static double kernelGoodput(Topology net, Path file, long bytes) throws Exception {
        Background server = Background.start(Topology.in(net.hostA(), "socat", "-u", "-b", "262144",
                "FILE:" + file, "TCP-LISTEN:9000,reuseaddr"));
        try {
            Thread.sleep(300); // socat prints nothing when it listens
            return clientGoodput(net, Topology.HOST_A_IP, bytes);
        } finally {
            server.close();
        }
    }

    /** Runs the socat client in the peer; Gbit/s of payload. */
    private static double clientGoodput(Topology net, String host, long bytes) throws IOException, InterruptedException {
        long t = System.nanoTime();
        String out = Topology.run(Topology.in(net.peer(), "sh", "-c",
                "socat -u -b 262144 TCP:" + host + ":9000 - | wc -c"));
        double seconds = (System.nanoTime() - t) / 1e9;
        long got = Long.parseLong(out.strip());
        if (got != bytes) {
            throw new IOException("goodput run from " + host + " received " + got + " of " + bytes + " bytes");
        }
        return bytes * 8 / seconds / 1e9;
    }

    private static String latency(Topology net, String host, int port) throws IOException {
        String out = Topology.run(Topology.in(net.peer(), HandoffProcess.launcher(), "probe", "latency", "--count", "20000",
                host, Integer.toString(port)));
        return out.strip().replace("rtt_us ", "rtt µs ");
    }

    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for process " + pid);
    }
}
