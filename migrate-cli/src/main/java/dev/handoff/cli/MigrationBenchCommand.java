package dev.handoff.cli;

import dev.handoff.security.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code handoff bench-moves}: the live-migration benchmarks, between two agent processes in
 * the namespace topology with real Linux peers: freeze times, the peer's retransmissions
 * caused by moves, goodput with and without moves, and the time to move a VIP with many
 * connections.
 */
@Command(name = "bench-moves", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Measures live migration between two agents (host-a, host-b) with real Linux peers, in one run:",
            "First it trains the agents' AOT cache (~70 s; --cold skips it and runs agents without one).",
            "  freeze   move time (freeze at the origin to activation at the destination), p50/p99 after 300",
            "           warm-up moves, for an idle",
            "           echo connection and for downloads with 1 MB and 4 MB send buffers full (paced by curl)",
            "           and the peer's TCP retransmissions (nstat TcpRetransSegs in its namespace) during 50 moves",
            "           of an echo stream it sends into (and during the same stream unmoved), and of a download",
            "  retrans  only the echo stream, --rounds times: with 50 moves, unmoved at a, and relayed (moved once",
            "           to b, the VIP staying at a, which relays the peer's frames), each with the peer's",
            "           retransmissions",
            "  goodput  one full-speed stream from the agent (socat in the peer), its goodput over windows of",
            "           100 moves every 100 ms and over as long without moves, alternated, medians of 3, and the",
            "           median of each pair's ratio (the peer kernel's bytes_received; the mover is running before",
            "           a window opens)",
            "  vip      time to move a VIP with --connections idle connections, there and back",
            "Needs root. Example: scripts/bench-moves --moves 200"})
final class MigrationBenchCommand implements Callable<Integer> {
    /** Control addresses of the two agents. */
    private static final String A = Topology.HOST_A_IP + ":7700";
    private static final String B = Topology.HOST_B_IP + ":7700";
    /** Bytes the stream service sends: more than any goodput run takes. */
    private static final String STREAM = Long.toString(1L << 40);
    /** Moves in one goodput window (an even number: the stream ends it back at a). */
    private static final int WINDOW_MOVES = 100;
    /** The summary line {@code handoff move --repeat} prints. */
    private static final Pattern FREEZE_SUMMARY = Pattern.compile("moves=\\d+ freeze_ms .*");
    /** Moves made before measuring, so that the agents' move paths are compiled. */
    private static final int WARM_UP = 300;

    @Option(names = "--megabytes", defaultValue = "4096", description = "Size of the file downloaded, paced, while moves are timed, MB; at least 512 (default ${DEFAULT-VALUE}).")
    int megabytes;

    @Option(names = "--moves", defaultValue = "200", description = "Moves per freeze measurement (default ${DEFAULT-VALUE}).")
    int moves;

    @Option(names = "--connections", defaultValue = "1000", description = "Idle connections on the moved VIP (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--loops", paramLabel = "N", description = "Event loops of both agents (default: theirs, one per core).")
    Integer loops;

    @Option(names = "--cold", description = "Run the agents without an AOT cache. By default the bench first trains"
            + " one (agents moving an idle connection, an echo stream, a download and a full-speed stream, ~70 s) and"
            + " starts every measured agent with it (--aot-cache), as an operator would.")
    boolean cold;

    @Mixin
    BenchAgentOptions agents;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds of the retrans part (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--only", split = ",", defaultValue = "freeze,download,goodput,vip",
            description = "Parts to run: freeze (idle, echo stream, 4 MB buffer), download (1 MB buffer), goodput, vip,"
                    + " retrans (echo streams only; not in the default) (default ${DEFAULT-VALUE}).")
    java.util.List<String> only;

    @Override
    public Integer call() throws Exception {
        if (megabytes < 512 || moves < 10 || connections < 1 || rounds < 1) {
            System.err.println("bench-moves: want --megabytes >= 512, --moves >= 10, --connections >= 1, --rounds >= 1");
            return 2;
        }
        Path dir = Files.createTempDirectory("handoff-bench-moves");
        Path www = Files.createDirectories(dir.resolve("www"));
        RandomFiles.write(www.resolve("big.bin"), (long) megabytes << 20, 5);
        try {
            if (!cold) {
                aotCache = train(dir, www);
            }
            if (only.contains("freeze")) {
                freezeAndRetransmissions(dir, www, 4 << 20);
            }
            if (only.contains("retrans")) {
                retransmissions(dir, www, 4 << 20);
            }
            if (only.contains("download")) {
                freezeWithDownload(dir, www, 1 << 20);
            }
            if (only.contains("goodput")) {
                goodput(dir, www);
            }
            if (only.contains("vip")) {
                vipMove(dir, www);
            }
        } finally {
            agents.cleanUp(dir);
        }
        return 0;
    }

