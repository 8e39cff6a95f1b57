package dev.handoff.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.proto.v1.AgentServiceGrpc;
import dev.handoff.proto.v1.CheckpointStoreServiceGrpc;
import io.grpc.MethodDescriptor;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RpcPolicyTest {
    final RpcPolicy policy = RpcPolicy.handoff();

    @Test
    void everyRpcOfBothServicesHasARule() {
        List<MethodDescriptor<?, ?>> methods = new java.util.ArrayList<>();
        new AgentServiceGrpc.AgentServiceImplBase() { }.bindService().getMethods().forEach(m -> methods.add(m.getMethodDescriptor()));
        new CheckpointStoreServiceGrpc.CheckpointStoreServiceImplBase() { }.bindService().getMethods()
                .forEach(m -> methods.add(m.getMethodDescriptor()));
        for (MethodDescriptor<?, ?> m : methods) {
            assertFalse(policy.rolesFor(m.getFullMethodName()).isEmpty(), m.getFullMethodName() + " has no rule: nobody may call it");
        }
    }

    @Test
    void theRolesOfTheIssue() {
        assertEquals(Set.of(Role.OPERATOR), policy.rolesFor(AgentServiceGrpc.getMigrateMethod().getFullMethodName()));
        assertEquals(Set.of(Role.OPERATOR), policy.rolesFor(AgentServiceGrpc.getResurrectMethod().getFullMethodName()));
        assertEquals(Set.of(Role.READER, Role.OPERATOR), policy.rolesFor(AgentServiceGrpc.getWatchEventsMethod().getFullMethodName()));
        assertEquals(Set.of(Role.AGENT), policy.rolesFor(AgentServiceGrpc.getImportMethod().getFullMethodName()));
        assertEquals(Set.of(Role.AGENT), policy.rolesFor(AgentServiceGrpc.getHeartbeatMethod().getFullMethodName()));
        assertEquals(Set.of(Role.AGENT), policy.rolesFor(CheckpointStoreServiceGrpc.getWriteMethod().getFullMethodName()));
        assertEquals(Set.of(Role.AGENT), policy.rolesFor(CheckpointStoreServiceGrpc.getReadVipMethod().getFullMethodName()));
    }

    @Test
    void unknownMethodsAreClosedAndHealthIsOpen() {
        assertTrue(policy.rolesFor("handoff.v1.AgentService/Unknown").isEmpty());
        assertTrue(policy.rolesFor("some.Other/Method").isEmpty());
        assertEquals(EnumSet.allOf(Role.class), policy.rolesFor("grpc.health.v1.Health/Check"));
    }
}
