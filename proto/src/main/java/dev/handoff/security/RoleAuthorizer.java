package dev.handoff.security;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Refuses every call whose caller's certificate does not carry a role {@link RpcPolicy} allows
 * for the method: UNAUTHENTICATED without a verified client certificate, PERMISSION_DENIED
 * naming the roles needed and the role held. The TLS handshake has already checked the
 * certificate against the cluster CA and its validity dates.
 */
public final class RoleAuthorizer implements ServerInterceptor {
    /** The rules. */
    private final RpcPolicy policy;

    public RoleAuthorizer(RpcPolicy policy) {
        this.policy = policy;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        X509Certificate caller = clientCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        Status refusal;
        if (caller == null) {
            refusal = Status.UNAUTHENTICATED.withDescription(method + " needs a client certificate of the cluster CA"
                    + " (--tls-cert/--tls-key; make one with `handoff certs issue`)");
        } else {
            Role role = Role.of(caller);
            Set<Role> needed = policy.rolesFor(method);
            if (role != null && needed.contains(role)) {
                return next.startCall(call, headers);
            }
            refusal = Status.PERMISSION_DENIED.withDescription(method + " needs role "
                    + (needed.isEmpty() ? "(none: this method is closed)"
                    : needed.stream().map(Role::label).sorted().collect(Collectors.joining(" or ")))
                    + "; the certificate of " + Role.holder(caller) + " has "
                    + (role == null ? "no role (no OU agent, operator or reader)" : "role " + role.label()));
        }
        call.close(refusal, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }

    /** The verified leaf certificate of the caller, or null. */
    private static X509Certificate clientCertificate(SSLSession session) {
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException e) {
            return null; // the handshake took no client certificate: refused as unauthenticated
        }
    }
}
