package dev.handoff.agent.checkpoint;

import dev.handoff.agent.cluster.LeaseKeeper;
import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.wire.Ipv4Address;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.proto.v1.Ici;
import dev.handoff.store.Checkpoint;
import dev.handoff.store.CheckpointStore;
import java.util.ArrayList;
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
    /** Opens checkpoints only when their seal and tags check out. */
    private final CheckpointSeal seal;

    public Resurrector(Host host, CheckpointStore store, LeaseKeeper leases, CheckpointSettings settings, IciSeal seal) {
        this.seal = new CheckpointSeal(seal);
        this.host = host;
        this.store = store;
        this.leases = leases;
        this.settings = settings;
    }

    /**
     * Takes {@code vip} with every connection checkpointed for it. Fails with
     * StaleEpochException while any lease on it runs (this agent's own too), and with
     * IllegalArgumentException naming the checkpoint when one cannot be used (its seal, a tag
     * of its send bytes, or their extent does not check out: nothing is resurrected); then the lease
     * it took is no longer renewed.
     */
    public CompletableFuture<List<Connection>> resurrect(int vip) {
        long epoch = leases.takeFresh(vip).epoch();
        CompletableFuture<List<Connection>> done;
        try {
            List<Ici> icis = new ArrayList<>();
            for (Checkpoint cp : store.readAll(vip)) {
                icis.add(seal.open(cp));
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
        }).thenCompose(in -> leases.epochFor(vip) == epoch ? CompletableFuture.completedFuture(in) : lapsed(vip, epoch));
    }

    /**
     * The lease taken for a take-over stopped counting before the connections were back (a
     * take-over slower than three quarters of the lease time): the watchdog told the host to
     * fall silent for the VIP while there was nothing yet to silence, and the host then took
     * it. Without a lease nothing would ever be checkpointed or sent, and no other agent would
     * take a VIP this one serves: this agent falls silent for it now and the take-over fails
     * (the fail-over tries again once the lease ran out).
     */
    private CompletableFuture<List<Connection>> lapsed(int vip, long epoch) {
        String why = "its lease (epoch " + epoch + ") stopped counting before the take-over was done";
        leases.drop(vip);
        return host.abandonVip(vip, why).thenCompose(dropped -> CompletableFuture.failedFuture(
                new IllegalStateException("taking " + Ipv4Address.format(vip) + " over failed: " + why + "; "
                        + dropped + " resurrected connections dropped without a word, to be resurrected again")));
    }

}
