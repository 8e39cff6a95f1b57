package dev.handoff.agent.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.handoff.agent.app.TcpSocket;
import dev.handoff.agent.host.Connection;
import dev.handoff.agent.host.Host;
import dev.handoff.agent.ici.IciSeal;
import dev.handoff.proto.v1.Ici;
import dev.handoff.proto.v1.ImportChunk;
import dev.handoff.proto.v1.ImportResponse;
import dev.handoff.proto.v1.MigrateRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Signed ICIs (issue "Security"): a forged, altered, replayed-from-another-connection,
 * replayed, stale or stale-epoch ICI is refused with its reason, and the destination is left as
 * it was. Two agents in process; a holds two echo connections, b one.
 */
class IciIntegrityTest {
    /** The agents, their API and a client, from the control API's own test. */
    final AgentServiceTest agents = new AgentServiceTest();
    AgentServiceTest.Cluster cl;
    /** Two connections frozen at a (given back in {@link #close}). */
    Host.Export x;
    Host.Export y;
    List<TcpSocket> sockets;

    @AfterEach
    void close() throws Exception {
        if (x != null) {
            cl.a().finishMove(List.of(x, y), 0, false, "test over").get();
            for (TcpSocket s : sockets) {
                s.getOutputStream().write("alive".getBytes());
                assertEquals("alive", new String(s.getInputStream().readNBytes(5)), "a's connections still echo");
            }
        }
        agents.close();
    }

    /** b holds one connection; x and y are frozen exports of a's other two. */
    void setUp(String name) throws Exception {
        cl = agents.cluster(name + "-a", name + "-b", true);
        sockets = List.of(TcpSocket.connect(cl.client(), AgentServiceTest.CLIENT, AgentServiceTest.VIP, 7, 5000),
                TcpSocket.connect(cl.client(), AgentServiceTest.CLIENT, AgentServiceTest.VIP, 7, 5000),
                TcpSocket.connect(cl.client(), AgentServiceTest.CLIENT, AgentServiceTest.VIP, 7, 5000));
        Thread.sleep(30);
        List<Connection> conns = cl.a().connections().get();
        cl.stubA().withDeadlineAfter(10, TimeUnit.SECONDS).migrate(MigrateRequest.newBuilder()
                .setConnectionId(conns.get(0).id()).setDestination(name + "-b").build());
        x = cl.a().exportConnection(conns.get(1).id(), 2, 0).get();
        y = cl.a().exportConnection(conns.get(2).id(), 2, 0).get();
    }