    /** The agents' AOT cache once trained; null: agents start cold. */
    private Path aotCache;

    /**
     * Trains the agents' AOT cache on what the bench measures, agent a's run writing it as it
     * stops (b trains a copy of its own, dropped: two JVMs must not write one file).
     */
    private Path train(Path dir, Path www) throws Exception {
        Path cache = dir.resolve("agent.aot");
        long start = System.nanoTime();
        System.out.println("training the agents' AOT cache (--cold: without one): moves of an idle connection, an echo"
                + " stream, a download and a full-speed stream");
        try (Topology net = Topology.create();
             Agents agents = agents(net, dir, www, 4 << 20, cache, dir.resolve("agent-b.aot"))) {
            agents.warmUp();
            echoStreamMoves(net, dir, 50);
            movesDuringDownload(net, 50);
            try (Background stream = Background.start(Topology.in(net.peer(), "sh", "-c", "socat -u -b 262144 TCP:"
                    + Topology.VIP + ":9 STDOUT > /dev/null"))) {
                moveRepeatedly(net, onlyConnection(net), 50, 100);
                if (!stream.running()) {
                    throw new IOException("the training stream ended: " + stream.output());
                }
            }
        } // stopped with SIGTERM: the JVMs write their caches as they exit
        if (!Files.isRegularFile(cache)) {
            throw new IOException("agent a's training run wrote no AOT cache to " + cache + "; see its log in " + dir);
        }
        System.out.printf("trained in %.1f s: %s (%d MB)%n", (System.nanoTime() - start) / 1e9, cache,
                Files.size(cache) >> 20);
        return cache;
    }

    /** The two agents of a measurement on {@code net}, stopped on close (SIGTERM, then SIGKILL after 20 s). */
    private record Agents(Topology net, HandoffProcess a, HandoffProcess b) implements AutoCloseable {
        /** Moves an idle connection {@link #WARM_UP} times so that both agents' move paths are compiled (JIT) before measuring. */
        void warmUp() throws IOException, InterruptedException {
            try (Background hold = Background.start(Topology.in(net.peer(), HandoffProcess.launcher(), "probe", "hold",
                    "--count", "1", Topology.VIP, "7"))) {
                hold.awaitOutput("held 1", 60);
                moveRepeatedly(net, onlyConnection(net), WARM_UP, 5);
            }
        }

        @Override
        public void close() {
            try {
                b.stop();
                a.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // killed below
            } finally {
                b.close();
                a.close();
            }
        }
    }

    /** Two agents serving files and echo, started with the trained AOT cache if any; a owns the VIP. */
    private Agents agents(Topology net, Path dir, Path www, int sendBuffer) throws Exception {
        Agents agents = agents(net, dir, www, sendBuffer, aotCache, aotCache);
        for (HandoffProcess p : aotCache == null ? List.<HandoffProcess>of() : List.of(agents.a(), agents.b())) {
            p.awaitLog("AOT cache", 10);
            if (p.lines("AOT cache").stream().noneMatch(l -> l.contains(": in use"))) {
                agents.close();
                throw new IOException("an agent did not use the trained AOT cache " + aotCache + ":\n" + p.log());
            }
        }
        return agents;
    }

    /** Two agents serving files and echo, each with its AOT cache (null: none); a owns the VIP. */
    private Agents agents(Topology net, Path dir, Path www, int sendBuffer, Path aotA, Path aotB) throws Exception {
        List<String> common = new ArrayList<>(List.of("--interface", Topology.IFACE, "--files", www.toString(),
                "--echo-port", "7", "--send-buffer", Integer.toString(sendBuffer), "--loops",
                Integer.toString(loops != null ? loops : Runtime.getRuntime().availableProcessors()),
                "--stream-port", "9", "--stream-bytes", STREAM));
        common.addAll(agents.options);
        HandoffProcess a = HandoffProcess.start(net.hostA(), dir, net.pki().agent(agentArgs(common, aotA, "--name", "a",
                "--vip", Topology.VIP + "/" + Topology.PREFIX, "--control", A)));
        HandoffProcess b = HandoffProcess.start(net.hostB(), dir, net.pki().agent(agentArgs(common, aotB, "--name", "b",
                "--control", B)));
        return new Agents(net, a, b);
    }

