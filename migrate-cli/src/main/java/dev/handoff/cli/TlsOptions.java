package dev.handoff.cli;

import dev.handoff.security.Credentials;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The TLS options every command that speaks gRPC takes (issue "Security"): this holder's
 * certificate and key and the cluster CA, from {@code handoff certs}; or {@code --insecure}.
 * Each defaults to an environment variable so an operator sets them once per shell.
 */
final class TlsOptions {
    @Option(names = "--tls-cert", paramLabel = "FILE", defaultValue = "${env:HANDOFF_TLS_CERT}",
            description = "This holder's certificate (PEM), as `handoff certs issue NAME` wrote it to DIR/NAME.pem."
                    + " Default: $HANDOFF_TLS_CERT.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE", defaultValue = "${env:HANDOFF_TLS_KEY}",
            description = "Its private key (PKCS#8 PEM, DIR/NAME-key.pem). Default: $HANDOFF_TLS_KEY.")
    Path key;

    @Option(names = "--tls-ca", paramLabel = "FILE", defaultValue = "${env:HANDOFF_TLS_CA}",
            description = "The cluster CA's certificate (DIR/ca.pem); only holders it issued are let in. Default: $HANDOFF_TLS_CA.")
    Path ca;

    @Option(names = "--insecure",
            description = "Plaintext gRPC with no authentication: anyone who reaches a port can forge connections"
                    + " and read application data. Only for a test on one machine; logs a warning. Overrides the --tls options.")
    boolean insecure;

    /**
     * The credentials asked for; IllegalArgumentException saying what to give when the options
     * are incomplete or name bad files. With --insecure, warns on stderr.
     */
    Credentials credentials(String command) {
        if (insecure) {
            System.err.println("handoff " + command + ": WARNING: --insecure: gRPC in plaintext without authentication;"
                    + " anyone on the network can move, forge or read connections");
            return Credentials.insecure();
        }
        if (cert == null || key == null || ca == null) {
            throw new IllegalArgumentException("gRPC needs mutual TLS: give --tls-cert FILE --tls-key FILE --tls-ca FILE"
                    + " (or set HANDOFF_TLS_CERT, HANDOFF_TLS_KEY, HANDOFF_TLS_CA); missing: "
                    + (cert == null ? "--tls-cert " : "") + (key == null ? "--tls-key " : "") + (ca == null ? "--tls-ca" : "")
                    + ". Make them with `handoff certs init DIR` and `handoff certs issue NAME --dir DIR --role ROLE`;"
                    + " --insecure runs without, for a test on one machine");
        }
        return Credentials.mutualTls(cert, key, ca);
    }
}
