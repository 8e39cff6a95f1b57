package dev.handoff.agent.fuzz;

import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.link.TapLink;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes the seed inputs of the fuzz corpora: real frames of an echo session between two
 * in-process hosts (ARP, SYN, SYN-ACK with options, data, FIN), the ICIs of connections
 * frozen with and without queued data, and HTTP request heads. Run once from the agent
 * module ({@code java -cp ... dev.handoff.agent.fuzz.FuzzSeeds}); the seeds are kept in the
 * repository.
 */
public final class FuzzSeeds {
    private FuzzSeeds() {
    }

    public static void main(String[] args) throws Exception {
        try {
            write(args);
        } finally {
            System.exit(0); // the hosts' loops are not daemons
        }
    }

    private static void write(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources/fuzz");
        int vip = Ipv4Address.parse("10.9.0.100");
        int client = Ipv4Address.parse("10.9.0.2");
        List<byte[]> frames = java.util.Collections.synchronizedList(new ArrayList<>());
        MemorySwitch sw = new MemorySwitch();
        Host server = new Host("a", sw.port("a", MacAddress.parse("02:00:00:00:00:0a")), TcpConfig.defaults(),
                new SplittableRandom(1), e -> { });
        server.serve(7, HandlerDriver.acceptor(EchoHandler.FACTORY));
        server.restoreWith("echo", HandlerDriver.restorer(EchoHandler.FACTORY));
        server.addVip(vip);
        server.start();
        Host peer = new Host("client", new TapLink(sw.port("client", MacAddress.parse("02:00:00:00:00:02")),
                (buf, off, len) -> frames.add(Arrays.copyOfRange(buf, off, off + len))), TcpConfig.defaults(),
                new SplittableRandom(2), e -> { });
        peer.addVip(client);
        peer.start();
        List<byte[]> icis = new ArrayList<>();
        try (TcpSocket s = TcpSocket.connect(peer, client, vip, 7, 5000)) {
            s.getOutputStream().write("hello, seeds".getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().readNBytes(12);
            Thread.sleep(30);
            String id = server.connections().get().getFirst().id();
            Host.Export e = server.exportConnection(id, -1, 3).get();
            icis.add(e.ici().toByteArray());
            icis.add(e.ici().toBuilder().setSendQueue(com.google.protobuf.ByteString.copyFromUtf8("queued")).build().toByteArray());
            server.finishMove(List.of(e), 0, false, "seeds").get();
        }
        Thread.sleep(100);
        server.shutdown(0);
        peer.shutdown(0);
        write(root.resolve("FrameFuzzTarget"), frames.subList(0, Math.min(16, frames.size())));
        write(root.resolve("IciFuzzTarget"), icis);
        List<byte[]> http = new ArrayList<>();
        for (String head : List.of("GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=1-3",
                "HEAD /d/ HTTP/1.0\r\nConnection: keep-alive", "GET /../../etc/passwd HTTP/1.1\r\nHost: x",
                "GET /a.txt?x=%2e%2e HTTP/1.1\r\nRange: bytes=-2", "POST /a.txt HTTP/1.1\r\nContent-Length: 0")) {
            byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
            byte[] in = new byte[b.length + 1]; // first byte even: a request head
            System.arraycopy(b, 0, in, 1, b.length);
            http.add(in);
        }
        write(root.resolve("HttpFuzzTarget"), http);
    }

    private static void write(Path dir, List<byte[]> inputs) throws java.io.IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < inputs.size(); i++) {
            Files.write(dir.resolve(String.format("seed-%02d", i)), inputs.get(i));
        }
        System.out.println(dir + ": " + inputs.size() + " seeds");
    }
}