    /** {@code own} then {@code common}, and the AOT cache if any. */
    private static String[] agentArgs(List<String> common, Path aot, String... own) {
        List<String> args = new ArrayList<>(List.of(own));
        args.addAll(common);
        if (aot != null) {
            args.addAll(List.of("--aot-cache", aot.toString()));
        }
        return args.toArray(String[]::new);
    }

    /** Idle echo, echo stream with retransmissions counted, download with 4 MB in flight. */
    private void freezeAndRetransmissions(Path dir, Path www, int sendBuffer) throws Exception {
        try (Topology net = Topology.create(); Agents agents = agents(net, dir, www, sendBuffer)) {
            agents.warmUp();
            try (Background hold = Background.start(Topology.in(net.peer(), HandoffProcess.launcher(), "probe", "hold",
                    "--count", "1", Topology.VIP, "7"))) {
                hold.awaitOutput("held 1", 60);
                System.out.println("freeze, idle echo connection: " + moveRepeatedly(net, onlyConnection(net), moves, 20));
            }
            long before = peerRetransmissions(net);
            String echoed = echoStreamMoves(net, dir, 50);
            long withMoves = peerRetransmissions(net) - before;
            // The same stream unmoved: what the path costs without moves (on this VM a few of the
            // peer's frames now and then reach the agent ms late, and the peer probes: BENCHMARKS.md).
            before = peerRetransmissions(net);
            echoStreamMoves(net, dir, 0);
            System.out.println("echo stream into the agent (3 MB/s), 50 moves: " + echoed + "; peer retransmissions "
                    + withMoves + " (the same stream without moves: " + (peerRetransmissions(net) - before) + ")");
            before = peerRetransmissions(net);
            String stats = movesDuringDownload(net, Math.min(moves, 100));
            System.out.println("download, " + (sendBuffer >> 20) + " MB send buffer full (curl at 25 MB/s): " + stats
                    + "; peer retransmissions " + (peerRetransmissions(net) - before));
        }
    }

    /** The echo stream with moves, unmoved at a, and relayed by a to b, {@link #rounds} times. */
    private void retransmissions(Path dir, Path www, int sendBuffer) throws Exception {
        try (Topology net = Topology.create(); Agents agents = agents(net, dir, www, sendBuffer)) {
            agents.warmUp();
            for (int round = 1; round <= rounds; round++) {
                long before = peerRetransmissions(net);
                String echoed = echoStreamMoves(net, dir, 50);
                long moved = peerRetransmissions(net) - before;
                before = peerRetransmissions(net);
                echoStreamMoves(net, dir, 0);
                long unmoved = peerRetransmissions(net) - before;
                before = peerRetransmissions(net);
                echoStreamRelayed(net, dir);
                System.out.printf("round %d, echo stream (3 MB/s), the peer's retransmissions: %d with 50 moves (%s),"
                        + " %d unmoved at a, %d relayed by a to b%n", round, moved, echoed, unmoved,
                        peerRetransmissions(net) - before);
            }
        }
    }

    private void freezeWithDownload(Path dir, Path www, int sendBuffer) throws Exception {
        try (Topology net = Topology.create(); Agents agents = agents(net, dir, www, sendBuffer)) {
            agents.warmUp();
            System.out.println("download, " + (sendBuffer >> 20) + " MB send buffer full (curl at 25 MB/s): "
                    + movesDuringDownload(net, Math.min(moves, 100)));
        }
    }

