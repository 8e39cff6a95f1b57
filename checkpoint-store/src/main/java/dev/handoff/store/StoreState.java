package dev.handoff.store;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the log amounts to: every connection's checkpoint and every lease. One writer; callers synchronize. */
final class StoreState {
    /** Checkpoints by connection id. */
    private final Map<String, Entry> connections = new HashMap<>();
    /** Leases by VIP. */
    private final Map<Integer, Lease> leases = new HashMap<>();

    /** One connection's checkpoint as it grows and shrinks. */
    private static final class Entry {
        /** Its VIP. */
        int vip;
        /** Epoch of the last write. */
        long epoch;
        /** ICI without the send queue. */
        byte[] state = new byte[0];
        /** Send bytes kept. */
        final KeptStream stream = new KeptStream();
    }

    /**
     * Refuses a record that is not allowed now (a stale epoch, a gap in the stream), with the
     * reason; nothing changes.
     */
    void check(LogRecord r, long now) {
        if (r instanceof LogRecord.LeaseGranted) {
            return;
        }
        long epoch = switch (r) {
            case LogRecord.State s -> s.epoch();
            case LogRecord.Append a -> a.epoch();
            case LogRecord.Trim t -> t.epoch();
            case LogRecord.Delete d -> d.epoch();
            case LogRecord.LeaseGranted l -> l.lease().epoch();
        };
        Lease lease = leases.get(r.vip());
        if (lease != null && epoch < lease.epoch()) {
            throw new StaleEpochException("write with epoch " + epoch + " refused: the lease on the VIP is at epoch "
                    + lease.epoch() + " (owner " + lease.owner() + "); this writer must stop speaking for it");
        }
        if (r instanceof LogRecord.Append a && leavesGap(a)) {
            throw new IllegalArgumentException("append at stream offset " + a.offset() + " leaves a gap after "
                    + connections.get(a.id()).stream.end() + " for " + a.id() + ": send the bytes in between first");
        }
    }

    /**
     * Refuses a state of connection {@code id} that lists send bytes [{@code from}, {@code to})
     * unless all of them are kept (the append before it in the same round failed, or was lost).
     */
    void checkKeeps(String id, long from, long to) {
        if (to == from) {
            return;
        }
        Entry e = connections.get(id);
        boolean none = e == null || e.stream.length() == 0;
        if (none || e.stream.start() > from || e.stream.end() < to) {
            throw new IllegalArgumentException("state of " + id + " needs send bytes [" + from + ", " + to + ") but the store"
                    + " keeps " + (none ? "none" : "[" + e.stream.start() + ", " + e.stream.end() + ")")
                    + ": an append it builds on is missing; write from SND.UNA again");
        }
    }

    /** Whether {@code a} would leave a gap in its connection's kept stream. */
    boolean leavesGap(LogRecord.Append a) {
        Entry e = connections.get(a.id());
        return e != null && e.stream.length() > 0 && a.offset() > e.stream.end();
    }

    /** The connections checkpointed. */
    java.util.Set<String> ids() {
        return new java.util.TreeSet<>(connections.keySet());
    }

    /** Forgets a connection (recovery withholds one it cannot vouch for). */
    void remove(String id) {
        connections.remove(id);
    }

    /**
     * Lets every lease run out and moves its epoch on by {@code skip}: after records were
     * lost, a lost grant's epoch must never be granted again to someone else.
     */
    void expireLeasesSkippingEpochs(long skip) {
        leases.replaceAll((vip, l) -> new Lease(vip, l.owner(), l.epoch() + skip, 0));
    }

    /** Applies an accepted record (replay or live). */
    void apply(LogRecord r) {
        switch (r) {
            case LogRecord.State s -> {
                Entry e = entry(s.id(), s.vip(), s.epoch());
                e.state = s.state();
            }
            case LogRecord.Append a -> entry(a.id(), a.vip(), a.epoch()).stream.append(a.offset(), a.bytes());
            case LogRecord.Trim t -> entry(t.id(), t.vip(), t.epoch()).stream.trim(t.offset());
            case LogRecord.Delete d -> connections.remove(d.id());
            case LogRecord.LeaseGranted l -> leases.put(l.lease().vip(), l.lease());
        }
    }