    /** Sends {@code ici} with {@code seal} to b; the refusal, after checking b still has only its one connection. */
    Status refused(String name, ByteString ici, ByteString seal) throws Exception {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> IciTransfer.sendSealed(
                agents.channel(name + "-b"), List.of(new IciTransfer.Sealed(ici, seal, -1)), 0, 5000));
        assertEquals(1, cl.b().connections().get().size(), "b is untouched: " + e.getStatus());
        return e.getStatus();
    }

    static ByteString sealed(ByteString ici) {
        return AgentServiceTest.SEAL.seal(ImportReceiver.purpose(0), ici);
    }

    @Test
    void aForgedIciIsRefused() throws Exception {
        setUp("forged");
        ByteString ici = x.ici().toByteString();
        Status s = refused("forged", ici, IciSeal.withKey("another cluster's key, 32 bytes!".getBytes()).seal(
                ImportReceiver.purpose(0), ici));
        assertEquals(Status.Code.PERMISSION_DENIED, s.getCode(), s.toString());
        assertTrue(s.getDescription().contains("seal: does not match"), s.getDescription());
        Status unsealed = refused("forged", ici, ByteString.EMPTY);
        assertTrue(unsealed.getDescription().contains("seal: missing"), unsealed.getDescription());
    }

    @Test
    void anAlteredIciIsRefused() throws Exception {
        setUp("altered");
        ByteString ici = x.ici().toByteString();
        ByteString seal = sealed(ici);
        Ici more = x.ici().toBuilder().setSendQueue(x.ici().getSendQueue().concat(ByteString.copyFromUtf8("injected"))).build();
        Status s = refused("altered", more.toByteString(), seal);
        assertEquals(Status.Code.PERMISSION_DENIED, s.getCode(), s.toString());
        byte[] flipped = ici.toByteArray();
        flipped[flipped.length / 2] ^= 1;
        assertEquals(Status.Code.PERMISSION_DENIED, refused("altered", ByteString.copyFrom(flipped), seal).getCode());
    }

    @Test
    void anIciWithTheSealOfAnotherConnectionIsRefused() throws Exception {
        setUp("swapped");
        Status s = refused("swapped", x.ici().toByteString(), sealed(y.ici().toByteString()));
        assertEquals(Status.Code.PERMISSION_DENIED, s.getCode(), s.toString());
        Status otherVip = refused("swapped", x.ici().toByteString(),
                AgentServiceTest.SEAL.seal(ImportReceiver.purpose(AgentServiceTest.VIP), x.ici().toByteString()));
        assertEquals(Status.Code.PERMISSION_DENIED, otherVip.getCode(), "sealed for a VIP move, replayed as a single move");
    }

    @Test
    void aReplayedIciOfAConnectionAlreadyImportedIsRefused() throws Exception {
        setUp("replay");
        ByteString ici = x.ici().toByteString();
        ImportResponse in = IciTransfer.sendSealed(agents.channel("replay-b"), List.of(new IciTransfer.Sealed(ici, sealed(ici), -1)), 0, 5000);
        String id = in.getConnectionIds(0);
        cl.stubB().withDeadlineAfter(10, TimeUnit.SECONDS).migrate(MigrateRequest.newBuilder()
                .setConnectionId(id).setDestination("replay-a").build()); // and back to a, a newer incarnation
        Status s = refused("replay", ici, sealed(ici));
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s.toString());
        assertTrue(s.getDescription().contains("ICI field incarnation: 1 is not above 1"), s.getDescription());
        x = null; // x lives at a again, moved by the API; y is given back by hand
        cl.a().finishMove(List.of(y), 0, false, "test over").get();
    }

    @Test
    void aStaleIciIsRefused() throws Exception {
        setUp("stale");
        ByteString old = x.ici().toBuilder().setDumpedAtUnixMs(System.currentTimeMillis() - Host.MAX_MOVE_AGE_MS - 5000)
                .build().toByteString();
        Status s = refused("stale", old, sealed(old));
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s.toString());
        assertTrue(s.getDescription().contains("ICI field dumped_at_unix_ms: dumped 65"), s.getDescription());
    }

    @Test
    void importsBeyondTheBudgetAreRefusedAndTheBudgetComesBack() throws Exception {
        setUp("budget");
        ImportBudget budget = new ImportBudget(1, 1 << 20);
        Answers out = new Answers();
        ByteString ici = x.ici().toByteString();
        ImportReceiver first = new ImportReceiver(cl.b(), out, AgentServiceTest.SEAL, vip -> 0, budget,
                new PreCopies(System::currentTimeMillis));
        first.onNext(ImportChunk.newBuilder().setData(ici.substring(0, 10)).build()); // begun, never completed
        ImportReceiver second = new ImportReceiver(cl.b(), out, AgentServiceTest.SEAL, vip -> 0, budget,
                new PreCopies(System::currentTimeMillis));
        second.onNext(ImportChunk.newBuilder().setData(ici).setIciComplete(true).setSeal(sealed(ici)).build());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, out.first().getCode());
        first.onError(Status.CANCELLED.asRuntimeException()); // its caller gave up
        assertEquals(0, budget.inProgress());
        assertEquals(0, budget.held());
        assertEquals(1, cl.b().connections().get().size(), "b is untouched");
    }

    @Test
    void anIciOfAnOlderLeaseEpochThanTheStoreHoldsIsRefused() throws Exception {
        setUp("epoch");
        ByteString ici = x.ici().toBuilder().setLeaseEpoch(5).build().toByteString();
        Answers answer = new Answers();
        ImportReceiver r = new ImportReceiver(cl.b(), answer, AgentServiceTest.SEAL,
                vip -> vip == AgentServiceTest.VIP ? 7 : 0, new ImportBudget(1, 1 << 20), new PreCopies(System::currentTimeMillis));
        r.onNext(ImportChunk.newBuilder().setData(ici).setIciComplete(true).setSeal(sealed(ici)).build());
        r.onCompleted();
        Status s = answer.first();
        assertEquals(Status.Code.FAILED_PRECONDITION, s.getCode(), s.toString());
        assertTrue(s.getDescription().contains("lease_epoch: 5 is stale, the store holds epoch 7"), s.getDescription());
        assertEquals(1, cl.b().connections().get().size(), "b is untouched");
    }

    /** The answer of an import called directly: OK, or the status it failed with. */
    static final class Answers implements StreamObserver<ImportResponse> {
        /** The first answer. */
        private final CompletableFuture<Status> first = new CompletableFuture<>();

        @Override
        public void onNext(ImportResponse v) {
            first.complete(Status.OK);
        }

        @Override
        public void onError(Throwable t) {
            first.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
        }

        Status first() throws Exception {
            return first.get(5, TimeUnit.SECONDS);
        }
    }
}
