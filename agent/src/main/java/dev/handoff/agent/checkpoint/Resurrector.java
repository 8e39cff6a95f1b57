package dev.handoff.agent.checkpoint;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.handoff.agent.cluster.LeaseKeeper;
import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.proto.v1.Ici;
import dev.handoff.store.Checkpoint;
import dev.handoff.store.CheckpointStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Brings a dead agent's connections back here (paper §6.1): takes the VIP's lease (which
 * fails while the old owner's runs), reads every checkpoint of the VIP, puts each one's kept
 * send bytes back into its ICI, and has the host resurrect them all and announce the VIP.
 */
public final class Resurrector {
    /** Where the checkpoints are. */
    private final CheckpointStore store;
    /** The host to resurrect into. */
    private final Host host;
    /** This agent's leases. */
    private final LeaseKeeper leases;
    /** For the clock skew bound. */
    private final CheckpointSettings settings;

    public Resurrector(Host host, CheckpointStore store, LeaseKeeper leases, CheckpointSettings settings) {
        this.host = host;
        this.store = store;
        this.leases = leases;
        this.settings = settings;
    }

    /**
     * Takes {@code vip} with every connection checkpointed for it. Fails with
     * StaleEpochException while any lease on it runs (this agent's own too), and with
     * IllegalArgumentException naming the checkpoint when one cannot be used; then the lease
     * it took is no longer renewed.
     */
    public CompletableFuture<List<Connection>> resurrect(int vip) {
        leases.takeFresh(vip);
        CompletableFuture<List<Connection>> done;
        try {
            List<Ici> icis = new ArrayList<>();
            for (Checkpoint cp : store.readAll(vip)) {
                icis.add(ici(cp));
            }
            done = host.resurrect(icis, vip, settings.clockSkewMs());
        } catch (RuntimeException e) {
            leases.drop(vip); // not served here: another agent may take it
            throw e;
        }
        return done.whenComplete((in, error) -> {
            if (error != null) {
                leases.drop(vip);
            }
        });
    }

    /** The ICI of a checkpoint: its state with the kept send bytes from SND.UNA on as the send queue. */
    static Ici ici(Checkpoint cp) {
        Ici state;
        try {
            state = Ici.parseFrom(cp.state());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("checkpoint of " + cp.connectionId() + " is not an ICI: " + e.getMessage(), e);
        }
        long una = state.getStreamOffset();
        if (cp.stream().length == 0 || cp.streamEnd() <= una) {
            return state; // nothing kept beyond SND.UNA: a deterministic application regenerates it
        }
        if (cp.streamStart() > una) {
            throw new IllegalArgumentException("checkpoint of " + cp.connectionId() + " lacks send bytes " + una + ".."
                    + cp.streamStart() + " (" + Ipv4Address.format(cp.vip()) + ", epoch " + cp.epoch() + ")");
        }
        byte[] queue = Arrays.copyOfRange(cp.stream(), (int) (una - cp.streamStart()), cp.stream().length);
        return state.toBuilder().setSendQueue(ByteString.copyFrom(queue)).build();
    }
}
