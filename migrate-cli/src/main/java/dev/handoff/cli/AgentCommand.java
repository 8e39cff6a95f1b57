package dev.handoff.cli;

import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.HandlerFactory;
import dev.handoff.agent.app.HttpFileHandler;
import dev.handoff.agent.app.StreamHandler;
import dev.handoff.agent.checkpoint.CheckpointSettings;
import dev.handoff.agent.checkpoint.Checkpointer;
import dev.handoff.agent.checkpoint.Durability;
import dev.handoff.agent.checkpoint.Resurrector;
import dev.handoff.agent.cluster.Failover;
import dev.handoff.agent.cluster.LeaseKeeper;
import dev.handoff.agent.cluster.MemberStatus;
import dev.handoff.agent.cluster.Membership;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.host.HostEvent;
import dev.handoff.agent.host.ThreadScheduling;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.agent.link.AfPacketLink;
import dev.handoff.agent.link.PacketLink;
import dev.handoff.agent.link.PcapFileLink;
import dev.handoff.agent.link.PcapLink;
import dev.handoff.agent.rpc.AgentServer;
import dev.handoff.agent.tcp.CongestionControl;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.security.Credentials;
import dev.handoff.store.CheckpointStore;
import dev.handoff.store.FileCheckpointStore;
import dev.handoff.store.RemoteCheckpointStore;
import dev.handoff.store.StaleEpochException;
import io.grpc.Grpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code handoff agent}: runs an agent on an interface until SIGTERM or SIGINT. */
@Command(name = "agent", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs a Handoff agent: owns the VIP in user space on INTERFACE (raw Ethernet through AF_PACKET or libpcap),",
            "answers ARP for it, and serves the configured handlers to any TCP peer. The VIP must NOT be",
            "configured on this host's kernel. Runs until SIGTERM or SIGINT, then closes its connections",
            "cleanly. Logs one line per connection opened and closed. Needs root (or CAP_NET_RAW).",
            "",
            "Example:",
            "  sudo handoff agent --name a --interface eth0 --vip 10.77.0.100/24 --files /srv/www --control 10.77.0.11:7700",
            "  curl http://10.77.0.100/some-file      # from another host on the LAN",
            "With --control, --store or --store-dir, gRPC is mutual TLS: add --tls-cert, --tls-key, --tls-ca and",
            "--ici-key from `handoff certs` (or set HANDOFF_TLS_CERT, HANDOFF_TLS_KEY, HANDOFF_TLS_CA, HANDOFF_ICI_KEY);",
            "they are left out below.",
            "A cluster with fail-over (a store process, then each agent naming the others):",
            "  handoff store --listen 10.77.0.12:7800 --dir /var/lib/handoff/store",
            "  sudo handoff agent --name a ... --control 10.77.0.11:7700 --store 10.77.0.12:7800 --peers b=10.77.0.12:7700",
            "  sudo handoff agent --name b ... --control 10.77.0.12:7700 --store 10.77.0.12:7800 --peers a=10.77.0.11:7700"})
final class AgentCommand implements Callable<Integer> {
    @Option(names = "--name", required = true, paramLabel = "NAME", description = "Name of this agent, for logs.")
    String name;

    @Option(names = "--interface", required = true, paramLabel = "IFACE",
            description = "Network interface to own the VIP on, e.g. eth0.")
    String iface;

    @Option(names = "--vip", paramLabel = "ADDR/PREFIX",
            description = "Virtual IPv4 address the agent owns, with its subnet prefix, e.g. 10.77.0.100/24."
                    + " Repeatable. Without one the agent owns no VIP at first and takes connections moved to it"
                    + " for any address of its interface's subnet.")
    List<String> vipSpecs = new java.util.ArrayList<>();

    @Option(names = "--control", paramLabel = "ADDR:PORT",
            description = "Serve the control API (gRPC: list, migrate, import; health; reflection) on this address,"
                    + " e.g. 10.77.0.11:7700. Mutual TLS with the --tls files; every call authorized by the"
                    + " caller's role.")
    String control;

    @Option(names = "--files", paramLabel = "DIR", description = "Serve this directory over HTTP/1.1 (GET, HEAD, Range).")
    Path files;

