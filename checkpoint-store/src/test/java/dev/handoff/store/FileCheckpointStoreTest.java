package dev.handoff.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded store on a real directory: durability across reopen, torn tails, corruption, group commit, compaction, leases. */
class FileCheckpointStoreTest {
    static final int VIP = 0x0a4d0064;
    static final String ID = "10.77.0.100:80-10.77.0.2:40000";

    @TempDir
    Path dir;
    final AtomicLong clock = new AtomicLong(1_000_000);

    FileCheckpointStore open() {
        return FileCheckpointStore.open(dir, clock::get);
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    Path lastSegment() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList().getLast();
        }
    }

    @Test
    void writesAreDurableAndIncremental() throws Exception {
        byte[] stream = bytes(100_000, 1);
        try (FileCheckpointStore s = open()) {
            s.putState(ID, VIP, 0, "state-1".getBytes()).join();
            s.appendStream(ID, VIP, 0, 5000, java.util.Arrays.copyOfRange(stream, 0, 60_000)).join();
            s.appendStream(ID, VIP, 0, 5000 + 50_000, java.util.Arrays.copyOfRange(stream, 50_000, 100_000)).join(); // overlaps
            s.trimStream(ID, VIP, 0, 5000 + 30_000).join();
            s.putState(ID, VIP, 0, "state-2".getBytes()).join();
            s.putState("other", VIP + 1, 0, "x".getBytes()).join();
            s.delete("other", VIP + 1, 0).join();
        }
        try (FileCheckpointStore s = open()) {
            Checkpoint c = s.read(ID).orElseThrow();
            assertEquals("state-2", new String(c.state()));
            assertEquals(35_000, c.streamStart());
            assertArrayEquals(java.util.Arrays.copyOfRange(stream, 30_000, 100_000), c.stream());
            assertEquals(List.of(ID), s.connectionsOf(VIP));
            assertTrue(s.read("other").isEmpty());
            assertTrue(s.recovery().contains("replayed 7 records"), s.recovery());
        }
    }

    @Test
    void aGapInTheStreamIsRefusedAndChangesNothing() {
        try (FileCheckpointStore s = open()) {
            s.appendStream(ID, VIP, 0, 0, bytes(10, 2)).join();
            CompletionException e = assertThrows(CompletionException.class, () -> s.appendStream(ID, VIP, 0, 20, bytes(5, 3)).join());
            assertTrue(e.getCause().getMessage().contains("leaves a gap"), e.getCause().getMessage());
            assertEquals(10, s.read(ID).orElseThrow().stream().length);
        }
    }

    @Test
    void aStateIsRefusedUnlessTheStoreKeepsTheSendBytesItNeeds() {
        try (FileCheckpointStore s = open()) {
            CompletionException none = assertThrows(CompletionException.class,
                    () -> s.putState(ID, VIP, 0, "lists 100..110".getBytes(), 100, 110).join());
            assertTrue(none.getCause().getMessage().contains("needs send bytes [100, 110) but the store keeps none"),
                    none.getCause().getMessage());
            assertTrue(s.read(ID).isEmpty(), "nothing stored");
            s.write(List.of(new CheckpointWrite.Append(ID, VIP, 0, 100, bytes(5, 1)),
                    new CheckpointWrite.State(ID, VIP, 0, "lists 100..105".getBytes(), 100, 105))).join();
            CompletionException shortOf = assertThrows(CompletionException.class,
                    () -> s.putState(ID, VIP, 0, "lists 100..110".getBytes(), 100, 110).join());
            assertTrue(shortOf.getCause().getMessage().contains("keeps [100, 105)"), shortOf.getCause().getMessage());
            s.putState(ID, VIP, 0, "lists nothing".getBytes(), 105, 105).join();
            assertEquals("lists nothing", new String(s.read(ID).orElseThrow().state()));
        }
    }

    @Test
    void aTornTailIsCutAndEveryAcknowledgedWriteSurvives() throws Exception {
        try (FileCheckpointStore s = open()) {
            for (int i = 0; i < 10; i++) {
                s.appendStream(ID, VIP, 0, i * 1000L, bytes(1000, i)).join();
            }
        }
        Path seg = lastSegment();
        long size = Files.size(seg);
        // A crash in the middle of the next record: its header and half its body reached the disk.
        byte[] torn = new byte[LogRecord.HEADER + 20];
        java.nio.ByteBuffer.wrap(torn).putInt(500).putInt(12345);
        Files.write(seg, torn, StandardOpenOption.APPEND);
        try (FileCheckpointStore s = open()) {
            assertTrue(s.recovery().contains("cut a torn tail of 28 bytes"), s.recovery());
            assertEquals(10_000, s.read(ID).orElseThrow().stream().length);
            s.appendStream(ID, VIP, 0, 10_000, bytes(1, 9)).join(); // the log goes on after the cut
        }
        assertEquals(size + LogRecord.HEADER + new LogRecord.Append(ID, VIP, 0, 10_000, new byte[1]).head().length + 1, Files.size(seg));
        try (FileCheckpointStore s = open()) {
            assertEquals(10_001, s.read(ID).orElseThrow().stream().length);
        }
    }

    @Test
    void aCorruptRecordAtTheEndIsCutAsATornTail() throws Exception {
        try (FileCheckpointStore s = open()) {
            s.putState(ID, VIP, 0, "good".getBytes()).join();
            s.putState(ID, VIP, 0, "last".getBytes()).join();
        }
        Path seg = lastSegment();
        byte[] all = Files.readAllBytes(seg);
        all[all.length - 2] ^= 0x40; // a bit flipped in the last record's body
        Files.write(seg, all);
        try (FileCheckpointStore s = open()) {
            assertEquals("good", new String(s.read(ID).orElseThrow().state()), "the corrupt last record is dropped");
            assertTrue(s.recovery().contains("torn tail") && !s.recovery().contains("DAMAGED"), s.recovery());
        }
    }

    static final String OTHER = "10.77.0.100:80-10.77.0.2:40001";
    static final String THIRD = "10.77.0.100:80-10.77.0.2:40002";

    /** Writes OTHER's state twice (the second, to damage, is where this returns), ID's state and stream, THIRD's state. */
    int writeThenFindOthersRecord() throws Exception {
        try (FileCheckpointStore s = open()) {
            s.acquire(VIP, "a", 1000);
            s.putState(OTHER, VIP, 1, "other, first".getBytes()).join();
            s.putState(OTHER, VIP, 1, "other, latest".getBytes()).join();
            s.putState(ID, VIP, 1, "id, before".getBytes()).join();
            s.appendStream(ID, VIP, 1, 0, bytes(1000, 1)).join();
            s.putState(ID, VIP, 1, "id, after".getBytes()).join();
            s.putState(THIRD, VIP, 1, "third".getBytes()).join();
        }
        byte[] all = Files.readAllBytes(lastSegment());
        int at = new String(all, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("other, latest");
        assertTrue(at > 0);
        return at;
    }

    @Test
    void aDamagedRecordInTheMiddleIsDroppedEveryIntactOneKeptAndWhatCannotBeVouchedForWithheld() throws Exception {
        int at = writeThenFindOthersRecord();
        Path seg = lastSegment();
        byte[] all = Files.readAllBytes(seg);
        all[at + 3] ^= 0x01; // OTHER's latest state: a flipped bit
        Files.write(seg, all);
        try (FileCheckpointStore s = open()) {
            String r = s.recovery();
            assertTrue(r.contains("DAMAGED: dropped") && r.contains("CRC mismatch"), r);
            assertTrue(r.contains("withheld 1 connections whose last checkpoint may have been lost [" + OTHER + "]"), r);
            assertTrue(s.read(OTHER).isEmpty(), "only an older checkpoint of it is intact: withheld, not resurrected stale");
            assertEquals("id, after", new String(s.read(ID).orElseThrow().state()), "written again after the loss: kept");
            assertArrayEquals(bytes(1000, 1), s.read(ID).orElseThrow().stream());
            assertEquals("third", new String(s.read(THIRD).orElseThrow().state()));
            Lease l = s.lease(VIP).orElseThrow();
            assertEquals(1 + FileCheckpointStore.LEASE_EPOCH_SKIP, l.epoch(), "a lost grant's epoch is never granted again");
            assertEquals(2 + FileCheckpointStore.LEASE_EPOCH_SKIP, s.acquire(VIP, "b", 1000).epoch(),
                    "the lease ran out: anyone may take it, at a fresh epoch");
        }
        try (FileCheckpointStore s = open()) {
            assertTrue(!s.recovery().contains("DAMAGED"), "the damage left the log with the compaction: " + s.recovery());
            assertEquals("third", new String(s.read(THIRD).orElseThrow().state()));
        }
    }

    @Test
    void aRecordWhoseLengthIsDamagedEndsItsSegmentButLaterSegmentsAreKept() throws Exception {
        int at = writeThenFindOthersRecord();
        Path seg = lastSegment();
        byte[] all = Files.readAllBytes(seg);
        // before the state bytes: the header, the type byte, the UTF id, the VIP, the epoch, the state's length
        int header = at - (LogRecord.HEADER + 1 + 2 + OTHER.length() + 4 + 8 + 4);
        java.nio.ByteBuffer.wrap(all, header, 4).putInt(Integer.MAX_VALUE); // its length: unreadable, no resync
        Files.write(seg, all);
        Files.write(dir.resolve(String.format("segment-%016d.log", 99)), new byte[0]); // so that it is not the last one
        try (FileCheckpointStore s = open()) {
            String r = s.recovery();
            assertTrue(r.contains("DAMAGED: dropped") && r.contains("bytes with"), r);
            assertTrue(s.read(OTHER).isEmpty() && s.read(ID).isEmpty() && s.read(THIRD).isEmpty(), r);
            s.putState(ID, VIP, 1 + FileCheckpointStore.LEASE_EPOCH_SKIP, "new".getBytes()).join();
            assertEquals("new", new String(s.read(ID).orElseThrow().state()), "the store works on");
        }
    }

    /** Runs a command; fails the test with its output unless it exits 0. */
    static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + " (root needed): " + out);
    }

    @Test
    void afterAFailedWriteEveryLaterOneIsRefusedUntilTheStoreIsReopened() throws Exception {
        Path small = Files.createDirectories(dir.resolve("small"));
        run("mount", "-t", "tmpfs", "-o", "size=1m", "handoff-store-test", small.toString());
        try {
            Path spare = small.resolve("spare");
            Files.write(spare, new byte[256 << 10]);
            Path logs = Files.createDirectories(small.resolve("store"));
            try (FileCheckpointStore s = FileCheckpointStore.open(logs, clock::get)) {
                s.appendStream(ID, VIP, 0, 0, bytes(100_000, 1)).join();
                CompletionException full = assertThrows(CompletionException.class,
                        () -> s.appendStream(ID, VIP, 0, 100_000, bytes(2 << 20, 2)).join());
                assertTrue(full.getCause().getMessage().contains("could not write"), full.getCause().getMessage());
                Files.delete(spare); // room again: a store that went on would now write, on top of a lost record
                CompletionException later = assertThrows(CompletionException.class,
                        () -> s.putState(ID, VIP, 0, "after".getBytes()).join());
                assertTrue(later.getCause().getMessage().contains("refuses writes since writing its log"),
                        later.getCause().getMessage());
                assertThrows(CompletionException.class, () -> s.putState("other", VIP, 0, "x".getBytes()).join());
            }
            try (FileCheckpointStore s = FileCheckpointStore.open(logs, clock::get)) {
                assertEquals(100_000, s.read(ID).orElseThrow().stream().length, "the durable record kept, the torn one cut");
                s.putState(ID, VIP, 0, "reopened".getBytes()).join();
                assertEquals("reopened", new String(s.read(ID).orElseThrow().state()));
            }
        } finally {
            run("umount", small.toString());
        }
    }

    @Test
    void concurrentWritesShareCommits() {
        try (FileCheckpointStore s = open()) {
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 250; i++) {
                        synchronized (writes) {
                            writes.add(s.appendStream("conn-" + id, VIP, 0, i * 100L, bytes(100, i)));
                        }
                    }
                }));
            }
            threads.forEach(th -> {
                try {
                    th.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
            assertEquals(2000, writes.size());
            assertTrue(s.commits() < 2000, "group commit: " + s.commits() + " forces for 2000 writes");
            for (int t = 0; t < 8; t++) {
                assertEquals(25_000, s.read("conn-" + t).orElseThrow().stream().length);
            }
        }
    }

    @Test
    void compactionKeepsOnlyTheLiveStateAndSurvivesReopen() throws Exception {
        try (FileCheckpointStore s = FileCheckpointStore.open(dir, clock::get, 64 * 1024)) {
            s.acquire(VIP, "a", 10_000);
            stream(s, 0, 200); // 2 MB through a connection whose peer acknowledges as it goes
            s.awaitCompaction();
            assertTrue(s.compactions() > 0 && s.compactionFailure() == null, "compacted: " + s.compactionFailure());
            assertEquals(1, s.bases(), "one base holds the live state; the bases before it are deleted");
            assertTrue(logSize() < 3 * 64 * 1024, "only the live state and the segments since are left: " + logSize());
        }
        try (FileCheckpointStore s = open()) {
            assertKeepsTheTailOfChunks(s, 200);
            assertEquals("a", s.lease(VIP).orElseThrow().owner());
        }
    }

    /** Bytes of every file in the store's directory. */
    long logSize() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            long n = 0;
            for (Path p : s.toList()) {
                n += Files.size(p);
            }
            return n;
        }
    }

    /** A compactor whose first compaction waits until {@code release} opens. */
    static ExecutorService heldCompactor(CountDownLatch release) {
        ExecutorService compactor = Executors.newSingleThreadExecutor();
        compactor.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return compactor;
    }

    /** Appends 10 KB chunks {@code from..to-1} of ID's stream, the peer acknowledging all but the last 5,000 bytes. */
    static void stream(FileCheckpointStore s, int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            s.appendStream(ID, VIP, 1, i * 10_000L, bytes(10_000, i)).get(5, TimeUnit.SECONDS);
            s.trimStream(ID, VIP, 1, (i + 1) * 10_000L - 5000).get(5, TimeUnit.SECONDS);
        }
    }

    /** {@code s} keeps ID's stream as {@link #stream} left it after {@code chunks} chunks: the last 5,000 bytes. */
    static void assertKeepsTheTailOfChunks(FileCheckpointStore s, int chunks) {
        Checkpoint c = s.read(ID).orElseThrow();
        assertEquals(chunks * 10_000L - 5000, c.streamStart());
        assertArrayEquals(java.util.Arrays.copyOfRange(bytes(10_000, chunks - 1), 5000, 10_000), c.stream());
    }

    /** The files in {@code d} now. */
    static List<Path> listing(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }

    @Test
    void commitsGoOnWhileACompactionRuns() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FileCheckpointStore s = FileCheckpointStore.open(dir, clock::get, 64 * 1024, heldCompactor(release))) {
            s.acquire(VIP, "a", 10_000);
            stream(s, 0, 100); // 1 MB: a compaction is due after the first 64 KB
            assertEquals(0, s.compactions(), "the compaction still waits");
            assertTrue(s.segments() > 4, "the writer rolled on to new segments meanwhile: " + s.segments());
            release.countDown();
            s.awaitCompaction();
            stream(s, 100, 200);
            s.awaitCompaction();
            assertTrue(s.compactions() >= 2, "compacted again once the first was done: " + s.compactions());
        }
        try (FileCheckpointStore s = open()) {
            assertKeepsTheTailOfChunks(s, 200);
            assertTrue(s.recovery().contains("from a compacted base and "), s.recovery());
        }
    }

    @Test
    void aFailedCompactionLosesNothingIsReportedAndIsTriedAgain() throws Exception {
        try (FileCheckpointStore s = FileCheckpointStore.open(dir, clock::get, 64 * 1024)) {
            s.acquire(VIP, "a", 10_000);
            Path obstacle = Files.createDirectories(dir.resolve("base-0000000000000001.tmp").resolve("in-the-way"));
            stream(s, 0, 10); // a compaction is due: its base cannot be created
            s.awaitCompaction();
            assertEquals(0, s.compactions());
            assertTrue(s.compactionFailure() instanceof java.nio.file.FileAlreadyExistsException, "" + s.compactionFailure());
            assertEquals(0, s.bases(), "the segments stay");
            Files.delete(obstacle);
            Files.delete(obstacle.getParent());
            stream(s, 10, 20);
            s.awaitCompaction();
            assertEquals(1, s.compactions(), "the next trigger compacts");
            assertEquals(null, s.compactionFailure());
        }
        try (FileCheckpointStore s = open()) {
            assertKeepsTheTailOfChunks(s, 20);
        }
    }

    @Test
    void aCompactionCutShortByACrashLeavesEitherTheOldSegmentsOrItsBase() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Path aside = Files.createTempDirectory("segments-aside");
        try (FileCheckpointStore s = FileCheckpointStore.open(dir, clock::get, 64 * 1024, heldCompactor(release))) {
            s.acquire(VIP, "a", 10_000);
            s.putState(OTHER, VIP, 1, "ended".getBytes()).join();
            s.delete(OTHER, VIP, 1).join();
            stream(s, 0, 10); // 100 KB: the compaction is due, its base to replace the segments written so far
            for (Path p : listing(dir)) {
                Files.copy(p, aside.resolve(p.getFileName()));
            }
            release.countDown();
            s.awaitCompaction();
            assertEquals(1, s.compactions());
        }
        for (Path p : listing(aside)) {
            Files.copy(p, dir.resolve(p.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        // The crash came after the base was named, before the segments it replaces were deleted;
        // and a later compaction had begun its base.
        Files.write(dir.resolve("base-0000000000000099.tmp"), bytes(500, 7));
        try (FileCheckpointStore s = open()) {
            assertTrue(s.read(OTHER).isEmpty(), "the connection deleted before the compaction stays deleted");
            assertKeepsTheTailOfChunks(s, 10);
            assertEquals(1, s.bases());
            assertTrue(listing(dir).stream().noneMatch(p -> p.toString().endsWith(".tmp")), "the partial base is deleted");
            assertTrue(!s.recovery().contains("DAMAGED"), s.recovery());
        }
        // The crash came while the base was being written: the segments say everything.
        for (Path p : listing(dir)) {
            Files.delete(p);
        }
        for (Path p : listing(aside)) {
            Files.copy(p, dir.resolve(p.getFileName()));
        }
        Files.write(dir.resolve("base-0000000000000001.tmp"), bytes(500, 8));
        try (FileCheckpointStore s = open()) {
            assertTrue(s.read(OTHER).isEmpty());
            assertKeepsTheTailOfChunks(s, 10);
            assertEquals(0, s.bases());
            assertTrue(listing(dir).stream().noneMatch(p -> p.toString().endsWith(".tmp")), "the partial base is deleted");
        }
    }

    @Test
    void aLeaseHandedOverMovesToItsSuccessorAtANewEpochWithNoMomentFree() {
        try (FileCheckpointStore s = open()) {
            s.acquire(VIP, "a", 1000);
            assertThrows(StaleEpochException.class, () -> s.handOver(VIP, "b", "c", 1000), "only the holder hands over");
            Lease b = s.handOver(VIP, "a", "b", 1000);
            assertEquals(new Lease(VIP, "b", 2, clock.get() + 1000), b);
            assertEquals(2, s.acquire(VIP, "b", 1000).epoch(), "the successor renews it");
            assertThrows(StaleEpochException.class, () -> s.acquire(VIP, "c", 1000), "never free in between");
            assertThrows(CompletionException.class, () -> s.putState(ID, VIP, 1, "late from a".getBytes()).join());
            clock.addAndGet(1001);
            assertThrows(StaleEpochException.class, () -> s.handOver(VIP, "b", "c", 1000), "not once it ran out");
        }
    }

    @Test
    void leasesFenceStaleWriters() {
        try (FileCheckpointStore s = open()) {
            Lease a = s.acquire(VIP, "a", 1000);
            assertEquals(1, a.epoch());
            assertEquals(1, s.acquire(VIP, "a", 1000).epoch(), "a renewal keeps the epoch");
            StaleEpochException own = assertThrows(StaleEpochException.class, () -> s.acquireFresh(VIP, "a", 1000));
            assertTrue(own.getMessage().contains("own lease"), "a take-over waits even for its own lease: " + own.getMessage());
            StaleEpochException held = assertThrows(StaleEpochException.class, () -> s.acquire(VIP, "b", 1000));
            assertTrue(held.getMessage().contains("held by a"), held.getMessage());
            s.putState(ID, VIP, 1, "from a".getBytes()).join();

            clock.addAndGet(1001); // a's lease runs out
            Lease b = s.acquireFresh(VIP, "b", 1000);
            assertEquals(2, b.epoch());
            CompletionException stale = assertThrows(CompletionException.class,
                    () -> s.putState(ID, VIP, 1, "late from a".getBytes()).join());
            assertTrue(stale.getCause() instanceof StaleEpochException, stale.getCause().toString());
            assertEquals("from a", new String(s.read(ID).orElseThrow().state()), "the refused write changed nothing");
            s.putState(ID, VIP, 2, "from b".getBytes()).join();
        }
        try (FileCheckpointStore s = open()) {
            assertEquals(new Lease(VIP, "b", 2, 1_002_001), s.lease(VIP).orElseThrow());
            assertEquals("from b", new String(s.read(ID).orElseThrow().state()));
        }
    }
}
