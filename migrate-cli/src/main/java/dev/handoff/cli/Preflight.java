package dev.handoff.cli;

import dev.handoff.agent.wire.Ipv4Address;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;

/** Checks made before an agent starts, each failing with what to do. */
final class Preflight {
    /** CAP_NET_RAW's bit in the capability sets. */
    private static final int CAP_NET_RAW = 13;

    private Preflight() {
    }

    /** The process may open raw sockets (root or CAP_NET_RAW). */
    static void requireRawSockets() {
        long effective = effectiveCapabilities();
        if ((effective & (1L << CAP_NET_RAW)) == 0) {
            throw new IllegalStateException("an agent needs raw network access: run it as root (sudo),"
                    + " or give java CAP_NET_RAW and CAP_NET_ADMIN (setcap cap_net_raw,cap_net_admin+eip on the java binary)");
        }
    }

    private static long effectiveCapabilities() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1; // cannot tell: let the link say so when it opens
        }
        return -1;
    }

    /** libpcap is installed (pcap4j loads libpcap.so through JNA). */
    static void requireLibpcap() {
        for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/lib"}) {
            try (var files = Files.list(Path.of(dir))) {
                if (files.anyMatch(p -> p.getFileName().toString().startsWith("libpcap.so"))) {
                    return;
                }
            } catch (IOException e) {
                // directory absent: look in the next
            }
        }
        throw new IllegalStateException("libpcap is not installed: apt-get install libpcap0.8");
    }

    /** The interface exists in this network namespace. */
    static void requireInterface(String iface) {
        if (!Files.exists(Path.of("/sys/class/net", iface))) {
            throw new IllegalStateException("no network interface '" + iface + "' here: list them with `ip link`"
                    + " (an agent in a namespace must run inside it: ip netns exec NS handoff agent ...)");
        }
    }

    /** The IPv4 network and prefix of {@code iface}'s first address: where moved connections may come from. */
    static int[] interfaceSubnet(String iface) {
        try {
            NetworkInterface nif = NetworkInterface.getByName(iface);
            if (nif != null) {
                for (var a : nif.getInterfaceAddresses()) {
                    if (a.getAddress() instanceof Inet4Address) {
                        return new int[] {Ipv4Address.parse(a.getAddress().getHostAddress()), a.getNetworkPrefixLength()};
                    }
                }
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot read the addresses of " + iface + ": " + e.getMessage(), e);
        }
        throw new IllegalStateException("without --vip the agent takes moved connections for the subnet of " + iface
                + ", but it has no IPv4 address: give it one (ip addr add ... dev " + iface + ") or pass --vip");
    }

    /** The VIP is not configured on this host's kernel (which would answer its segments with RST). */
    static void requireVipNotOnKernel(int vip) {
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet4Address && Ipv4Address.parse(a.getHostAddress()) == vip) {
                        throw new IllegalStateException("VIP " + Ipv4Address.format(vip) + " is configured on "
                                + nif.getName() + " of this host's kernel, which would answer its traffic with resets:"
                                + " remove it (ip addr del " + Ipv4Address.format(vip) + "/PREFIX dev " + nif.getName()
                                + ") and let the agent own it");
                    }
                }
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list this host's addresses: " + e.getMessage(), e);
        }
    }
}