    @Option(names = "--http-port", defaultValue = "80", paramLabel = "PORT",
            description = "Port of the file server (default ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--echo-port", paramLabel = "PORT", description = "Serve echo on this port (e.g. 7).")
    Integer echoPort;

    @Option(names = "--stream-port", paramLabel = "PORT",
            description = "Serve the test stream on this port: sends --stream-bytes of a seeded pseudorandom stream,"
                    + " consumes and hashes what it receives.")
    Integer streamPort;

    @Option(names = "--stream-bytes", defaultValue = "0", paramLabel = "N",
            description = "Bytes the stream service sends per connection (default ${DEFAULT-VALUE}).")
    long streamBytes;

    @Option(names = "--stream-seed", defaultValue = "1", paramLabel = "SEED",
            description = "Seed of the stream service's bytes (default ${DEFAULT-VALUE}).")
    long streamSeed;

    @Option(names = "--link", defaultValue = "af-packet", paramLabel = "KIND",
            description = "How frames reach the wire: af-packet (a raw socket through Java's FFM API, handing the kernel"
                    + " 64 KB segments to split, as TSO does: about 5x faster) or pcap (libpcap through pcap4j, with a"
                    + " BPF filter). Default ${DEFAULT-VALUE}.")
    String linkKind;

    @Option(names = "--loops", paramLabel = "N",
            description = "Event loops running the agent's connections, each on its own thread with its own socket; a"
                    + " connection's loop is chosen by a hash of its peer address and ports, which the kernel applies to"
                    + " steer frames, as a NIC's receive-side scaling does. More loops serve many connections on more"
                    + " cores; one connection never goes faster than one loop. 1..the number of cores (default: one per"
                    + " core).")
    Integer loops;

    @Option(names = "--pcap", paramLabel = "FILE", description = "Also record every frame sent and received to FILE (.pcap, opens in Wireshark).")
    Path pcap;

    @Option(names = "--aot-cache", paramLabel = "FILE",
            description = "Start warm: the JVM's ahead-of-time cache (classes linked and method profiles from a"
                    + " training run). If FILE is missing or older than handoff.jar, this run trains it and the JVM"
                    + " writes it when the agent stops on SIGTERM or SIGINT; later starts use it, and their moves"
                    + " and data paths are compiled from the start. Applied by the handoff launcher.")
    Path aotCache;

    @Option(names = "--grace-ms", defaultValue = "5000", paramLabel = "MS",
            description = "On SIGTERM/SIGINT, wait this long for connections to close cleanly (default ${DEFAULT-VALUE}).")
    long graceMs;

    @Option(names = "--send-buffer", defaultValue = "4194304", paramLabel = "BYTES",
            description = "Send buffer per connection: bytes an application may queue, and the most a move carries in "
                    + "its ICI (default ${DEFAULT-VALUE}; 65536..67108864). Agents that exchange connections need the same size or larger.")
    int sendBuffer;

    @Option(names = "--congestion-control", defaultValue = "cubic", paramLabel = "NAME",
            description = "Congestion control of the agent's connections: cubic (RFC 9438), newreno (RFC 5681) or bbr"
                    + " (BBR v1, without pacing: keeps its rate through random loss) (default ${DEFAULT-VALUE}).")
    String congestionControl;

    @Option(names = "--no-congestion-state",
            description = "Moved-out connections start the destination in slow start instead of carrying cwnd, ssthresh "
                    + "and RTT estimates (carry them only when agents share an L2 segment, the default setup).")
    boolean noCongestionState;

    @Option(names = "--loop-nice", paramLabel = "N", defaultValue = "-5",
            description = "Linux nice value of the event loops' threads, -20..19 (default ${DEFAULT-VALUE}): a busy loop"
                    + " then gets a larger share of a CPU than the JVM's compiler threads, gRPC threads and other"
                    + " processes of normal priority. Below 0 needs root or CAP_SYS_NICE (the agent logs it if"
                    + " refused); 0 leaves the threads as started.")
    int loopNice;

