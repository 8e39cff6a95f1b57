package dev.handoff.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/** Reads the PEM files a cluster's CA writes (and gRPC's TLS credentials take): certificates and PKCS#8 keys. */
public final class Pem {
    /** Key algorithms tried, in order, for a PKCS#8 key. */
    private static final String[] KEY_ALGORITHMS = {"EC", "RSA", "Ed25519"};

    private Pem() {
    }

    /** The X.509 certificate in {@code file}; CertificateException when it holds none. */
    public static X509Certificate certificate(Path file) throws IOException, CertificateException {
        try (InputStream in = Files.newInputStream(file)) {
            if (CertificateFactory.getInstance("X.509").generateCertificate(in) instanceof X509Certificate x) {
                return x;
            }
            throw new CertificateException("not an X.509 certificate");
        }
    }

    /**
     * The PKCS#8 private key (EC, RSA or Ed25519) in {@code file}; InvalidKeySpecException
     * whose message completes "FILE ..." when it holds none.
     */
    public static PrivateKey privateKey(Path file) throws IOException, InvalidKeySpecException {
        String pem = Files.readString(file);
        if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new InvalidKeySpecException("is not a PKCS#8 PEM key (BEGIN PRIVATE KEY)");
        }
        StringBuilder b64 = new StringBuilder();
        pem.lines().filter(l -> !l.startsWith("-----")).forEach(l -> b64.append(l.strip()));
        byte[] der;
        try {
            der = Base64.getDecoder().decode(b64.toString());
        } catch (IllegalArgumentException e) {
            throw new InvalidKeySpecException("is not a PKCS#8 PEM key: " + e.getMessage(), e);
        }
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        throw new InvalidKeySpecException("holds no EC, RSA or Ed25519 key");
    }
}
