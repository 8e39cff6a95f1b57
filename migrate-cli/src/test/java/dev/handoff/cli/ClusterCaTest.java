package dev.handoff.cli;

import dev.handoff.security.Role;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster CA's files, and that gRPC's TLS takes them for mutual TLS (and refuses strangers). */
class ClusterCaTest {
    @TempDir
    Path dir;

    @Test
    void issuedCertificatesCarryTheRoleAndAddressesAndKeysStayPrivate() throws Exception {
        ClusterCa.init(dir, "test", Duration.ofDays(10));
        ClusterCa.Issued a = ClusterCa.issue(dir, "a", Role.AGENT, List.of("10.77.0.11"), List.of("a.example"),
                Duration.ofDays(30), false);
        X509Certificate ca = ClusterCa.readCert(dir.resolve(ClusterCa.CA_CERT));
        X509Certificate cert = ClusterCa.readCert(a.cert());
        cert.verify(ca.getPublicKey()); // signed by the cluster's CA
        assertEquals(Role.AGENT, Role.of(cert));
        assertTrue(cert.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("10.77.0.11")), "IP SAN");
        assertTrue(cert.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("a.example")), "DNS SAN");
        assertTrue(!cert.getNotAfter().after(ca.getNotAfter()), "never outlives its CA (asked 30 days, CA 10)");
        for (Path key : List.of(a.key(), dir.resolve(ClusterCa.CA_KEY))) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)), key.toString());
        }
        assertThrows(FileAlreadyExistsException.class, () -> ClusterCa.init(dir, "again", Duration.ofDays(1)));
        assertThrows(FileAlreadyExistsException.class,
                () -> ClusterCa.issue(dir, "a", Role.READER, List.of(), List.of(), Duration.ofDays(1), false));
        assertEquals(Role.READER, Role.of(ClusterCa.readCert(
                ClusterCa.issue(dir, "a", Role.READER, List.of(), List.of(), Duration.ofDays(1), true).cert())));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Role.parse("admin"));
        assertTrue(bad.getMessage().contains("agent, operator or reader"), bad.getMessage());
    }

    @Test
    void grpcMutualTlsTakesTheIssuedFilesAndRefusesCallersWithoutACertificateOfTheCluster() throws Exception {
        ClusterCa.init(dir, "test", Duration.ofDays(10));
        ClusterCa.Issued server = ClusterCa.issue(dir, "store", Role.AGENT, List.of("127.0.0.1"), List.of(),
                Duration.ofDays(1), false);
        ClusterCa.Issued operator = ClusterCa.issue(dir, "alice", Role.OPERATOR, List.of(), List.of(),
                Duration.ofDays(1), false);
        Path other = Files.createDirectories(dir.resolve("other"));
        ClusterCa.init(other, "other", Duration.ofDays(10));
        ClusterCa.Issued stranger = ClusterCa.issue(other, "mallory", Role.OPERATOR, List.of(), List.of(),
                Duration.ofDays(1), false);
        Path caFile = dir.resolve(ClusterCa.CA_CERT);

        ServerCredentials creds = TlsServerCredentials.newBuilder().keyManager(server.cert().toFile(), server.key().toFile())
                .trustManager(caFile.toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
        HealthStatusManager health = new HealthStatusManager();
        Server s = Grpc.newServerBuilderForPort(0, creds).addService(health.getHealthService()).build().start();
        try {
            ChannelCredentials mine = TlsChannelCredentials.newBuilder()
                    .keyManager(operator.cert().toFile(), operator.key().toFile()).trustManager(caFile.toFile()).build();
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, check(s.getPort(), mine));

            ChannelCredentials none = TlsChannelCredentials.newBuilder().trustManager(caFile.toFile()).build();
            assertThrows(StatusRuntimeException.class, () -> check(s.getPort(), none), "no client certificate");
            ChannelCredentials theirs = TlsChannelCredentials.newBuilder()
                    .keyManager(stranger.cert().toFile(), stranger.key().toFile()).trustManager(caFile.toFile()).build();
            assertThrows(StatusRuntimeException.class, () -> check(s.getPort(), theirs), "a certificate of another CA");
        } finally {
            s.shutdownNow();
        }
    }

    private static HealthCheckResponse.ServingStatus check(int port, ChannelCredentials creds) throws InterruptedException {
        ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", port, creds).build();
        try {
            return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } finally {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
