package dev.handoff.cli;

import dev.handoff.security.Credentials;
import dev.handoff.store.FileCheckpointStore;
import dev.handoff.store.StoreServer;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code handoff store}: the checkpoint store as a process of its own. */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = {"Runs the checkpoint store: connection checkpoints and VIP leases, durable in DIR",
            "(append-only segments, CRC per record, fsync before each write is acknowledged).",
            "Agents (certificates of role agent) write and read checkpoints and leases; operators and readers may",
            "list them. Runs until SIGTERM/SIGINT.",
            "Example: handoff store --listen 10.77.0.20:7800 --dir /var/lib/handoff/store \\",
            "           --tls-cert pki/store.pem --tls-key pki/store-key.pem --tls-ca pki/ca.pem"})
final class StoreCommand implements Callable<Integer> {
    @Option(names = "--listen", required = true, paramLabel = "ADDR:PORT", description = "Address to serve the store's gRPC API on.")
    String listen;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory of the log: its segment files and compacted base (created if missing).")
    Path dir;

    @Mixin
    TlsOptions tls;

    @Override
    public Integer call() throws Exception {
        HostPort address;
        Credentials credentials;
        try {
            address = HostPort.parse("--listen", listen);
            credentials = tls.credentials("store");
        } catch (IllegalArgumentException e) {
            System.err.println("handoff store: " + e.getMessage());
            return 2;
        }
        DateTimeFormatter time = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
        FileCheckpointStore store;
        try {
            store = FileCheckpointStore.open(dir, System::currentTimeMillis);
        } catch (RuntimeException e) {
            System.err.println("handoff store: " + e.getMessage());
            return 1;
        }
        StoreServer server = StoreServer.start(NettyServerBuilder.forAddress(
                new InetSocketAddress(address.host(), address.port()), credentials.server())
                .intercept(credentials.authorizer()), store);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            store.close();
            System.out.println(time.format(LocalTime.now()) + " store stopped after " + store.commits() + " commits");
        }, "store-stop"));
        System.out.println(time.format(LocalTime.now()) + " store serving on " + listen + " (" + credentials + "), " + dir + ": " + store.recovery());
        server.awaitTermination();
        return 0;
    }
}
