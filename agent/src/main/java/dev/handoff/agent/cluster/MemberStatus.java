package dev.handoff.agent.cluster;

import dev.handoff.proto.v1.AgentStatus;
import java.util.Arrays;

/**
 * What one agent of a cluster last said of itself.
 *
 * @param name           its name
 * @param vips           the VIPs it serves
 * @param storeReachable whether it reaches the checkpoint store (else it must not take VIPs over)
 */
public record MemberStatus(String name, int[] vips, boolean storeReachable) {
    public MemberStatus {
        vips = vips.clone();
    }

    /** Whether it serves {@code vip}. */
    public boolean serves(int vip) {
        return Arrays.stream(vips).anyMatch(v -> v == vip);
    }

    /** As sent in heartbeats. */
    public AgentStatus toProto() {
        AgentStatus.Builder b = AgentStatus.newBuilder().setName(name).setStoreReachable(storeReachable);
        for (int v : vips) {
            b.addVips(v);
        }
        return b.build();
    }

    /** As received in heartbeats. */
    public static MemberStatus fromProto(AgentStatus s) {
        return new MemberStatus(s.getName(), s.getVipsList().stream().mapToInt(Integer::intValue).toArray(),
                s.getStoreReachable());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MemberStatus m && name.equals(m.name) && Arrays.equals(vips, m.vips)
                && storeReachable == m.storeReachable;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(vips);
    }

    @Override
    public String toString() {
        return name + Arrays.stream(vips).mapToObj(dev.handoff.agent.wire.Ipv4Address::format).toList()
                + (storeReachable ? "" : " (store unreachable)");
    }
}
