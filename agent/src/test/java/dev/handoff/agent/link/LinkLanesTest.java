package dev.handoff.agent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.agent.wire.Bytes;
import dev.handoff.agent.wire.EthernetFrame;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.wire.Ipv4Packet;
import dev.handoff.agent.wire.MacAddress;
import dev.handoff.agent.wire.MoveFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Frames steered onto lanes by flow: TCP by its hash, ARP to all, the rest to lane 0; sends, wake-ups and closing. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LinkLanesTest {
    static final long HOST = MacAddress.parse("02:00:00:00:00:0a");
    static final long PEER = MacAddress.parse("02:00:00:00:00:02");
    static final int PEER_IP = Ipv4Address.parse("10.9.0.2");
    static final int VIP = Ipv4Address.parse("10.9.0.100");

    final MemorySwitch sw = new MemorySwitch();
    final PacketLink host = sw.port("host", HOST);
    final PacketLink peer = sw.port("peer", PEER);

    /** An Ethernet frame from the peer carrying a TCP header (no options, no payload) for {@code localPort}. */
    static byte[] tcp(int remotePort, int localPort, int fragmentField) {
        byte[] f = new byte[EthernetFrame.HEADER_LENGTH + 20 + 20];
        int p = EthernetFrame.writeHeader(f, 0, HOST, PEER, EthernetFrame.TYPE_IPV4);
        Ipv4Packet.writeHeader(f, p, PEER_IP, VIP, Ipv4Packet.PROTOCOL_TCP, 20);
        f[p + 6] = (byte) (fragmentField >> 8);
        f[p + 7] = (byte) fragmentField;
        f[p + 20] = (byte) (remotePort >> 8);
        f[p + 21] = (byte) remotePort;
        f[p + 22] = (byte) (localPort >> 8);
        f[p + 23] = (byte) localPort;
        return f;
    }

    /** Frames one receive on {@code lane} hands over, each as its source port (TCP) or -1. */
    static List<Integer> receive(PacketLink lane) {
        List<Integer> got = new ArrayList<>();
        lane.receive((b, off, len) -> got.add(len == 54 ? ((b[off + 34] & 0xff) << 8) | (b[off + 35] & 0xff) : -1),
                PacketLink.MAX_WAIT_MILLIS);
        return got;
    }

    /** Receives on {@code lane} until {@code count} frames came. */
    static List<Integer> receive(PacketLink lane, int count) {
        List<Integer> got = new ArrayList<>();
        while (got.size() < count) {
            got.addAll(receive(lane));
        }
        return got;
    }

    @Test
    void tcpFramesGoToTheLaneTheirFlowHashesOnto() {
        LinkLanes lanes = LinkLanes.split(host, 2);
        List<List<Integer>> want = List.of(new ArrayList<>(), new ArrayList<>());
        for (int port = 40000; port < 40040; port++) {
            want.get(FlowHash.loopOf(PEER_IP, port, 80, 2)).add(port);
            byte[] f = tcp(port, 80, 0x4000); // don't-fragment set: not a fragment
            peer.send(f, 0, f.length);
        }
        assertTrue(!want.get(0).isEmpty() && !want.get(1).isEmpty(), "40 flows spread over both lanes: " + want);
        assertEquals(want.get(0), receive(lanes.lane(0), want.get(0).size()), "lane 0, in arrival order");
        assertEquals(want.get(1), receive(lanes.lane(1), want.get(1).size()), "lane 1, in arrival order");
        assertEquals(0, lanes.drops());
    }

    @Test
    void moveFramesGoToTheLaneOfTheirConnectionsFlow() {
        LinkLanes lanes = LinkLanes.split(host, 2);
        List<List<Integer>> want = List.of(new ArrayList<>(), new ArrayList<>());
        for (int port = 40000; port < 40040; port++) {
            want.get(FlowHash.loopOf(PEER_IP, port, 80, 2)).add(port);
            byte[] f = MoveFrame.write(HOST, PEER, MoveFrame.ICI, PEER_IP, port, 80, port, new byte[0], new byte[6]);
            peer.send(f, 0, f.length);
        }
        for (int lane = 0; lane < 2; lane++) {
            List<Integer> got = new ArrayList<>();
            while (got.size() < want.get(lane).size()) {
                lanes.lane(lane).receive((b, off, len) -> got.add(Bytes.u16(b, off + EthernetFrame.HEADER_LENGTH + 6)),
                        PacketLink.MAX_WAIT_MILLIS);
            }
            assertEquals(want.get(lane), got, "lane " + lane + ": the remote ports of its flows, in arrival order");
        }
    }

    @Test
    void arpGoesToEveryLaneAndFragmentsToTheFirst() {
        LinkLanes lanes = LinkLanes.split(host, 3);
        byte[] arp = new byte[42];
        EthernetFrame.writeHeader(arp, 0, MacAddress.BROADCAST, PEER, EthernetFrame.TYPE_ARP);
        peer.send(arp, 0, arp.length);
        int port = 40000;
        while (FlowHash.loopOf(PEER_IP, port, 80, 3) == 0) {
            port++; // a flow of another lane: its fragments still go to lane 0, which counts them
        }
        byte[] fragment = tcp(port, 80, 0x2000); // more fragments
        peer.send(fragment, 0, fragment.length);
        assertEquals(List.of(-1, port), receive(lanes.lane(0), 2));
        assertEquals(List.of(-1), receive(lanes.lane(1), 1));
        assertEquals(List.of(-1), receive(lanes.lane(2), 1));
    }

    @Test
    void aWakeupEndsAWaitingReceiveAndSendsReachThePeer() throws Exception {
        LinkLanes lanes = LinkLanes.split(host, 2);
        Thread waiting = Thread.ofPlatform().start(() -> assertEquals(List.of(), receive(lanes.lane(1))));
        Thread.sleep(50);
        lanes.lane(1).wakeup();
        waiting.join(5000);
        assertTrue(!waiting.isAlive(), "the wake-up ended the wait");
        byte[] f = tcp(80, 40000, 0);
        lanes.lane(1).send(f, 0, f.length);
        assertEquals(List.of(80), receive(peer, 1));
    }

    @Test
    void theLinkClosesWithTheLastLane() {
        int[] closes = {0};
        PacketLink counted = new LinkDecorator(host) {
            @Override
            public void close() {
                closes[0]++;
                super.close();
            }
        };
        LinkLanes lanes = LinkLanes.split(counted, 2);
        lanes.lane(0).close();
        lanes.lane(0).close();
        assertEquals(0, closes[0], "one lane closed (twice): the link stays open");
        byte[] f = tcp(40000, 80, 0);
        lanes.lane(1).send(f, 0, f.length); // the other lane still works
        assertEquals(1, receive(peer, 1).size());
        lanes.lane(1).close();
        assertEquals(1, closes[0], "the last lane closed the link");
    }

    @Test
    void oneLaneIsNoLanes() {
        assertThrows(IllegalArgumentException.class, () -> LinkLanes.split(host, 1));
    }
}