    /**
     * One stream at full speed, measured over windows with {@link #WINDOW_MOVES} moves every
     * 100 ms and without moves, alternated. The mover is started (a JVM, TLS) and has moved
     * once before its window opens, so that only the moves weigh on the stream.
     */
    private void goodput(Path dir, Path www) throws Exception {
        try (Topology net = Topology.create(); Agents agents = agents(net, dir, www, 4 << 20)) {
            agents.warmUp();
            try (Background stream = Background.start(Topology.in(net.peer(), "sh", "-c", "socat -u -b 262144 TCP:"
                    + Topology.VIP + ":9 STDOUT > /dev/null"))) {
                String id = onlyConnection(net);
                Thread.sleep(3000); // the stream's path compiled, its window open
                double[] still = new double[3];
                double[] moving = new double[3];
                // The VM's speed drifts within a run: each moving window against the still one right after it.
                double[] pairs = new double[3];
                for (int i = 0; i < 3; i++) {
                    Received[] window = movingWindow(net, id);
                    moving[i] = window[1].gbpsSince(window[0]);
                    still[i] = stillWindow(net, (window[1].nanos() - window[0].nanos()) / 1_000_000); // as long as that
                    pairs[i] = moving[i] / still[i];
                    System.out.printf("still window: %.2f Gbit/s (ratio to the window before: %.2f)%n", still[i], pairs[i]);
                    if (!stream.running()) {
                        throw new IOException("the stream ended: " + stream.output());
                    }
                }
                java.util.Arrays.sort(pairs);
                java.util.Arrays.sort(still);
                java.util.Arrays.sort(moving);
                System.out.printf("goodput, one stream, median of 3 windows: %.2f Gbit/s without moves, %.2f Gbit/s with a"
                        + " move every 100 ms (ratio %.2f; median of the 3 pairs' ratios %.2f); windows of %d moves%n",
                        still[1], moving[1], moving[1] / still[1], pairs[1], WINDOW_MOVES);
                operator(net, "move", id, "--agent", A, "--to", B); // the VIP stays at a: a relays the peer's frames to b
                Thread.sleep(1000);
                System.out.printf("goodput at b, the peer's frames relayed by a (5 s, no moves): %.2f Gbit/s%n",
                        stillWindow(net, 5000));
                operator(net, "move", id, "--agent", B, "--to", A);
            }
        }
    }

    /** The stream's count at its first move and at its last while connection {@code id} moves {@link #WINDOW_MOVES} times. */
    private Received[] movingWindow(Topology net, String id) throws Exception {
        try (Background mover = Background.start(Topology.in(net.hostA(), net.pki().with(Role.OPERATOR,
                HandoffProcess.launcher(), "move", id, "--agent", A, "--to", B, "--repeat", Integer.toString(WINDOW_MOVES),
                "--interval-ms", "100")))) {
            mover.awaitOutput("moved ", 60);
            Received from = received(net);
            if (!mover.waitFor(300) || !mover.output().contains("moves=" + WINDOW_MOVES)) {
                throw new IOException("the mover did not make its " + WINDOW_MOVES + " moves:\n" + mover.output());
            }
            Received to = received(net);
            Matcher summary = FREEZE_SUMMARY.matcher(mover.output());
            long precopied = mover.output().lines().filter(l -> l.startsWith("moved ") && !l.contains("(0 send bytes copied"))
                    .count();
            System.out.printf("goodput window: %.2f Gbit/s, %s, %d of %d moves with a pre-copy%n",
                    to.gbpsSince(from), summary.find() ? summary.group() : "", precopied, WINDOW_MOVES);
            return new Received[] {from, to};
        }
    }

    /** Gbit/s of the stream over the next {@code ms}, nothing moving. */
    private static double stillWindow(Topology net, long ms) throws IOException, InterruptedException {
        Received from = received(net);
        Thread.sleep(ms);
        return received(net).gbpsSince(from);
    }

    /**
     * The peer's bytes received on the stream (its kernel's count) and when they were read.
     *
     * @param bytes bytes received so far
     * @param nanos when, {@link System#nanoTime()}
     */
    private record Received(long bytes, long nanos) {
        /** Gbit/s from {@code earlier} to this. */
        double gbpsSince(Received earlier) {
            return (bytes - earlier.bytes) * 8.0 / (nanos - earlier.nanos);
        }
    }

    /** The stream's count now. */
    private static Received received(Topology net) throws IOException {
        String out = Topology.run(Topology.in(net.peer(), "ss", "-tinH", "dst", Topology.VIP + ":9"));
        Matcher m = Pattern.compile("bytes_received:(\\d+)").matcher(out);
        if (!m.find()) {
            throw new IOException("ss shows no stream from the VIP in the peer's namespace:\n" + out);
        }
        return new Received(Long.parseLong(m.group(1)), System.nanoTime());
    }

    private void vipMove(Path dir, Path www) throws Exception {
        try (Topology net = Topology.create(); Agents agents = agents(net, dir, www, 4 << 20)) {
            agents.warmUp();
            try (Background hold = Background.start(Topology.in(net.peer(), "sh", "-c", "ulimit -n " + (connections + 1000)
                    + "; exec " + HandoffProcess.launcher() + " probe hold --count " + connections + " " + Topology.VIP + " 7"))) {
                hold.awaitOutput("held " + connections, 300);
                for (String[] leg : new String[][] {{A, B}, {B, A}}) {
                    System.out.println("vip: " + operator(net, "move-vip", Topology.VIP, "--agent", leg[0], "--to", leg[1]).strip());
                }
            }
        }
    }

