package dev.handoff.cli;

import dev.handoff.security.Role;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code handoff certs}: a small CA for a cluster, so that operators need no openssl recipe. */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = {"Makes the certificates of a Handoff cluster: a CA, then one key and certificate per agent,",
            "operator or reader, the role written in the certificate (its OU). Keys are EC P-256, PKCS#8 PEM,",
            "readable by their owner only. Example:",
            "  handoff certs init /etc/handoff/pki --cluster prod",
            "  handoff certs issue a --dir /etc/handoff/pki --role agent --ip 10.77.0.11",
            "  sudo handoff agent ... --tls-cert /etc/handoff/pki/a.pem --tls-key /etc/handoff/pki/a-key.pem \\",
            "       --tls-ca /etc/handoff/pki/ca.pem --ici-key /etc/handoff/pki/ici.key",
            "  handoff certs issue alice --dir /etc/handoff/pki --role operator"},
        subcommands = {CertsCommand.Init.class, CertsCommand.Issue.class})
final class CertsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code handoff certs init DIR}. */
    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Makes the cluster's CA in DIR: ca.pem (give it to every agent and operator) and ca-key.pem",
                "(keep it where certificates are issued, nowhere else); and ici.key, the key that seals connection",
                "state (give it to every agent, --ici-key, and to nobody else). Refuses to overwrite an existing CA."})
    static final class Init implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "Directory of the cluster's certificates.")
        Path dir;

        @Option(names = "--cluster", defaultValue = "handoff", paramLabel = "NAME",
                description = "Name of the cluster, written in every certificate (default: ${DEFAULT-VALUE}).")
        String cluster;

        @Option(names = "--days", defaultValue = "3650", paramLabel = "N", description = "Validity of the CA (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws Exception {
            if (days < 1) {
                System.err.println("handoff certs init: --days must be at least 1, got " + days);
                return 2;
            }
            try {
                ClusterCa.init(dir, cluster, Duration.ofDays(days));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                System.err.println("handoff certs init: " + e.getMessage());
                return 1;
            }
            System.out.println("CA of cluster " + cluster + " in " + dir + ": " + ClusterCa.CA_CERT + " (share it), "
                    + ClusterCa.CA_KEY + " (keep it secret), valid " + days + " days; " + ClusterCa.ICI_KEY
                    + " (for the agents' --ici-key only)");
            return 0;
        }
    }

    /** {@code handoff certs issue NAME --role ROLE}. */
    @Command(name = "issue", mixinStandardHelpOptions = true,
            description = {"Issues NAME.pem and NAME-key.pem in DIR, signed by the cluster's CA, for role agent (passes",
                "connections, heartbeats, writes checkpoints), operator (moves, checkpoints, resurrects) or reader",
                "(lists and watches). An agent's certificate must name the addresses others dial it at (--ip, --dns)."})
    static final class Issue implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "The holder: an agent's --name, an operator's name.")
        String name;

        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory of the cluster's CA (certs init).")
        Path dir;

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "agent, operator or reader.")
        String role;

        @Option(names = "--ip", split = ",", paramLabel = "ADDR", description = "IP addresses the holder serves at (repeatable).")
        List<String> ips = new ArrayList<>();

        @Option(names = "--dns", split = ",", paramLabel = "NAME", description = "Host names the holder serves at (repeatable).")
        List<String> dns = new ArrayList<>();

        @Option(names = "--days", defaultValue = "365", paramLabel = "N",
                description = "Validity, at most the CA's (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--force", description = "Overwrite NAME.pem and NAME-key.pem if they exist.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            Role r;
            try {
                r = Role.parse(role);
                if (days < 1) {
                    throw new IllegalArgumentException("--days must be at least 1, got " + days);
                }
                ClusterCa.Issued out = ClusterCa.issue(dir, name, r, ips, dns, Duration.ofDays(days), force);
                System.out.println("issued " + out.cert() + " and " + out.key() + " to " + name + " as " + r.label()
                        + (ips.isEmpty() && dns.isEmpty() ? "" : ", serving at " + String.join(", ", concat(ips, dns))));
                return 0;
            } catch (IllegalArgumentException e) {
                System.err.println("handoff certs issue: " + e.getMessage());
                return 2;
            } catch (java.io.IOException e) {
                System.err.println("handoff certs issue: " + e.getMessage());
                return 1;
            }
        }

        private static List<String> concat(List<String> a, List<String> b) {
            List<String> all = new ArrayList<>(a);
            all.addAll(b);
            return all;
        }
    }
}
