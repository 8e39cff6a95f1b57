package dev.handoff.agent.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.HandlerFactory;
import dev.handoff.agent.app.HttpFileHandler;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.audit.TransparencyAudit;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.link.TapLink;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.MacAddress;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deterministic application moves with only its bytes in flight: the file server's unsent
 * bytes stay behind and are read from the file again at the destination, byte for byte.
 */
class FileServerMoveTest {
    @TempDir
    Path www;
    final List<Host> hosts = new ArrayList<>();
    final TransparencyAudit audit = new TransparencyAudit(ip -> ip == HostMigrationTest.VIP);

    @AfterEach
    void stop() {
        hosts.forEach(h -> h.shutdown(500));
    }

    Host server(MemorySwitch sw, String name, long mac, HandlerFactory files) {
        Host h = new Host(name, sw.port(name, mac), TcpConfig.defaults(), new SplittableRandom(mac), e -> { });
        h.serve(80, HandlerDriver.acceptor(files));
        h.restoreWith(files.name(), HandlerDriver.restorer(files));
        h.start();
        hosts.add(h);
        return h;
    }

    @Test
    void aDownloadMovesWithItsBytesInFlightOnlyAndArrivesIntact() throws Exception {
        byte[] content = new byte[24 << 20];
        new SplittableRandom(7).nextBytes(content);
        Files.write(www.resolve("f.bin"), content);
        HandlerFactory files = HttpFileHandler.factory(www);
        MemorySwitch sw = new MemorySwitch();
        Host a = server(sw, "a", HostMigrationTest.MAC_A, files);
        a.addVip(HostMigrationTest.VIP);
        Host b = server(sw, "b", HostMigrationTest.MAC_B, files);
        Host client = new Host("client", new TapLink(sw.port("client", MacAddress.parse("02:00:00:00:00:02")), audit::onFrame),
                TcpConfig.defaults(), new SplittableRandom(3), e -> { });
        client.addVip(HostMigrationTest.CLIENT);
        client.start();
        hosts.add(client);

        TcpSocket s = TcpSocket.connect(client, HostMigrationTest.CLIENT, HostMigrationTest.VIP, 80, 5000);
        s.getOutputStream().write("GET /f.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[64 << 10];
        List<Integer> carried = new ArrayList<>();
        Host from = a;
        Host to = b;
        long toMac = HostMigrationTest.MAC_B;
        int moves = 0;
        while (got.size() < content.length + 100) {
            int n = in.read(buf);
            if (n < 0) {
                break;
            }
            got.write(buf, 0, n);
            if (moves < 6 && got.size() > (moves + 1) * (3 << 20)) {
                Thread.sleep(20); // the client lags: the server's send buffer fills up beyond what is in flight
                HostMigrationTest.move(from, to, toMac, ici -> {
                    carried.add(ici.getSendQueue().size());
                    assertEquals(ici.getSndNxt() - ici.getSndUna(), ici.getSendQueue().size(),
                            "the ICI carries the bytes in flight, no unsent ones");
                });
                Host t = from;
                from = to;
                to = t;
                toMac = toMac == HostMigrationTest.MAC_B ? HostMigrationTest.MAC_A : HostMigrationTest.MAC_B;
                moves++;
            }
            if (got.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")
                    && got.size() - got.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n") - 4 == content.length) {
                break;
            }
        }
        byte[] all = got.toByteArray();
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int body = text.indexOf("\r\n\r\n") + 4;
        assertTrue(text.startsWith("HTTP/1.1 200"), text.substring(0, Math.min(80, text.length())));
        assertArrayEquals(content, java.util.Arrays.copyOfRange(all, body, all.length), "the file arrived intact over 6 moves");
        assertEquals(6, moves);
        assertEquals(0, audit.violationCount(), audit.report());
        System.out.println("file server moves: send queue carried " + carried + " bytes");
    }
}
