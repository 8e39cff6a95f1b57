package dev.handoff.cli;

import dev.handoff.security.Credentials;
import dev.handoff.security.Role;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;

/**
 * A cluster CA made for one demo, benchmark or test run, with one certificate per role: the
 * agents' (valid at every address the test topology gives agents and stores, and 127.0.0.1),
 * an operator's and a reader's. It lets everything that runs real processes run them as
 * production does, with mutual TLS, instead of --insecure.
 */
public final class ThrowawayPki {
    /** Addresses the agents' certificate is valid for. */
    static final List<String> ADDRESSES = List.of(Topology.HOST_A_IP, Topology.HOST_B_IP, "10.77.0.13", "127.0.0.1");
    /** Validity of everything issued. */
    private static final Duration VALIDITY = Duration.ofDays(2);

    /** Where the files are. */
    private final Path dir;

    private ThrowawayPki(Path dir) {
        this.dir = dir;
    }

    /** Makes the CA, its ICI key and the three certificates in {@code dir} (which must hold no CA yet). */
    public static ThrowawayPki create(Path dir) throws IOException, GeneralSecurityException {
        ClusterCa.init(dir, "throwaway", VALIDITY);
        ClusterCa.issue(dir, Role.AGENT.label(), Role.AGENT, ADDRESSES, List.of("localhost"), VALIDITY, false);
        ClusterCa.issue(dir, Role.OPERATOR.label(), Role.OPERATOR, List.of(), List.of(), VALIDITY, false);
        ClusterCa.issue(dir, Role.READER.label(), Role.READER, List.of(), List.of(), VALIDITY, false);
        return new ThrowawayPki(dir);
    }

    /** The command-line options that make a {@code handoff} command speak as {@code role}. */
    public List<String> args(Role role) {
        return List.of("--tls-cert", dir.resolve(role.label() + ".pem").toString(),
                "--tls-key", dir.resolve(role.label() + "-key.pem").toString(),
                "--tls-ca", dir.resolve(ClusterCa.CA_CERT).toString());
    }

    /** The same, loaded, for gRPC calls from this process. */
    public Credentials credentials(Role role) {
        return Credentials.mutualTls(dir.resolve(role.label() + ".pem"), dir.resolve(role.label() + "-key.pem"),
                dir.resolve(ClusterCa.CA_CERT));
    }

    /** What an agent takes: its TLS options and the cluster's ICI key. */
    public List<String> agentArgs() {
        List<String> all = new java.util.ArrayList<>(args(Role.AGENT));
        all.addAll(List.of("--ici-key", dir.resolve(ClusterCa.ICI_KEY).toString()));
        return all;
    }

    /** {@code handoff agent} options {@code args} followed by {@link #agentArgs()}. */
    public String[] agent(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(agentArgs());
        return all.toArray(String[]::new);
    }

    /** {@code args} followed by {@link #args(Role)} of {@code role}. */
    public String[] with(Role role, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(args(role));
        return all.toArray(String[]::new);
    }
}