    @Option(names = "--loop-realtime", paramLabel = "PRIO", defaultValue = "0",
            description = "Run the event loops' threads under the real-time policy SCHED_FIFO at priority PRIO, 1..99,"
                    + " instead of the fair scheduler (default ${DEFAULT-VALUE}: off). A real-time loop runs the moment"
                    + " a frame wakes it, as a loop with a short --loop-slice does, but a busy one keeps every fair"
                    + " thread of the agent (its gRPC and compiler threads) off its CPU: two fail-over runs in six"
                    + " with it had a 3 s outage (BENCHMARKS.md). Needs root or CAP_SYS_NICE.")
    int loopRealtime;

    @Option(names = "--loop-slice", paramLabel = "MICROS", defaultValue = "100",
            description = "The fair scheduler's slice for the event loops' threads, in microseconds, 100..100000, or 0"
                    + " for the kernel's (about 0.7 ms times 1 + log2 of the CPUs) (default ${DEFAULT-VALUE}). Linux"
                    + " 6.12 and later let a woken thread whose slice is shorter than the running thread's preempt"
                    + " it at once; with the kernel's slice a loop woken by a frame could wait for the next"
                    + " scheduler tick (4 ms at HZ 250), long enough for a peer to send a tail-loss probe (moved"
                    + " echo streams: 5 in 30 had one, against 12 in 33 with the kernel's slice; BENCHMARKS.md)."
                    + " Older kernels ignore it. Ignored with --loop-realtime.")
    int loopSlice;

    @Option(names = "--store", paramLabel = "ADDR:PORT",
            description = "Checkpoint every connection into the checkpoint store at ADDR:PORT (`handoff store`), so that"
                    + " another agent can resurrect them if this one dies. Agents of one cluster share one store.")
    String store;

