package dev.handoff.agent.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.agent.ici.InvalidIciException;
import dev.handoff.proto.v1.Ici;
import dev.handoff.proto.v1.ImportChunk;
import dev.handoff.proto.v1.ImportResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;

/** The receiving side of one {@code Import} call: assembles ICIs from chunks, then imports them all at once. */
final class ImportReceiver implements StreamObserver<ImportChunk> {
    /** Largest serialized ICI accepted: a 64 MB send queue (the largest --send-buffer), the receive side and state, with room. */
    static final int MAX_ICI_BYTES = 96 << 20;
    /** Most connections in one import. */
    static final int MAX_ICIS = 100_000;

    /** Where the connections go. */
    private final Host host;
    /** The answer. */
    private final StreamObserver<ImportResponse> out;
    /** ICIs complete so far. */
    private final List<Host.Import> imports = new ArrayList<>();
    /** Bytes of the ICI being assembled (a rope of the chunks, not copied). */
    private ByteString current = ByteString.EMPTY;
    /** The VIP the connections belong to, or 0. */
    private int expectVip;
    /** The move's token from PrepareImport, or 0: a connection it already brought over the link is answered again. */
    private long token;
    /** An error was already sent: ignore the rest. */
    private boolean failed;
    /** Checks each ICI's seal before it is parsed. */
    private final IciSeal seal;
    /** The lease epoch the store holds for a VIP now (0: none known): older ICIs of that VIP are stale. */
    private final IntToLongFunction storedEpoch;

    /** Bounds this and the other imports in progress. */
    private final ImportBudget budget;
    /** Send bytes copied here before the freeze, put back into the ICIs that left them out. */
    private final PreCopies preCopies;
    /** This import has begun in the budget and not ended. */
    private boolean counted;
    /** Bytes this import took from the budget. */
    private long taken;

    ImportReceiver(Host host, StreamObserver<ImportResponse> out, IciSeal seal, IntToLongFunction storedEpoch,
                   ImportBudget budget, PreCopies preCopies) {
        this.host = host;
        this.preCopies = preCopies;
        this.out = out;
        this.seal = seal;
        this.storedEpoch = storedEpoch;
        this.budget = budget;
    }

    /** What the seal of an ICI imported with {@code expectVip} covers besides the ICI: that it is for an import, and of which VIP. */
    static String purpose(int expectVip) {
        return "import vip=" + Integer.toUnsignedString(expectVip);
    }

    @Override
    public void onNext(ImportChunk c) {
        if (failed) {
            return;
        }
        String refusal = counted ? null : budget.begin();
        counted = refusal == null;
        if (refusal == null) {
            refusal = budget.take(c.getData().size());
        }
        if (refusal != null) {
            fail(Status.RESOURCE_EXHAUSTED, refusal);
            return;
        }
        taken += c.getData().size();
        if (current.size() + c.getData().size() > MAX_ICI_BYTES) {
            fail(Status.RESOURCE_EXHAUSTED, "ICI " + (imports.size() + 1) + " exceeds " + MAX_ICI_BYTES + " bytes");
            return;
        }
        if (c.getExpectVip() != 0) {
            expectVip = c.getExpectVip();
        }
        if (c.getToken() != 0) {
            token = c.getToken();
        }
        current = current.concat(c.getData());
        if (!c.getIciComplete()) {
            return;
        }
        if (imports.size() == MAX_ICIS) {
            fail(Status.RESOURCE_EXHAUSTED, "more than " + MAX_ICIS + " connections in one import");
            return;
        }
        try {
            seal.check(purpose(expectVip), current, c.getSeal()); // before the bytes are even parsed
        } catch (InvalidIciException e) {
            fail(Status.PERMISSION_DENIED, "ICI " + (imports.size() + 1) + " refused: " + e.getMessage());
            return;
        }
        try {
            Ici ici = preCopies.splice(Ici.parseFrom(current));
            imports.add(new Host.Import(ici, c.getPeerMac() == 0 ? -1 : c.getPeerMac()));
        } catch (InvalidProtocolBufferException e) {
            fail(Status.INVALID_ARGUMENT, "ICI " + (imports.size() + 1) + " is not a valid message: " + e.getMessage());
            return;
        } catch (InvalidIciException e) {
            fail(Status.FAILED_PRECONDITION, "ICI " + (imports.size() + 1) + " refused: " + e.getMessage());
            return;
        }
        current = ByteString.EMPTY;
    }

    @Override
    public void onError(Throwable t) {
        failed = true; // the origin gave up: nothing was created, nothing to undo
        release();
    }

    @Override
    public void onCompleted() {
        if (failed) {
            return;
        }
        if (imports.stream().anyMatch(i -> i.ici().getLeaseEpoch() != 0)) {
            // Checking their epochs may ask a store process: not on the transport's thread.
            Thread.ofVirtual().name("import-epochs").start(this::complete);
        } else {
            complete();
        }
    }

    /** Imports the ICIs received, without blocking: the answer goes from the loop that made the connections. */
    private void complete() {
        if (!current.isEmpty()) {
            fail(Status.INVALID_ARGUMENT, "the last ICI was not completed (ici_complete missing)");
            return;
        }
        if (imports.isEmpty()) {
            fail(Status.INVALID_ARGUMENT, "no ICI sent");
            return;
        }
        String stale = staleEpoch();
        if (stale != null) {
            fail(Status.FAILED_PRECONDITION, stale);
            return;
        }
        String what = "importing " + imports.size() + " connection(s)";
        // A copy: release() clears the list, and a loop that answers late may not have read it yet.
        host.importConnections(List.copyOf(imports), expectVip, token).orTimeout(AgentServiceImpl.DEADLINE_MS, TimeUnit.MILLISECONDS)
                .whenComplete((in, e) -> {
                    release();
                    if (e != null) {
                        out.onError(AgentServiceImpl.failure(e, what));
                        return;
                    }
                    out.onNext(ImportResponse.newBuilder().addAllConnectionIds(in.stream().map(Connection::id).toList()).build());
                    out.onCompleted();
                });
    }

    /**
     * Why an ICI is stale, or null: it was dumped under a lease epoch of its VIP older than the
     * one the store holds now (an old dump replayed after the VIP changed hands).
     */
    private String staleEpoch() {
        java.util.Map<Integer, Long> epochs = new java.util.HashMap<>();
        for (int k = 0; k < imports.size(); k++) {
            Ici ici = imports.get(k).ici();
            if (ici.getLeaseEpoch() == 0) {
                continue; // dumped by an agent without a lease on it: a single connection moved
            }
            long now = epochs.computeIfAbsent(ici.getLocalIp(), storedEpoch::applyAsLong);
            if (ici.getLeaseEpoch() < now) {
                return "ICI " + (k + 1) + " refused: ICI field lease_epoch: " + ici.getLeaseEpoch() + " is stale, the store"
                        + " holds epoch " + now + " for " + dev.handoff.agent.wire.Ipv4Address.format(ici.getLocalIp())
                        + " (a dump from before the VIP last changed hands)";
            }
        }
        return null;
    }

    /** Gives this import's share of the budget back (once; the transport's thread or a loop). */
    private synchronized void release() {
        if (counted) {
            counted = false;
            budget.end(taken);
            taken = 0;
        }
        imports.clear(); // the ICIs are no longer needed here
        current = ByteString.EMPTY;
    }

    private void fail(Status status, String why) {
        release();
        failed = true;
        out.onError(status.withDescription(why).asRuntimeException());
    }
}
