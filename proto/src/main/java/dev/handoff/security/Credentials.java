package dev.handoff.security;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;

/**
 * How one process speaks gRPC: mutual TLS with its certificate from the cluster CA (the
 * default, every call authorized by {@link RoleAuthorizer}), or plaintext with no
 * authorization when the operator asked for {@code --insecure}. Files are checked when
 * loaded, so a wrong path, a key that does not match its certificate, a certificate of another
 * CA or an expired one stops the process at start with what to do, not at the first call.
 */
public final class Credentials {
    /** Server side of the transport. */
    private final ServerCredentials server;
    /** Client side of the transport. */
    private final ChannelCredentials channel;
    /** Authorizes calls; lets all through when insecure. */
    private final ServerInterceptor authorizer;
    /** This holder's certificate, or null when insecure. */
    private final X509Certificate certificate;
    /** The cluster CA's certificate, or null when insecure. */
    private final X509Certificate ca;

    private Credentials(ServerCredentials server, ChannelCredentials channel, ServerInterceptor authorizer,
                        X509Certificate certificate, X509Certificate ca) {
        this.server = server;
        this.channel = channel;
        this.authorizer = authorizer;
        this.certificate = certificate;
        this.ca = ca;
    }

    /** Plaintext, everything allowed to everyone who can reach the port (tests in one process, --insecure). */
    public static Credentials insecure() {
        return new Credentials(InsecureServerCredentials.create(), InsecureChannelCredentials.create(), new PassThrough(),
                null, null);
    }

    /**
     * Mutual TLS as the holder of {@code cert} (PEM) and {@code key} (PKCS#8 PEM), trusting
     * only certificates issued by {@code ca} (PEM); IllegalArgumentException naming the file and
     * the fix when one is missing, unreadable, mismatched, of another CA or out of its dates.
     */
    public static Credentials mutualTls(Path cert, Path key, Path ca) {
        X509Certificate caCert = readCertificate("--tls-ca", ca);
        X509Certificate mine = readCertificate("--tls-cert", cert);
        PrivateKey privateKey = readKey(key);
        try {
            mine.verify(caCert.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("--tls-cert " + cert + " was not issued by the CA in --tls-ca " + ca
                    + " (" + e.getMessage() + "): give the cluster's ca.pem, or issue a certificate with `handoff certs issue`", e);
        }
        try {
            mine.checkValidity();
            caCert.checkValidity();
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new IllegalArgumentException("--tls-cert " + cert + " or its CA is not valid now (" + e.getMessage()
                    + "; valid " + mine.getNotBefore() + " to " + mine.getNotAfter() + "): issue a new one with"
                    + " `handoff certs issue NAME --force`", e);
        }
        requireMatch(mine, privateKey, cert, key);
        try {
            ServerCredentials server = TlsServerCredentials.newBuilder().keyManager(cert.toFile(), key.toFile())
                    .trustManager(ca.toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
            ChannelCredentials channel = TlsChannelCredentials.newBuilder().keyManager(cert.toFile(), key.toFile())
                    .trustManager(ca.toFile()).build();
            return new Credentials(server, channel, new RoleAuthorizer(RpcPolicy.handoff()), mine, caCert);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot load the TLS files: " + e.getMessage(), e);
        }
    }

    /** For servers: pass to the builder (e.g. {@code NettyServerBuilder.forAddress(address, credentials.server())}). */
    public ServerCredentials server() {
        return server;
    }

    /** For channels: {@code Grpc.newChannelBuilderForAddress(host, port, credentials.channel())}. */
    public ChannelCredentials channel() {
        return channel;
    }

    /** For servers: {@code builder.intercept(credentials.authorizer())}. */
    public ServerInterceptor authorizer() {
        return authorizer;
    }

    /** True for plaintext without authorization. */
    public boolean isInsecure() {
        return certificate == null;
    }

    @Override
    public String toString() {
        if (isInsecure()) {
            return "plaintext, no authentication (--insecure)";
        }
        Role role = Role.of(certificate);
        return "mutual TLS as " + Role.holder(certificate) + " (role " + (role == null ? "none" : role.label())
                + "), trusting " + Role.holder(ca);
    }

    private static X509Certificate readCertificate(String option, Path file) {
        try {
            return Pem.certificate(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + " cannot be read (" + e + "): make the cluster's"
                    + " certificates with `handoff certs init DIR` and `handoff certs issue NAME --dir DIR`", e);
        } catch (CertificateException e) {
            throw new IllegalArgumentException(option + " " + file + " is not a PEM X.509 certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey readKey(Path file) {
        try {
            return Pem.privateKey(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--tls-key " + file + " cannot be read (" + e + "): it is the NAME-key.pem"
                    + " `handoff certs issue NAME` wrote, readable by its owner only", e);
        } catch (InvalidKeySpecException e) {
            throw new IllegalArgumentException("--tls-key " + file + " " + e.getMessage(), e);
        }
    }

    /** Proves {@code key} belongs to {@code cert} by signing a challenge with one and checking it with the other. */
    private static void requireMatch(X509Certificate cert, PrivateKey key, Path certFile, Path keyFile) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> key.getAlgorithm();
        };
        try {
            byte[] challenge = "handoff key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(cert.getPublicKey());
            v.update(challenge);
            if (v.verify(sig)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("--tls-key " + keyFile + " does not fit --tls-cert " + certFile + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("--tls-key " + keyFile + " is not the key of --tls-cert " + certFile
                + ": give the NAME-key.pem issued with NAME.pem");
    }

    /** Lets every call through (insecure mode). */
    private static final class PassThrough implements ServerInterceptor {
        @Override
        public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, io.grpc.Metadata headers,
                                                                    ServerCallHandler<Q, A> next) {
            return next.startCall(call, headers);
        }
    }
}
