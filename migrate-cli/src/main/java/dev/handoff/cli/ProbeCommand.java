package dev.handoff.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code handoff probe}: kernel-socket helpers the benchmarks run inside namespaces: a
 * 1-byte echo latency client, a kernel echo server to compare with, and a holder of many
 * idle connections.
 */
@Command(name = "probe", mixinStandardHelpOptions = true, hidden = true,
        description = {"Kernel-socket helpers for tests and benchmarks: latency HOST PORT, echo-server PORT,",
            "hold HOST PORT (then each line 'check' on stdin sends a word on every held connection and expects it echoed),",
            "pace --rate BYTES_PER_SECOND (copies stdin to stdout at that rate)."})
final class ProbeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODE", description = "latency | echo-server | hold | pace")
    String mode;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "HOST PORT (latency, hold) or PORT (echo-server); none for pace")
    List<String> args = new ArrayList<>();

    @Option(names = "--count", defaultValue = "10000", description = "Round trips (latency) or connections (hold).")
    int count;

    @Option(names = "--rate", defaultValue = "10485760", description = "Bytes per second (pace).")
    long rate;

    @Override
    public Integer call() throws Exception {
        return switch (mode) {
            case "latency" -> latency(args.get(0), Integer.parseInt(args.get(1)));
            case "echo-server" -> echoServer(Integer.parseInt(args.get(0)));
            case "hold" -> hold(args.get(0), Integer.parseInt(args.get(1)));
            case "pace" -> pace();
            default -> {
                System.err.println("probe: unknown mode '" + mode + "': use latency, echo-server, hold or pace");
                yield 2;
            }
        };
    }

    /** Sends 1 byte and waits for it back, {@code count} times; prints the median and p99 in microseconds. */
    private int latency(String host, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), 5000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            long[] rtt = new long[count];
            for (int i = -200; i < count; i++) { // 200 warm-up round trips
                long t = System.nanoTime();
                out.write(i & 0x7f);
                if (in.read() < 0) {
                    throw new IOException("echo closed after " + i + " round trips");
                }
                if (i >= 0) {
                    rtt[i] = System.nanoTime() - t;
                }
            }
            Arrays.sort(rtt);
            System.out.printf("rtt_us median=%.1f p99=%.1f%n", rtt[count / 2] / 1e3, rtt[(int) (count * 0.99)] / 1e3);
        }
        return 0;
    }

    /** A kernel TCP echo server, one thread per connection, until killed. */
    private int echoServer(int port) throws IOException {
        try (ServerSocket ss = new ServerSocket(port)) {
            System.out.println("echo-server listening on " + port);
            while (true) {
                Socket s = ss.accept();
                s.setTcpNoDelay(true);
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        s.getInputStream().transferTo(s.getOutputStream());
                    } catch (IOException e) {
                        System.err.println("echo-server: " + e.getMessage());
                    }
                });
            }
        }
    }

    /**
     * Opens {@code count} connections and keeps them idle until killed; each line "check" on
     * stdin sends a 4-byte word on every one and prints how many echoed it back.
     */
    private int hold(String host, int port) throws IOException, InterruptedException {
        List<Socket> held = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(10_000);
            held.add(s);
        }
        System.out.println("held " + held.size());
        System.out.flush();
        java.io.BufferedReader commands = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
        for (String line; (line = commands.readLine()) != null; ) {
            if (!line.strip().equals("check")) {
                System.out.println("probe: unknown command '" + line + "': use check");
                continue;
            }
            int ok = 0;
            for (int i = 0; i < held.size(); i++) {
                byte[] word = java.nio.ByteBuffer.allocate(4).putInt(i).array();
                try {
                    held.get(i).getOutputStream().write(word);
                    if (Arrays.equals(word, held.get(i).getInputStream().readNBytes(4))) {
                        ok++;
                    } else {
                        System.out.println("connection " + i + " echoed something else");
                    }
                } catch (IOException e) {
                    System.out.println("connection " + i + " failed: " + e.getMessage());
                }
            }
            System.out.println("echoed " + ok + "/" + held.size());
            System.out.flush();
        }
        Thread.sleep(Long.MAX_VALUE);
        return 0;
    }

    /** Copies stdin to stdout at {@link #rate} bytes per second, in 64 KB steps. */
    private int pace() throws IOException, InterruptedException {
        if (rate < 1) {
            System.err.println("probe pace: --rate must be at least 1 byte per second");
            return 2;
        }
        byte[] buf = new byte[64 * 1024];
        long start = System.nanoTime();
        long sent = 0;
        for (int n; (n = System.in.read(buf)) > 0; ) {
            System.out.write(buf, 0, n);
            System.out.flush();
            sent += n;
            long due = start + sent * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        return 0;
    }
}
