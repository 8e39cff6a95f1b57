package dev.handoff.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The test topology of DESIGN.md, made of Linux network namespaces: a bridge in its own
 * namespace and, on it, {@code peer} (a kernel TCP peer), {@code host-a} and
 * {@code host-b} (agents). Every name carries a random tag, so runs never collide;
 * {@link #close()} deletes everything. Needs root.
 *
 * <p>Addresses on 10.77.0.0/24: peer .2, host-a .11, host-b .12; the VIP .100 is on no
 * kernel. Agent namespaces have ip_forward=0 (the kernel stays silent for the VIP) and the
 * bridge ports facing agents have {@code tx off}, so the peer's segments reach the agents
 * checksummed and at most MTU-sized (DESIGN.md "Test topology").
 */
public final class Topology implements AutoCloseable {
    /** The subnet's prefix length. */
    public static final int PREFIX = 24;
    /** The peer's address. */
    public static final String PEER_IP = "10.77.0.2";
    /** host-a's kernel address. */
    public static final String HOST_A_IP = "10.77.0.11";
    /** host-b's kernel address. */
    public static final String HOST_B_IP = "10.77.0.12";
    /** The VIP the agents own. */
    public static final String VIP = "10.77.0.100";
    /** Interface name inside the peer and agent namespaces. */
    public static final String IFACE = "eth0";

    /** Random tag in every name. */
    private final String tag;
    /** The peer reaches the bridge through a relay namespace (for impairments). */
    private final boolean relayed;
    /** Namespaces made, for cleanup. */
    private final List<String> made = new ArrayList<>();
    /** Directory of the throw-away cluster CA, deleted on close. */
    private Path pkiDir;
    /** The throw-away cluster CA: agents, stores and operator commands speak mutual TLS as in production. */
    private ThrowawayPki pki;

    private Topology(String tag, boolean relayed) {
        this.tag = tag;
        this.relayed = relayed;
    }

    /** The topology's cluster CA, with a certificate for the agents, one for an operator and one for a reader. */
    public ThrowawayPki pki() {
        return pki;
    }

    /** Namespace of the relay between the peer and the bridge (with {@link #createRelayed()}). */
    public String relay() {
        return "hx" + tag + "-rl";
    }

    /** Namespace of the bridge. */
    public String bridge() {
        return "hx" + tag + "-br";
    }

    /** Namespace of the kernel peer. */
    public String peer() {
        return "hx" + tag + "-peer";
    }

    /** Namespace of agent host A. */
    public String hostA() {
        return "hx" + tag + "-a";
    }

    /** Namespace of agent host B. */
    public String hostB() {
        return "hx" + tag + "-b";
    }

    /** Builds the topology; on failure removes what it made and throws with the failing command. */
    public static Topology create() throws IOException {
        return create(false);
    }

    /**
     * Builds the topology with a relay namespace between the peer and the bridge: the
     * peer's frames pass interfaces {@code r-peer} and {@code r-br} there, where
     * {@code handoff relay} can impair them. The peer's interface has {@code tx off} so
     * that the relay sees checksummed, MTU-sized frames.
     */
    public static Topology createRelayed() throws IOException {
        return create(true);
    }

    private static Topology create(boolean relayed) throws IOException {
        requireRoot();
        Topology t = new Topology(String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000)), relayed);
        try {
            t.pkiDir = Files.createTempDirectory("handoff-pki");
            t.pki = ThrowawayPki.create(t.pkiDir);
            t.build();
        } catch (java.security.GeneralSecurityException e) {
            t.close();
            throw new IOException("cannot make the throw-away cluster CA: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    private static void requireRoot() {
        if (!"0".equals(capture("id", "-u").strip())) {
            throw new IllegalStateException("network namespaces need root: run as root (sudo)");
        }
    }

    private void build() throws IOException {
        List<String> all = new ArrayList<>(List.of(bridge(), peer(), hostA(), hostB()));
        if (relayed) {
            all.add(relay());
        }
        for (String ns : all) {
            run("ip", "netns", "add", ns);
            made.add(ns);
            run("ip", "-n", ns, "link", "set", "lo", "up");
        }
        run("ip", "-n", bridge(), "link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0");
        run("ip", "-n", bridge(), "link", "set", "br0", "up");
        if (relayed) {
            attach(relay(), "p-peer", null, false, "r-br");
            // The relay re-sends what it captures as plain frames: they must leave the bridge
            // segmented and checksummed, not as the agents' GSO frames with partial checksums.
            run("ip", "netns", "exec", bridge(), "ethtool", "-K", "p-peer", "tx", "off");
            veth(relay(), "r-peer", peer(), IFACE);
            run("ip", "-n", relay(), "link", "set", "r-peer", "up");
            run("ip", "-n", peer(), "addr", "add", PEER_IP + "/" + PREFIX, "dev", IFACE);
            run("ip", "-n", peer(), "link", "set", IFACE, "up");
            run("ip", "netns", "exec", peer(), "ethtool", "-K", IFACE, "tx", "off");
        } else {
            attach(peer(), "p-peer", PEER_IP, false);
        }
        attach(hostA(), "p-a", HOST_A_IP, true);
        attach(hostB(), "p-b", HOST_B_IP, true);
    }

    /** Connects namespace {@code ns} to the bridge through port {@code port}. */
    private void attach(String ns, String port, String address, boolean agent) throws IOException {
        attach(ns, port, address, agent, IFACE);
    }

    private void attach(String ns, String port, String address, boolean agent, String iface) throws IOException {
        veth(bridge(), port, ns, iface);
        run("ip", "-n", bridge(), "link", "set", port, "master", "br0", "up");
        if (address != null) {
            run("ip", "-n", ns, "addr", "add", address + "/" + PREFIX, "dev", iface);
        }
        run("ip", "-n", ns, "link", "set", iface, "up");
        if (agent) {
            run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
            run("ip", "netns", "exec", bridge(), "ethtool", "-K", port, "tx", "off");
        }
    }

    /** A veth pair: {@code nameA} in {@code nsA}, {@code nameB} in {@code nsB}. */
    private void veth(String nsA, String nameA, String nsB, String nameB) throws IOException {
        String tmp = "hx" + tag + nameA.replace("-", "");
        tmp = tmp.substring(0, Math.min(tmp.length(), 13));
        run("ip", "link", "add", tmp, "type", "veth", "peer", "name", tmp + "x");
        run("ip", "link", "set", tmp, "netns", nsA);
        run("ip", "-n", nsA, "link", "set", tmp, "name", nameA);
        run("ip", "link", "set", tmp + "x", "netns", nsB);
        run("ip", "-n", nsB, "link", "set", tmp + "x", "name", nameB);
    }

    /**
     * Starts {@code handoff relay} in the relay namespace between the peer and the bridge
     * with the impairment options {@code faults} (see {@code handoff relay --help}), and
     * waits until it forwards. Needs {@link #createRelayed()}.
     */
    public Background startRelay(String... faults) throws IOException, InterruptedException {
        if (!relayed) {
            throw new IllegalStateException("this topology has no relay: build it with Topology.createRelayed()");
        }
        List<String> command = new ArrayList<>(List.of(HandoffProcess.launcher(), "relay", "--between", "r-peer", "r-br"));
        command.addAll(List.of(faults));
        Background relay = Background.start(in(relay(), command.toArray(String[]::new)));
        try {
            relay.awaitOutput("relay ", 30);
        } catch (IOException | InterruptedException e) {
            relay.close();
            throw e;
        }
        return relay;
    }

    /** A command run inside namespace {@code ns}. */
    public static List<String> in(String ns, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return cmd;
    }

    /** Runs a command to completion; throws with its output if it fails. */
    public static String run(String... command) throws IOException {
        return run(List.of(command));
    }

    /** Longest a command of {@link #run(List)} may take, seconds. */
    static final long RUN_SECONDS = 120;

    /** Runs a command to completion (at most {@link #RUN_SECONDS}); throws with its output if it fails. */
    public static String run(List<String> command) throws IOException {
        return run(command, RUN_SECONDS);
    }

    /**
     * Runs a command to completion; throws with its output if it fails or takes longer than
     * {@code seconds}, killing it and every process it started (a transfer to an agent that
     * stopped answering would otherwise hang the caller forever).
     */
    public static String run(List<String> command, long seconds) throws IOException {
        try (Background b = Background.start(command)) { // closing it kills what is left of it
            try {
                if (!b.waitFor(seconds)) {
                    throw new IOException("timed out after " + seconds + " s: " + String.join(" ", command) + "\n"
                            + b.output().strip());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + String.join(" ", command), e);
            }
            String out = b.output();
            if (b.exitValue() != 0) {
                throw new IOException("failed (exit " + b.exitValue() + "): " + String.join(" ", command) + "\n" + out.strip());
            }
            return out;
        }
    }

    private static String capture(String... command) {
        try {
            return run(command);
        } catch (IOException e) {
            return "";
        }
    }

    /** Deletes every namespace made (their interfaces go with them). */
    @Override
    public void close() {
        for (String ns : made.reversed()) {
            capture("ip", "netns", "del", ns);
        }
        made.clear();
        if (pkiDir != null) {
            try {
                RandomFiles.deleteTree(pkiDir);
            } catch (IOException e) {
                System.err.println("could not delete " + pkiDir + ": " + e.getMessage());
            }
            pkiDir = null;
        }
    }
}
