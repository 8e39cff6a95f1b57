package dev.handoff.agent.host;

import dev.handoff.proto.v1.Ici;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The high-level calls of tcpcp's library (paper §3.2: {@code tcpcp_get}, {@code tcpcp_size},
 * {@code tcpcp_create}, {@code tcpcp_activate}) over a {@link Host}, blocking, for ordinary
 * Java code that passes connections itself. Every call waits at most {@link #TIMEOUT_MS}.
 */
public final class Tcpcp {
    /** How long a call waits for the host's loop, ms. */
    public static final long TIMEOUT_MS = 5000;

    private Tcpcp() {
    }

    /** Isolates connection {@code id} and returns its ICI (tcpcp_get). */
    public static Ici get(Host host, String id) {
        await(host.isolate(id), "isolating " + id);
        return await(host.dump(id, 0), "dumping " + id);
    }

    /** Bytes of {@code ici} as sent between agents (tcpcp_size). */
    public static int size(Ici ici) {
        return ici.getSerializedSize();
    }

    /** Creates the endpoint of {@code ici} on {@code host}, same local port, not yet active (tcpcp_create); returns its id. */
    public static String create(Host host, Ici ici, long peerMac) {
        return await(host.create(ici, PortMode.same(), peerMac), "creating an endpoint");
    }

    /** Activates a created endpoint (tcpcp_activate). */
    public static Connection activate(Host host, String id) {
        return await(host.activate(id), "activating " + id);
    }

    private static <T> T await(CompletableFuture<T> f, String what) {
        try {
            return f.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(what + ": " + cause, cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + ": the host's loop did not answer in " + TIMEOUT_MS + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted", e);
        }
    }
}