    @Option(names = "--store-dir", paramLabel = "DIR",
            description = "Checkpoint into a store embedded in this process, kept in DIR (a single host: survives a restart).")
    Path storeDir;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "20", paramLabel = "MS",
            description = "Time between checkpoint rounds (default: ${DEFAULT-VALUE}). Received bytes are acknowledged, and"
                    + " bytes of strict applications (echo, stream) sent, only once a checkpoint holds them.")
    long checkpointIntervalMs;

    @Option(names = "--msl-ms", defaultValue = "120000", paramLabel = "MS",
            description = "No checkpoint may be older than this (the MSL, at most 120000); a connection whose store does"
                    + " not confirm in time stops sending new data (default: ${DEFAULT-VALUE}).")
    long mslMs;

    @Option(names = "--lease-ms", defaultValue = "1000", paramLabel = "MS",
            description = "Lease time on this agent's VIPs in the store, renewed every quarter of it; another agent may take"
                    + " a VIP only once its lease ran out (default: ${DEFAULT-VALUE}).")
    long leaseMs;

    @Option(names = "--peers", split = ",", paramLabel = "NAME=ADDR:PORT",
            description = "The other agents of this cluster and their --control addresses, e.g. b=10.77.0.12:7700,c=10.77.0.13:7700."
                    + " Agents heartbeat each other; when one dies, one survivor (the same by every agent's reckoning) takes"
                    + " its VIPs over once their leases ran out and resurrects their connections. Needs --control and --store.")
    List<String> peerSpecs = new java.util.ArrayList<>();

    @Option(names = "--failure-timeout-ms", defaultValue = "500", paramLabel = "MS",
            description = "A peer silent this long is taken for dead; heartbeats go every fifth of it (default: ${DEFAULT-VALUE}).")
    long failureTimeoutMs;

    @Option(names = "--clock-skew-ms", defaultValue = "100", paramLabel = "MS",
            description = "How far apart agents' wall clocks may be; a resurrection moves the TCP timestamp clock on by this"
                    + " much more than the time elapsed (default: ${DEFAULT-VALUE}).")
    long clockSkewMs;

    @Mixin
    TlsOptions tls;

    @Option(names = "--ici-key", paramLabel = "FILE", defaultValue = "${env:HANDOFF_ICI_KEY}",
            description = "The cluster's ICI key (ici.key from `handoff certs init`): seals the connection state this"
                    + " agent sends to others and to the store, and checks what it takes in. Agents only."
                    + " Default: $HANDOFF_ICI_KEY. Not needed with --insecure.")
    Path iciKey;

    /** What the JVM does with {@link #aotCache}, for the log; null without one. */
    private String aotCacheState;

    /** Seals and checks connection state (IciSeal.none() with --insecure). */
    private IciSeal seal = IciSeal.none();

    /** Validated TLS credentials for the control API, the store and the peers (null without any gRPC). */
    private Credentials credentials;

    @Override
    public Integer call() throws Exception {
        List<VipSpec> vips = new java.util.ArrayList<>();
        int[] subnet;
        HostPort controlAddress;
        try {
            controlAddress = control == null ? null : HostPort.parse("--control", control);
            for (String spec : vipSpecs) {
                vips.add(VipSpec.parse(spec));
            }
            checkPort("--http-port", httpPort);
            if (echoPort != null) {
                checkPort("--echo-port", echoPort);
            }
            if (streamPort != null) {
                checkPort("--stream-port", streamPort);
            }
            try {
                CongestionControl.create(congestionControl, 1); // the engine's own list of controllers
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--congestion-control: " + e.getMessage(), e);
            }
            int cores = Runtime.getRuntime().availableProcessors();
            if (loops == null) {
                loops = Math.min(cores, Host.MAX_LOOPS);
            }
            if (loops < 1 || loops > Math.min(cores, Host.MAX_LOOPS)) {
                throw new IllegalArgumentException("--loops must be 1.." + Math.min(cores, Host.MAX_LOOPS)
                        + " (one loop per core at most; this machine has " + cores + "), got " + loops);
            }
            ThreadScheduling.checkNice("--loop-nice", loopNice);
            ThreadScheduling.checkRealtime("--loop-realtime", loopRealtime);
            ThreadScheduling.checkSlice("--loop-slice", loopSlice);
            if (sendBuffer < 65536 || sendBuffer > 64 << 20) {
                throw new IllegalArgumentException("--send-buffer must be 65536..67108864 bytes, got " + sendBuffer);
            }
            if (store != null && storeDir != null) {
                throw new IllegalArgumentException("give --store ADDR:PORT (a shared store) or --store-dir DIR (an embedded one), not both");
            }
            if (store != null) {
                storeAddress = HostPort.parse("--store", store);
            }
            LeaseKeeper.checkTtl(leaseMs);
            Membership.checkFailureTimeout(failureTimeoutMs);
            for (String spec : peerSpecs) {
                peers.put(peerName(spec), HostPort.parse("--peers", spec.substring(spec.indexOf('=') + 1)));
            }
            if (!peers.isEmpty() && (controlAddress == null || store == null)) {
                throw new IllegalArgumentException("--peers needs --control ADDR:PORT (where the peers' heartbeats come) and"
                        + " --store ADDR:PORT (the store the cluster shares)" + (storeDir != null
                        ? "; --store-dir is this agent's own store, which no peer can read: run `handoff store` instead" : ""));
            }
            Membership.checkPeers(name, peers.keySet());
            if (controlAddress != null || store != null) {
                credentials = tls.credentials("agent"); // gRPC: mutual TLS, or --insecure
            }
            if ((controlAddress != null || store != null || storeDir != null) && !tls.insecure) {
                if (iciKey == null) {
                    throw new IllegalArgumentException("give --ici-key FILE (or set HANDOFF_ICI_KEY): the cluster's"
                            + " ici.key from `handoff certs init`, which seals connection state and checkpoints;"
                            + " --insecure runs without");
                }
                seal = IciSeal.load(iciKey);
            } else if (storeDir != null && credentials == null) {
                System.err.println("handoff agent: WARNING: --insecure: checkpoints in " + storeDir + " are not sealed");
            }
            checkpointSettings = new CheckpointSettings(checkpointIntervalMs, mslMs,
                    CheckpointSettings.MAX_BYTES_BETWEEN, clockSkewMs);
            if (files == null && echoPort == null && streamPort == null) {
                throw new IllegalArgumentException("nothing to serve: give --files DIR, --echo-port PORT or --stream-port PORT");
            }
            if (aotCache != null) {
                aotCacheState = AotCache.describe(aotCache);
            }
            Preflight.requireRawSockets();
            Preflight.requireLibpcap();
            Preflight.requireInterface(iface);
            for (VipSpec v : vips) {
                Preflight.requireVipNotOnKernel(v.address());
            }
            subnet = vips.isEmpty() ? Preflight.interfaceSubnet(iface)
                    : new int[] {vips.getFirst().address(), vips.getFirst().prefix()};
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("handoff agent: " + e.getMessage());
            return 2;
        }
        if (!linkKind.equals("pcap") && !linkKind.equals("af-packet")) {
            System.err.println("handoff agent: --link must be pcap or af-packet, got '" + linkKind + "'");
            return 2;
        }
        // With several loops each gets a socket of its own, filtered to its flows by the kernel;
        // a --pcap recording needs every frame in one place, so there the loops share one link.
        int sockets = pcap == null ? loops : 1;
        List<PacketLink> links = new java.util.ArrayList<>();
        for (int i = 0; i < sockets; i++) {
            links.add(linkKind.equals("pcap") ? PcapLink.open(iface, vips.stream().map(VipSpec::address).toList(), i, sockets)
                    : AfPacketLink.open(iface, i, sockets));
        }
        TcpConfig tcp = TcpConfig.defaults().toBuilder().sendBufferSize(sendBuffer).congestionControl(congestionControl).build();
        DateTimeFormatter time = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
        java.util.function.Consumer<HostEvent> log = line -> System.out.println(time.format(LocalTime.now()) + " " + name + " " + line);
        Host host = pcap != null ? new Host(name, new PcapFileLink(links.getFirst(), pcap), tcp, new SecureRandom(), log, loops)
                : new Host(name, links, tcp, new SecureRandom(), log);
        host.carryCongestionState(!noCongestionState);
        host.scheduleLoops(new ThreadScheduling(loopNice, loopRealtime, loopSlice));
        for (VipSpec v : vips) {
            host.addVip(v.address());
        }
        host.acceptMovedConnectionsIn(subnet[0], subnet[1]);
        if (files != null) {
            serve(host, httpPort, HttpFileHandler.factory(files));
        }
        if (echoPort != null) {
            serve(host, echoPort, EchoHandler.FACTORY);
        }
        if (streamPort != null) {
            serve(host, streamPort, StreamHandler.factory(streamSeed, streamBytes));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println(time.format(LocalTime.now()) + " " + name + " stopping: closing connections");
            host.shutdown(graceMs);
            System.out.println(time.format(LocalTime.now()) + " " + name + " tcp counters: " + host.tcpCounters());
            System.out.println(time.format(LocalTime.now()) + " " + name + " host counters: " + host.counters());
        }, "shutdown"));
        host.start();
        Durability durability = null;
        if (store != null || storeDir != null) {
            try {
                durability = startCheckpointing(host, vips, time);
            } catch (RuntimeException e) {
                System.err.println("handoff agent: " + e.getMessage());
                host.shutdown(0);
                return 1;
            }
        }
        AgentServer server = null;
        if (controlAddress != null) {
            server = AgentServer.start(NettyServerBuilder.forAddress(
                    new InetSocketAddress(controlAddress.host(), controlAddress.port()), credentials.server()),
                    host, credentials, durability, seal);
            System.out.println(time.format(LocalTime.now()) + " " + name + " control API on " + control + ", " + credentials);
        }
        System.out.println(time.format(LocalTime.now()) + " " + name + " serving " + (vips.isEmpty() ? "no VIP yet" : vips) + " on " + iface
                + (files != null ? ", files from " + files + " on port " + httpPort : "")
                + (echoPort != null ? ", echo on port " + echoPort : "")
                + (streamPort != null ? ", stream on port " + streamPort : ""));
        if (aotCacheState != null) {
            System.out.println(time.format(LocalTime.now()) + " " + name + " " + aotCacheState);
        }
        try {
            host.awaitTermination();
        } finally {
            if (server != null) {
                server.close();
            }
        }
        return 0;
    }

    /** The peer name of a {@code --peers} entry, checked. */
    private static String peerName(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--peers takes NAME=ADDR:PORT entries, e.g. b=10.77.0.12:7700; got '" + spec + "'");
        }
        return spec.substring(0, eq);
    }

    /** Validated --peers, by name. */
    private final Map<String, HostPort> peers = new LinkedHashMap<>();
    /** Validated checkpoint settings. */
    private CheckpointSettings checkpointSettings;
    /** Validated --store address, or null. */
    private HostPort storeAddress;

    /** Opens the store, takes the leases on the VIPs and starts checkpointing; fails with what to do. */
    private Durability startCheckpointing(Host host, List<VipSpec> vips, DateTimeFormatter time) {
        CheckpointStore cs;
        if (storeDir != null) {
            FileCheckpointStore embedded = FileCheckpointStore.open(storeDir, System::currentTimeMillis);
            System.out.println(time.format(LocalTime.now()) + " " + name + " store in " + storeDir + ": " + embedded.recovery());
            cs = embedded;
        } else {
            cs = new RemoteCheckpointStore(RemoteCheckpointStore.channelTo(storeAddress.host(), storeAddress.port(),
                    credentials.channel()));
            try {
                cs.lease(0); // connects (lease calls then have only half a lease time each)
            } catch (RuntimeException e) {
                throw new IllegalStateException("cannot reach the checkpoint store at " + store + ": " + e.getMessage()
                        + "; start it with `handoff store --listen " + store + " --dir DIR`, or check --store", e);
            }
        }
        LongSupplier clock = () -> System.nanoTime() / 1_000_000;
        LeaseKeeper leases = new LeaseKeeper(cs, name, leaseMs, clock, trouble -> host.report(HostEvent.ERROR, name, trouble),
                vip -> host.abandonVip(vip, "its lease could not be renewed in time"));
        for (VipSpec v : vips) {
            try {
                leases.take(v.address());
            } catch (StaleEpochException e) {
                throw new IllegalStateException("cannot take " + Ipv4Address.format(v.address()) + ": " + e.getMessage()
                        + "; another agent speaks for it: wait for its lease to run out, or leave --vip out and"
                        + " `handoff resurrect` it here");
            }
        }
        leases.start();
        Checkpointer checkpointer = new Checkpointer(host, cs, checkpointSettings, leases, seal);
        checkpointer.start();
        System.out.println(time.format(LocalTime.now()) + " " + name + " checkpointing every " + checkpointIntervalMs
                + " ms into " + (storeDir != null ? storeDir : store) + ", leases of " + leaseMs + " ms");
        Resurrector resurrector = new Resurrector(host, cs, leases, checkpointSettings, seal);
        Membership membership = null;
        if (!peers.isEmpty()) {
            Failover failover = new Failover(name, vip -> resurrector.resurrect(vip).thenApply(List::size), host::report, clock);
            Map<String, io.grpc.Channel> channels = new LinkedHashMap<>();
            peers.forEach((peer, address) -> channels.put(peer,
                    Grpc.newChannelBuilderForAddress(address.host(), address.port(), credentials.channel()).build()));
            membership = new Membership(name, () -> new MemberStatus(name, host.vipsSpokenFor(), leases.storeReachable()), channels,
                    failureTimeoutMs, clock, host::report, failover::onView);
            membership.start();
            System.out.println(time.format(LocalTime.now()) + " " + name + " cluster with " + peers.keySet()
                    + ": heartbeats every " + membership.heartbeatIntervalMs() + " ms, a peer silent for "
                    + failureTimeoutMs + " ms is taken for dead and its VIPs taken over");
        }
        return new Durability(checkpointer, resurrector, leases, membership);
    }

    /** Serves {@code factory} on {@code port} and lets its connections be moved here. */
    private static void serve(Host host, int port, HandlerFactory factory) {
        host.serve(port, HandlerDriver.acceptor(factory));
        host.restoreWith(factory.name(), HandlerDriver.restorer(factory));
    }

    private static void checkPort(String option, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(option + " must be 1..65535, got " + port);
        }
    }
}