    private Entry entry(String id, int vip, long epoch) {
        Entry e = connections.computeIfAbsent(id, k -> new Entry());
        e.vip = vip;
        e.epoch = epoch;
        return e;
    }

    Optional<Checkpoint> read(String id) {
        Entry e = connections.get(id);
        return e == null ? Optional.empty()
                : Optional.of(new Checkpoint(id, e.vip, e.epoch, e.state, e.stream.start(), e.stream.toArray()));
    }

    List<String> connectionsOf(int vip) {
        return connections.entrySet().stream().filter(x -> x.getValue().vip == vip).map(Map.Entry::getKey).sorted().toList();
    }

    /**
     * The lease {@code owner} gets on {@code vip} now: a renewal (same epoch) while it holds
     * it, a new epoch when the VIP is free or its lease has run out; StaleEpochException
     * while another owner's lease runs, and, when {@code fresh}, while any lease runs.
     */
    LogRecord.LeaseGranted grant(int vip, String owner, long ttlMs, boolean fresh, long now) {
        Lease current = leases.get(vip);
        long epoch;
        if (current == null) {
            epoch = 1;
        } else if (current.expiresAt() <= now) {
            epoch = current.epoch() + 1; // even for the same owner: its writes in flight under the old epoch are fenced
        } else if (current.owner().equals(owner) && !fresh) {
            epoch = current.epoch();
        } else if (current.owner().equals(owner)) {
            throw new StaleEpochException("a new epoch was asked for, but this owner's own lease on the VIP (epoch "
                    + current.epoch() + ") runs for " + (current.expiresAt() - now) + " ms more");
        } else {
            throw new StaleEpochException("the lease on the VIP is held by " + current.owner() + " (epoch " + current.epoch()
                    + ") for " + (current.expiresAt() - now) + " ms more");
        }
        return new LogRecord.LeaseGranted(new Lease(vip, owner, epoch, now + ttlMs));
    }

    /** {@code owner}'s running lease on {@code vip}, at a new epoch, to {@code successor}; StaleEpochException unless it runs. */
    LogRecord.LeaseGranted handOver(int vip, String owner, String successor, long ttlMs, long now) {
        Lease current = leases.get(vip);
        if (current == null || current.expiresAt() <= now || !current.owner().equals(owner)) {
            throw new StaleEpochException(owner + " holds no running lease on the VIP to hand over"
                    + (current == null ? "" : " (it is " + current.owner() + "'s, epoch " + current.epoch() + ")"));
        }
        return new LogRecord.LeaseGranted(new Lease(vip, successor, current.epoch() + 1, now + ttlMs));
    }

    Optional<Lease> lease(int vip) {
        return Optional.ofNullable(leases.get(vip));
    }

    /** Records that rebuild this state from nothing (what compaction writes). */
    List<LogRecord> snapshot() {
        List<LogRecord> out = new java.util.ArrayList<>();
        for (Lease l : leases.values()) {
            out.add(new LogRecord.LeaseGranted(l));
        }
        for (Map.Entry<String, Entry> x : connections.entrySet()) {
            Entry e = x.getValue();
            out.add(new LogRecord.State(x.getKey(), e.vip, e.epoch, e.state));
            out.add(new LogRecord.Append(x.getKey(), e.vip, e.epoch, e.stream.start(), e.stream.toArray()));
        }
        return out;
    }

    /** Bytes the live state takes in the log (for the compaction trigger). */
    long liveBytes() {
        long n = 0;
        for (Entry e : connections.values()) {
            n += e.state.length + e.stream.length() + 64L;
        }
        return n + 64L * leases.size();
    }
}
