package dev.handoff.cli;

import dev.handoff.security.Role;
import dev.handoff.agent.audit.TransparencyAudit;
import dev.handoff.store.CheckpointStore;
import dev.handoff.store.CheckpointWrite;
import dev.handoff.store.FileCheckpointStore;
import dev.handoff.store.RemoteCheckpointStore;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code handoff bench-failover}: the checkpointing and fail-over benchmarks of issue 5,
 * with agent processes, a store process and real Linux peers in the namespace topology.
 */
@Command(name = "bench-failover", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Measures checkpointing and fail-over, in one run, with default agent settings:",
            "  failover   the peer's outage (its capture: the dead agent's last segment to the survivor's first new",
            "             data) over --kills kill -9s alternating between two agents, on one curl download read at",
            "             4 MB/s; and the same with the time the peer's own window was closed taken out",
            "  goodput    strict checkpointing (the stream service: no byte leaves before the store holds it) and",
            "             deterministic checkpointing (the file server) against no checkpointing, full speed; each",
            "             agent's first transfers (its JIT still compiling) and its second ones (steady state)",
            "  store      checkpoint writes with fsync through a `handoff store` process and an embedded store:",
            "             --writers connections each writing a state and 16 KB of send bytes per checkpoint, then one",
            "             connection writing 4 MB per checkpoint (a strict application's full send buffer)",
            "  resurrect  kill -9 of an agent holding --connections idle echo connections: time to resurrect",
            "             them all at the survivor, and a check that every one still echoes",
            "Needs root. Example: scripts/bench-failover --kills 40"})
final class FailoverBenchCommand implements Callable<Integer> {
    /** Control addresses of the two agents and the store's. */
    private static final String[] CONTROL = {Topology.HOST_A_IP + ":7700", Topology.HOST_B_IP + ":7700"};
    private static final String[] NAMES = {"a", "b"};
    private static final String STORE = Topology.HOST_B_IP + ":7800";
    /**
     * Bytes per second the fail-over part's download is read at: by a pacer behind curl, in 64
     * KB steps, so that the peer's window opens every 16 ms (curl --limit-rate pauses its reads
     * for up to half a second and a sender switching then waits for it).
     */
    private static final long PACE = 4L << 20;

    @Option(names = "--kills", defaultValue = "40", description = "kill -9s for the fail-over figures (default ${DEFAULT-VALUE}).")
    int kills;

    @Option(names = "--megabytes", defaultValue = "2048", description = "Size of the full-speed downloads, MB (default ${DEFAULT-VALUE}).")
    int megabytes;

    @Option(names = "--connections", defaultValue = "1000", description = "Connections resurrected at once (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--writers", defaultValue = "64", description = "Connections writing checkpoints at once (default ${DEFAULT-VALUE}).")
    int writers;

    @Mixin
    BenchAgentOptions agents;

    @Option(names = "--only", split = ",", paramLabel = "PART", description = "Run only these parts: failover, goodput, store, resurrect.")
    List<String> only = List.of("failover", "goodput", "store", "resurrect");

    @Override
    public Integer call() throws Exception {
        if (kills < 2 || megabytes < 256 || connections < 1 || writers < 1) {
            System.err.println("bench-failover: want --kills >= 2, --megabytes >= 256, --connections >= 1, --writers >= 1");
            return 2;
        }
        for (String part : only) {
            if (!List.of("failover", "goodput", "store", "resurrect").contains(part)) {
                System.err.println("bench-failover: --only takes failover, goodput, store or resurrect; got '" + part + "'");
                return 2;
            }
        }
        Path dir = Files.createTempDirectory("handoff-bench-failover");
        try {
            if (only.contains("failover")) {
                failover(dir);
            }
            if (only.contains("goodput")) {
                goodput(dir);
            }
            if (only.contains("store")) {
                store(dir);
            }
            if (only.contains("resurrect")) {
                resurrect(dir);
            }
        } finally {
            agents.cleanUp(dir);
        }
        return 0;
    }

