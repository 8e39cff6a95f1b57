package dev.handoff.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.app.EchoHandler;
import dev.handoff.agent.app.HandlerDriver;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.link.MemorySwitch;
import dev.handoff.agent.tcp.TcpConfig;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.proto.v1.Ici;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** tcpcp's ten steps one by one (paper §2): isolate, dump, create with each port mode, activate, discard. */
class TcpcpOperationsTest {
    static final int VIP = Ipv4Address.parse("10.9.0.100");
    static final int CLIENT = Ipv4Address.parse("10.9.0.2");
    static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");

    final List<Host> hosts = new java.util.ArrayList<>();

    @AfterEach
    void stop() {
        hosts.forEach(h -> h.shutdown(500));
    }

    Host host(MemorySwitch sw, String name, long mac, int address) {
        Host h = new Host(name, sw.port(name, mac), TcpConfig.defaults(), new SplittableRandom(mac), e -> { });
        h.serve(7, HandlerDriver.acceptor(EchoHandler.FACTORY));
        h.restoreWith("echo", HandlerDriver.restorer(EchoHandler.FACTORY));
        h.acceptMovedConnectionsIn(VIP, 24);
        h.addVip(address);
        h.start();
        hosts.add(h);
        return h;
    }

    /** The agent owning the VIP. */
    Host a;
    /** Another agent. */
    Host b;
    /** The peer. */
    Host client;
    /** The peer's connection to a's echo. */
    TcpSocket s;

    /** a, b and the client on one switch; the client connected to a. */
    void start() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        a = host(sw, "a", MacAddress.parse("02:00:00:00:00:0a"), VIP);
        b = host(sw, "b", MAC_B, Ipv4Address.parse("10.9.0.12"));
        client = host(sw, "client", MacAddress.parse("02:00:00:00:00:02"), CLIENT);
        s = TcpSocket.connect(client, CLIENT, VIP, 7, 5000);
    }

    String echo(TcpSocket s, String word) throws Exception {
        s.getOutputStream().write(word.getBytes());
        return new String(s.getInputStream().readNBytes(word.length()));
    }

    @Test
    void theTenStepsMoveAConnectionAndNothingTheClientSentIsLost() throws Exception {
        start();
        assertEquals("one", echo(s, "one"));
        String id = a.connections().get().getFirst().id();

        Ici ici = Tcpcp.get(a, id); // steps 1-3: isolate and dump
        assertTrue(Tcpcp.size(ici) > 0);
        assertEquals(0, a.connections().get().size(), "isolated: out of the stack");
        s.getOutputStream().write("two".getBytes()); // held at a while isolated
        Thread.sleep(50);
        assertEquals(ici.getRcvNxt(), a.dump(id, 0).get().getRcvNxt(), "dumping again: the state is stable");

        String created = Tcpcp.create(b, ici, -1); // steps 6-7: same port, nothing sent yet
        assertEquals(id, created);
        assertEquals(0, b.connections().get().size(), "created, not active");
        a.discard(id, MAC_B).get(); // step 8: a forgets it and sends its frames on to b
        Tcpcp.activate(b, created); // steps 9-10
        assertEquals("two", new String(s.getInputStream().readNBytes(3)), "the bytes sent while isolated arrived");
        assertEquals("three", echo(s, "three"));
        assertEquals(1, b.connections().get().size());
    }

    @Test
    void portModesPickTheLocalPortAndStepsOutOfOrderAreRefused() throws Exception {
        start();
        assertEquals("up", echo(s, "up")); // a has accepted it
        String id = a.connections().get().getFirst().id();
        ExecutionException notIsolated = assertThrows(ExecutionException.class, () -> a.dump(id, 0).get());
        assertTrue(notIsolated.getCause().getMessage().contains("isolate it first"), notIsolated.getCause().getMessage());
        Ici ici = Tcpcp.get(a, id);

        String bound = b.create(ici, new PortMode.Bound(9999), -1).get();
        assertTrue(bound.startsWith("10.9.0.100:9999-"), bound);
        String any = b.create(ici, new PortMode.Any(), -1).get();
        int anyPort = Integer.parseInt(any.substring(any.indexOf(':') + 1, any.indexOf('-')));
        assertNotEquals(7, anyPort);
        assertTrue(anyPort >= 1024, any);
        ExecutionException twice = assertThrows(ExecutionException.class, () -> b.create(ici, new PortMode.Bound(9999), -1).get());
        assertTrue(twice.getCause().getMessage().contains("already exists"), twice.getCause().getMessage());
        ExecutionException notCreated = assertThrows(ExecutionException.class, () -> b.activate("10.9.0.100:1-10.9.0.2:2").get());
        assertTrue(notCreated.getCause().getMessage().contains("create it first"), notCreated.getCause().getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PortMode.Bound(0));
    }
}