    /** Moves a curl download paced at 25 MB/s (its send buffer full) {@code n} times, every 100 ms; the freeze summary. */
    private static String movesDuringDownload(Topology net, int n) throws IOException, InterruptedException {
        Background curl = Background.start(Topology.in(net.peer(), "curl", "-sS", "--fail", "--limit-rate", "25M", "-o",
                "/dev/null", "http://" + Topology.VIP + "/big.bin"));
        try {
            return moveRepeatedly(net, onlyConnection(net), n, 100);
        } finally {
            curl.close();
        }
    }

    /** Moves an echo connection {@code n} times (0: none), every 100 ms, while the peer sends into it at 3 MB/s; the freeze summary. */
    private static String echoStreamMoves(Topology net, Path dir, int n) throws IOException, InterruptedException {
        try (Background echo = startEchoStream(net, dir)) {
            String stats = n > 0 ? moveRepeatedly(net, onlyConnection(net), n, 100) : "no moves";
            awaitEnd(echo);
            return stats;
        }
    }

    /** The echo stream moved once to b as it starts, where it ends (the VIP stays at a, which relays the peer's frames). */
    private static void echoStreamRelayed(Topology net, Path dir) throws IOException, InterruptedException {
        try (Background echo = startEchoStream(net, dir)) {
            operator(net, "move", onlyConnection(net), "--agent", A, "--to", B);
            awaitEnd(echo);
        }
    }

    /** Starts the peer sending 64 MB at 3 MB/s into the VIP's echo service (socat), the echo discarded. */
    private static Background startEchoStream(Topology net, Path dir) throws IOException {
        Path in = dir.resolve("echo-in.bin");
        if (!Files.exists(in)) {
            RandomFiles.write(in, 64L << 20, 3);
        }
        return Background.start(Topology.in(net.peer(), "sh", "-c", HandoffProcess.launcher()
                + " probe pace --rate 3000000 < " + in + " | socat -t 30 -b 65536 - TCP:" + Topology.VIP + ":7 > /dev/null"));
    }

    /** Waits for the echo stream to end; fails if it has not within 120 s. */
    private static void awaitEnd(Background echo) throws IOException, InterruptedException {
        if (!echo.waitFor(120)) {
            throw new IOException("the echo stream did not end within 120 s: " + echo.output());
        }
    }

    /** Moves the connection back and forth {@code n} times; returns the freeze summary line. */
    private static String moveRepeatedly(Topology net, String id, int n, int intervalMs) throws IOException {
        String out = operator(net, "move", id, "--agent", A, "--to", B, "--repeat", Integer.toString(n),
                "--interval-ms", Integer.toString(intervalMs));
        Matcher m = FREEZE_SUMMARY.matcher(out);
        if (!m.find()) {
            throw new IOException("no freeze summary from handoff move:\n" + out);
        }
        return m.group();
    }

    /** The id of the only connection at agent a, once it shows. */
    private static String onlyConnection(Topology net) throws IOException, InterruptedException {
        for (int i = 0; i < 200; i++) {
            String json = operator(net, "conns", "--agent", A, "--json");
            Matcher m = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(json);
            if (m.find()) {
                return m.group(1);
            }
            Thread.sleep(50);
        }
        throw new IOException("no connection showed at agent a");
    }

    /** Runs a handoff operator command in host-a's namespace. */
    private static String operator(Topology net, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(HandoffProcess.launcher()));
        cmd.addAll(List.of(args));
        cmd.addAll(net.pki().args(Role.OPERATOR));
        return Topology.run(Topology.in(net.hostA(), cmd.toArray(String[]::new)));
    }

    /** TcpRetransSegs of the peer's namespace. */
    private static long peerRetransmissions(Topology net) throws IOException {
        String out = Topology.run(Topology.in(net.peer(), "nstat", "-az", "TcpRetransSegs"));
        Matcher m = Pattern.compile("TcpRetransSegs\\s+(\\d+)").matcher(out);
        if (!m.find()) {
            throw new IOException("nstat printed no TcpRetransSegs:\n" + out);
        }
        return Long.parseLong(m.group(1));
    }
}
