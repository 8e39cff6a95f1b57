package dev.handoff.security;

import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.CheckpointStoreServiceGrpc;
import io.grpc.MethodDescriptor;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which roles may call which RPC (issue "Security", SECURITY.md "Roles"): a reader lists and
 * watches; an operator moves, checkpoints and resurrects and may do what a reader does; an
 * agent imports, takes VIPs, heartbeats and reads and writes checkpoints. A method not named
 * here is refused to everyone, so a new RPC stays closed until it is given a rule.
 */
public final class RpcPolicy {
    /** Services every authenticated holder may use (health checks and reflection reveal no connection state). */
    private static final Set<String> OPEN_SERVICES = Set.of("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection");

    /** Roles allowed per full method name. */
    private final Map<String, Set<Role>> allowed = new HashMap<>();

    private RpcPolicy() {
    }

    /** The policy of Handoff's two services. */
    public static RpcPolicy handoff() {
        EnumSet<Role> anyone = EnumSet.allOf(Role.class);
        EnumSet<Role> readers = EnumSet.of(Role.READER, Role.OPERATOR);
        EnumSet<Role> operators = EnumSet.of(Role.OPERATOR);
        EnumSet<Role> agents = EnumSet.of(Role.AGENT);
        RpcPolicy p = new RpcPolicy();
        p.allow(AgentServiceGrpc.getDescribeMethod(), anyone); // agents ask a destination what it serves
        p.allow(AgentServiceGrpc.getListConnectionsMethod(), readers);
        p.allow(AgentServiceGrpc.getWatchEventsMethod(), readers);
        p.allow(AgentServiceGrpc.getMigrateMethod(), operators);
        p.allow(AgentServiceGrpc.getMoveVipMethod(), operators);
        p.allow(AgentServiceGrpc.getCheckpointMethod(), operators);
        p.allow(AgentServiceGrpc.getResurrectMethod(), operators);
        p.allow(AgentServiceGrpc.getImportMethod(), agents);
        p.allow(AgentServiceGrpc.getPrepareImportMethod(), agents);
        p.allow(AgentServiceGrpc.getPreCopyMethod(), agents);
        p.allow(AgentServiceGrpc.getTakeVipMethod(), agents);
        p.allow(AgentServiceGrpc.getHeartbeatMethod(), agents);
        p.allow(CheckpointStoreServiceGrpc.getWriteMethod(), agents);
        p.allow(CheckpointStoreServiceGrpc.getWriteStreamMethod(), agents);
        p.allow(CheckpointStoreServiceGrpc.getAcquireLeaseMethod(), agents);
        p.allow(CheckpointStoreServiceGrpc.getReadMethod(), agents); // checkpoints hold the applications' bytes
        p.allow(CheckpointStoreServiceGrpc.getReadVipMethod(), agents);
        p.allow(CheckpointStoreServiceGrpc.getListCheckpointsMethod(), anyone);
        p.allow(CheckpointStoreServiceGrpc.getGetLeaseMethod(), anyone);
        return p;
    }

    private void allow(MethodDescriptor<?, ?> method, Set<Role> roles) {
        allowed.put(method.getFullMethodName(), Set.copyOf(roles));
    }

    /** The roles that may call {@code fullMethodName} (empty: nobody). */
    public Set<Role> rolesFor(String fullMethodName) {
        Set<Role> roles = allowed.get(fullMethodName);
        if (roles != null) {
            return roles;
        }
        return OPEN_SERVICES.contains(MethodDescriptor.extractFullServiceName(fullMethodName))
                ? EnumSet.allOf(Role.class) : Set.of();
    }
}
