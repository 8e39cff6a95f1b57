package dev.handoff.cli;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.security.Pem;
import dev.handoff.security.Role;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small certificate authority for one Handoff cluster (issue "Security"): {@code init}
 * makes its key and self-signed certificate, {@code issue} a key and certificate for an
 * agent, an operator or a reader, the role in the certificate's OU. Keys are EC P-256 in
 * PKCS#8 PEM, readable by their owner only; certificates are PEM, as gRPC's TLS
 * credentials take them.
 */
final class ClusterCa {
    /** The CA's certificate in a cluster directory. */
    static final String CA_CERT = "ca.pem";
    /** The CA's private key in a cluster directory. */
    static final String CA_KEY = "ca-key.pem";
    /** The cluster's ICI key in a cluster directory: seals connection state; for agents only. */
    static final String ICI_KEY = "ici.key";

    /** Files written for one holder. @param cert its certificate @param key its private key */
    record Issued(Path cert, Path key) {
    }

    private ClusterCa() {
    }

    /** Makes the CA of cluster {@code cluster} in {@code dir}; refuses to overwrite one. */
    static void init(Path dir, String cluster, Duration validity) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        refuseExisting(dir.resolve(CA_CERT), dir.resolve(CA_KEY), dir.resolve(ICI_KEY));
        KeyPair ca = newKey();
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Handoff cluster " + cluster)
                .addRDN(BCStyle.CN, "Handoff cluster CA " + cluster).build();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(60)),
                Date.from(now.plus(validity)), name, ca.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(ca.getPublic()));
        writeKey(dir.resolve(CA_KEY), ca.getPrivate());
        writeCert(dir.resolve(CA_CERT), sign(b, ca.getPrivate()));
        IciSeal.generate(dir.resolve(ICI_KEY));
    }

    /**
     * Issues a key and certificate for {@code holder} with {@code role}, valid for TLS as
     * client and as server at {@code ips} and {@code dnsNames} (the holder's name is always a
     * DNS name of it); refuses to overwrite unless {@code force}.
     */
    static Issued issue(Path dir, String holder, Role role, List<String> ips, List<String> dnsNames, Duration validity,
                        boolean force) throws IOException, GeneralSecurityException {
        Instant now = Instant.now();
        return issue(dir, holder, role, ips, dnsNames, now.minusSeconds(60), now.plus(validity), force);
    }

    /** Like {@link #issue(Path, String, Role, List, List, Duration, boolean)}, valid from {@code from} to {@code until}. */
    static Issued issue(Path dir, String holder, Role role, List<String> ips, List<String> dnsNames, Instant from,
                        Instant until, boolean force) throws IOException, GeneralSecurityException {
        if (!holder.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new IllegalArgumentException("name '" + holder + "' must be 1-63 letters, digits, '.', '_' or '-',"
                    + " starting with a letter or digit (it names the files and the certificate)");
        }
        X509Certificate caCert = readCert(dir.resolve(CA_CERT));
        PrivateKey caKey = Pem.privateKey(dir.resolve(CA_KEY));
        Issued out = new Issued(dir.resolve(holder + ".pem"), dir.resolve(holder + "-key.pem"));
        if (!force) {
            refuseExisting(out.cert(), out.key());
        }
        List<GeneralName> names = new ArrayList<>();
        names.add(new GeneralName(GeneralName.dNSName, holder));
        for (String d : dnsNames) {
            names.add(new GeneralName(GeneralName.dNSName, d));
        }
        for (String ip : ips) {
            if (!ip.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                throw new IllegalArgumentException("--ip takes an IP address, got '" + ip + "'");
            }
            names.add(new GeneralName(GeneralName.iPAddress, InetAddress.getByName(ip).getHostAddress()));
        }
        KeyPair key = newKey();
        X500Name issuer = X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded());
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, organization(caCert))
                .addRDN(BCStyle.OU, role.label()).addRDN(BCStyle.CN, holder).build();
        if (until.isAfter(caCert.getNotAfter().toInstant())) {
            until = caCert.getNotAfter().toInstant(); // never outlives its CA
        }
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial(), Date.from(from), Date.from(until),
                subject, key.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
        b.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
        writeKey(out.key(), key.getPrivate());
        writeCert(out.cert(), sign(b, caKey));
        return out;
    }

    private static String organization(X509Certificate ca) {
        X500Name n = X500Name.getInstance(ca.getSubjectX500Principal().getEncoded());
        return n.getRDNs(BCStyle.O).length > 0 ? n.getRDNs(BCStyle.O)[0].getFirst().getValue().toString() : "Handoff";
    }

    private static KeyPair newKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey by) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(by)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign with the CA key: " + e.getMessage(), e);
        }
    }

    private static void refuseExisting(Path... files) throws FileAlreadyExistsException {
        for (Path f : files) {
            if (Files.exists(f)) {
                throw new FileAlreadyExistsException(f + " exists: not overwritten (move it away, or --force when issuing)");
            }
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Writes a PKCS#8 PEM key readable by its owner only (created so, never world-readable for a moment). */
    private static void writeKey(Path file, PrivateKey key) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, pem("PRIVATE KEY", key.getEncoded()), StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static void writeCert(Path file, X509Certificate cert) throws IOException, GeneralSecurityException {
        Files.writeString(file, pem("CERTIFICATE", cert.getEncoded()));
    }

    /** The PEM certificate in {@code file}, or an IOException saying how to make the CA when it is missing. */
    static X509Certificate readCert(Path file) throws IOException, GeneralSecurityException {
        if (!Files.exists(file)) {
            throw new IOException(file + " not found: make the cluster's CA first with `handoff certs init "
                    + file.getParent() + "`");
        }
        return Pem.certificate(file);
    }
}
