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
        description = "Kernel-socket helpers for benchmarks: latency HOST PORT, echo-server PORT, hold HOST PORT.")
final class ProbeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODE", description = "latency | echo-server | hold")
    String mode;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "HOST PORT (latency, hold) or PORT (echo-server)")
    List<String> args = new ArrayList<>();

    @Option(names = "--count", defaultValue = "10000", description = "Round trips (latency) or connections (hold).")
    int count;

    @Override
    public Integer call() throws Exception {
        return switch (mode) {
            case "latency" -> latency(args.get(0), Integer.parseInt(args.get(1)));
            case "echo-server" -> echoServer(Integer.parseInt(args.get(0)));
            case "hold" -> hold(args.get(0), Integer.parseInt(args.get(1)));
            default -> {
                System.err.println("probe: unknown mode '" + mode + "': use latency, echo-server or hold");
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

    /** Opens {@code count} connections and keeps them idle until killed. */
    private int hold(String host, int port) throws IOException, InterruptedException {
        List<Socket> held = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(host, port), 10_000);
            held.add(s);
        }
        System.out.println("held " + held.size());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
        return 0;
    }
}
