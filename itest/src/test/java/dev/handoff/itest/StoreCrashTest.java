package dev.handoff.itest;

import dev.handoff.cli.ThrowawayPki;
import dev.handoff.security.Role;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.cli.HandoffProcess;
import dev.handoff.store.Checkpoint;
import dev.handoff.store.RemoteCheckpointStore;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real `handoff store` process killed with SIGKILL while a client writes: after a restart every acknowledged write is there. */
class StoreCrashTest {
    static final int VIP = 0x0a4d0064;
    static final int CHUNK = 4096;

    /** The bytes at stream offsets [offset, offset + n): a pattern anyone can check. */
    static byte[] pattern(long offset, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ((offset + i) * 31 >>> 3);
        }
        return b;
    }

    @Test
    void killMinus9LosesNoAcknowledgedCheckpoint(@TempDir Path dir) throws Exception {
        int port = 17000 + (int) (ProcessHandle.current().pid() % 1000);
        String listen = "127.0.0.1:" + port;
        Path data = dir.resolve("store");
        ThrowawayPki pki = ThrowawayPki.create(Files.createDirectories(dir.resolve("pki")));
        String[] storeCommand = pki.with(Role.AGENT, "store", "--listen", listen, "--dir", data.toString());
        HandoffProcess store = HandoffProcess.launch(null, dir, "store serving", storeCommand);
        ManagedChannel channel = RemoteCheckpointStore.channelTo("127.0.0.1", port, pki.credentials(Role.AGENT).channel());
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong states = new AtomicLong();
        try {
            RemoteCheckpointStore client = new RemoteCheckpointStore(channel);
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (long offset = 0; ; offset += CHUNK) {
                        client.appendStream("c", VIP, 0, offset, pattern(offset, CHUNK)).join();
                        acknowledged.set(offset + CHUNK);
                        if (offset % (10 * CHUNK) == 0) {
                            client.putState("c", VIP, 0, Long.toString(offset).getBytes()).join();
                            states.set(offset);
                        }
                    }
                } catch (RuntimeException stopped) {
                    // the store died under it: what was acknowledged must survive
                }
            });
            while (acknowledged.get() < 2L << 20) {
                Thread.sleep(20);
            }
            store.kill();
            writer.join(30_000);
            long acked = acknowledged.get();
            System.out.println("store killed after " + acked + " acknowledged bytes");

            store = HandoffProcess.launch(null, dir, "store serving", storeCommand);
            assertTrue(store.log().contains("replayed"), store.log());
            Checkpoint c = new RemoteCheckpointStore(channel).read("c").orElseThrow();
            assertEquals(0, c.streamStart());
            assertTrue(c.streamEnd() >= acked, "every acknowledged byte survived: " + c.streamEnd() + " < " + acked);
            assertArrayEquals(pattern(0, (int) c.streamEnd()), c.stream(), "and they are the bytes written");
            assertTrue(Long.parseLong(new String(c.state())) >= states.get(), "the last acknowledged state survived");
            System.out.println("after restart: " + store.log().lines().filter(l -> l.contains("serving")).findFirst().orElse(""));
        } finally {
            channel.shutdownNow();
            store.close();
        }
    }
}