    /** Agent {@code i} of a two-agent cluster sharing the store, with the VIP or not, plus {@code extra} options. */
    private HandoffProcess agent(Topology net, Path dir, int i, boolean withVip, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--name", NAMES[i], "--interface", Topology.IFACE,
                "--files", dir.resolve("www").toString(), "--echo-port", "7", "--control", CONTROL[i], "--store", STORE,
                "--peers", NAMES[1 - i] + "=" + CONTROL[1 - i]));
        if (withVip) {
            args.addAll(List.of("--vip", Topology.VIP + "/" + Topology.PREFIX));
        }
        args.addAll(List.of(extra));
        args.addAll(agents.options);
        args.addAll(net.pki().agentArgs());
        return HandoffProcess.start(i == 0 ? net.hostA() : net.hostB(), dir, args.toArray(String[]::new));
    }

    private static HandoffProcess storeProcess(Topology net, Path dir) throws Exception {
        return HandoffProcess.launch(net.hostB(), dir, "store serving", net.pki().with(Role.AGENT, "store", "--listen", STORE,
                "--dir", Files.createTempDirectory(dir, "store").toString()));
    }

    /** kill -9 after kill -9, alternating, each victim restarted once the survivor took over; the peer's outages. */
    private void failover(Path dir) throws Exception {
        long fileMb = Math.max(256, kills * 28L); // 7 s of the paced download per kill: each takes 4-5 s here
        Files.createDirectories(dir.resolve("www"));
        RandomFiles.write(dir.resolve("www").resolve("paced.bin"), fileMb << 20, 7);
        try (Topology net = Topology.create(); HandoffProcess _ = storeProcess(net, dir)) {
            HandoffProcess[] agents = {agent(net, dir, 0, true), agent(net, dir, 1, false)};
            Path report = dir.resolve("audit.txt");
            try (HandoffProcess audit = HandoffProcess.launch(net.peer(), dir, "auditing", "audit", "--interface",
                    Topology.IFACE, "--ours", Topology.VIP, "--report", report.toString());
                 Background download = Background.start(Topology.in(net.peer(), "sh", "-c", "curl -sS --fail http://"
                         + Topology.VIP + "/paced.bin | " + HandoffProcess.launcher() + " probe pace --rate " + PACE
                         + " | wc -c"))) {
                agents[1].awaitLog("peer-up a", 10);
                int serving = 0;
                for (int k = 0; k < kills; k++) {
                    Thread.sleep(300);
                    if (!download.running()) {
                        throw new IOException("the paced download of " + fileMb + " MB ended after " + k + " of " + kills
                                + " kills (" + download.output().strip() + "): every kill must find it running");
                    }
                    agents[serving].kill();
                    int survivor = 1 - serving;
                    agents[survivor].awaitLog("taken over with 1 connections", 30);
                    agents[serving] = agent(net, dir, serving, false);
                    agents[serving].awaitLog("peer-up " + NAMES[survivor] + " serves " + NAMES[survivor] + "["
                            + Topology.VIP + "]", 30);
                    serving = survivor;
                    System.out.print("\rfailover: " + (k + 1) + "/" + kills + " kills");
                }
                System.out.println();
                if (!download.waitFor(3600) || !download.output().strip().equals(Long.toString(fileMb << 20))) {
                    throw new IOException("the download did not complete: " + download.output());
                }
                audit.stop();
                String text = Files.readString(report);
                long[] gaps = gaps(text);
                long[] closed = TransparencyAudit.switchPeerClosedMs(text).stream().mapToLong(Long::longValue).toArray();
                long[] ours = new long[gaps.length];
                for (int i = 0; i < gaps.length; i++) {
                    ours[i] = gaps[i] - (i < closed.length ? closed[i] : 0);
                }
                System.out.println("failover: the peer's outages in kill order, ms: " + Arrays.toString(gaps));
                System.out.println("failover: of which its own window was closed (its reader pausing), ms: "
                        + Arrays.toString(closed));
                System.out.printf("failover: %d kill -9s, the peer's outage %s; with the time its window was closed taken"
                        + " out %s; download of %d MB complete; audit %s%n", gaps.length, percentiles(gaps),
                        percentiles(ours), fileMb, text.lines().filter(l -> l.startsWith("frames=")).findFirst().orElse(""));
            } finally {
                for (HandoffProcess a : agents) {
                    a.close();
                }
            }
        }
    }

    /** "p50 N ms, p99 N ms, max N ms" of {@code values} (sorted here). */
    private static String percentiles(long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        return "p50 " + v[v.length / 2] + " ms, p99 " + v[(int) Math.ceil(v.length * 0.99) - 1] + " ms, max " + v[v.length - 1]
                + " ms";
    }

    /** The peer's outage at each sender switch, from an audit report. */
    private static long[] gaps(String report) throws IOException {
        long[] gaps = TransparencyAudit.switchGapsMs(report).stream().mapToLong(Long::longValue).toArray();
        if (gaps.length == 0) {
            throw new IOException("no sender switch in the audit report:\n" + report);
        }
        return gaps;
    }

    /**
     * Full-speed transfers from one agent with and without checkpointing, alternated, medians
     * of 3: each agent serves the stream and the file twice, the first time while its JIT
     * compiles the path (more code with checkpoints), the second at the steady state a
     * long-running agent works in.
     */
    private void goodput(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("www"));
        RandomFiles.write(dir.resolve("www").resolve("big.bin"), (long) megabytes << 20, 5);
        long bytes = (long) megabytes << 20;
        String[] stream = {"--stream-port", "9", "--stream-bytes", Long.toString(bytes)};
        String readStream = "socat -u -b 262144 TCP:" + Topology.VIP + ":9 STDOUT | wc -c";
        String readFile = "curl -sS --fail -o - http://" + Topology.VIP + "/big.bin | wc -c";
        // [pass][mode][run]: first transfers, then second; stream without store, with the store
        // process, with an embedded store; then files the same way.
        double[][][] gbps = new double[2][6][3];
        try (Topology net = Topology.create(); HandoffProcess _ = storeProcess(net, dir)) {
            for (int run = 0; run < 3; run++) {
                for (int mode = 0; mode < 3; mode++) { // alternated, so that drifts of the machine hit every mode
                    List<String> args = new ArrayList<>(List.of("--name", "a", "--interface", Topology.IFACE, "--vip",
                            Topology.VIP + "/" + Topology.PREFIX, "--files", dir.resolve("www").toString()));
                    args.addAll(List.of(stream));
                    if (mode == 1) {
                        args.addAll(List.of("--store", STORE));
                    } else if (mode == 2) {
                        args.addAll(List.of("--store-dir", Files.createTempDirectory(dir, "embedded").toString()));
                    }
                    if (mode > 0) {
                        args.addAll(net.pki().agentArgs()); // TLS for the store, and the key sealing checkpoints
                    }
                    try (HandoffProcess agent = HandoffProcess.start(net.hostA(), dir, args.toArray(String[]::new))) {
                        try {
                            for (double[][] pass : gbps) {
                                pass[mode][run] = timed(net, bytes, readStream);
                                pass[3 + mode][run] = timed(net, bytes, readFile);
                            }
                        } catch (IOException e) {
                            throw new IOException(e.getMessage() + "\nmode " + mode + ", run " + run + "; the agent's log:\n"
                                    + agent.log(), e);
                        }
                    }
                }
            }
        }
        for (int pass = 0; pass < 2; pass++) {
            for (double[] g : gbps[pass]) {
                Arrays.sort(g);
            }
            for (String[] app : new String[][] {{"0", "stream (strict)"}, {"3", "files (deterministic)"}}) {
                int k = Integer.parseInt(app[0]);
                double[][] g = gbps[pass];
                System.out.printf("goodput, %d MB, median of 3, %s, %s: %.2f Gbit/s without checkpoints; with the store"
                        + " process %.2f (ratio %.2f); with an embedded store %.2f (ratio %.2f)%n", megabytes, app[1],
                        pass == 0 ? "a fresh agent's first transfer" : "its second (steady state)", g[k][1], g[k + 1][1],
                        g[k + 1][1] / g[k][1], g[k + 2][1], g[k + 2][1] / g[k][1]);
            }
        }
    }

    /** Gbit/s of {@code pipeline} run in the peer namespace, which must print {@code bytes}. */
    private static double timed(Topology net, long bytes, String pipeline) throws Exception {
        long t = System.nanoTime();
        // At least 20 MB/s, or the agent stopped sending (a lost lease, a dead loop): fail with its log.
        long limit = Math.max(Topology.RUN_SECONDS, bytes / (20L << 20));
        String out = Topology.run(Topology.in(net.peer(), "sh", "-c", pipeline), limit).strip();
        double seconds = (System.nanoTime() - t) / 1e9;
        if (!out.equals(Long.toString(bytes))) {
            throw new IOException("'" + pipeline + "' got " + out + " bytes of " + bytes);
        }
        return bytes * 8 / seconds / 1e9;
    }

    /** Checkpoints with fsync per group commit: through a store process, then embedded. */
    private void store(Path dir) throws Exception {
        int port = 17800 + (int) (ProcessHandle.current().pid() % 100);
        ThrowawayPki pki = ThrowawayPki.create(Files.createTempDirectory(dir, "pki"));
        try (HandoffProcess _ = HandoffProcess.launch(null, dir, "store serving", pki.with(Role.AGENT, "store", "--listen",
                "127.0.0.1:" + port, "--dir", Files.createTempDirectory(dir, "remote").toString()))) {
            ManagedChannel ch = RemoteCheckpointStore.channelTo("127.0.0.1", port, pki.credentials(Role.AGENT).channel());
            try {
                System.out.println("store, handoff store process: " + writeFor(new RemoteCheckpointStore(ch), 5, writers, 16 << 10));
                System.out.println("store, handoff store process: " + writeFor(new RemoteCheckpointStore(ch), 5, 1, 4 << 20));
            } finally {
                ch.shutdownNow();
            }
        }
        try (FileCheckpointStore embedded = FileCheckpointStore.open(Files.createTempDirectory(dir, "embedded"),
                System::currentTimeMillis)) {
            System.out.println("store, embedded: " + writeFor(embedded, 5, writers, 16 << 10) + ", " + embedded.commits() + " fsyncs");
            System.out.println("store, embedded: " + writeFor(embedded, 5, 1, 4 << 20));
        }
    }

    /**
     * {@code writers} connections each checkpoint (state, {@code appendBytes} of send bytes
     * appended, the previous ones trimmed) as fast as the store confirms, for {@code seconds}.
     */
    private static String writeFor(CheckpointStore store, int seconds, int writers, int appendBytes) throws InterruptedException {
        AtomicLong checkpoints = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        byte[] state = new byte[300];
        byte[] sent = new byte[appendBytes];
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            String id = "10.77.0.100:80-10.77.0.2:" + (20000 + w);
            threads.add(Thread.ofPlatform().start(() -> {
                for (long offset = 0; System.nanoTime() < end; offset += sent.length) {
                    store.write(List.of(new CheckpointWrite.State(id, 0x0a4d0064, 0, state),
                            new CheckpointWrite.Append(id, 0x0a4d0064, 0, offset, sent),
                            new CheckpointWrite.Trim(id, 0x0a4d0064, 0, offset))).join();
                    checkpoints.incrementAndGet();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double perSecond = checkpoints.get() / (double) seconds;
        return String.format("%d writers of %d KB: %.0f checkpoints/s, %.1f MB/s of send bytes, %.2f ms per checkpoint",
                writers, appendBytes >> 10, perSecond, perSecond * sent.length / 1e6, 1000.0 * writers / perSecond);
    }

    /** kill -9 of an agent with many idle echo connections: how long the survivor takes, and whether all still echo. */
    private void resurrect(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("www"));
        try (Topology net = Topology.create(); HandoffProcess _ = storeProcess(net, dir);
             HandoffProcess a = agent(net, dir, 0, true); HandoffProcess b = agent(net, dir, 1, false);
             Background hold = Background.start(Topology.in(net.peer(), "sh", "-c", "ulimit -n " + (connections + 1000)
                     + "; exec " + HandoffProcess.launcher() + " probe hold --count " + connections + " " + Topology.VIP + " 7"))) {
            hold.awaitOutput("held " + connections, 300);
            hold.println("check"); // every connection has echoed once: checkpointed with data read and written
            hold.awaitOutput("echoed " + connections + "/" + connections, 120);
            Thread.sleep(1000);
            a.kill();
            b.awaitLog("taken over with " + connections + " connections", 120);
            String line = b.lines("taken over with").getFirst();
            hold.println("check");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (hold.output().lines().filter(l -> l.startsWith("echoed ")).count() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            String echoed = hold.output().lines().filter(l -> l.startsWith("echoed ")).reduce((x, y) -> y).orElse("none");
            System.out.println("resurrect: " + line.substring(line.indexOf("taken over")) + "; then the peer's check: "
                    + echoed + " connections");
        }
    }
}
