package dev.handoff.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The embedded durable store: an append-only log of {@link LogRecord}s in segment files,
 * each record with a CRC-32C. One writer thread takes every pending write, appends them
 * all, forces the file once (group commit) and only then completes their futures, so an
 * acknowledged write survives a crash. On open the log is replayed; a torn or corrupt
 * record at the end of the last segment (a crash mid-write) is cut off; damage anywhere
 * else is dropped and said, every intact record kept, and connections whose last
 * checkpoint may be among the lost records withheld (see {@code Damage}). When the
 * segments hold much more than the live state, a compaction writes that state into a base
 * file off the writer's thread (commits go on meanwhile) and deletes the segments it
 * replaces. Reads come from memory, assembled checkpoints cached with Caffeine.
 */
public final class FileCheckpointStore implements CheckpointStore {
    /** A segment is closed and a new one started past this size, bytes (default). */
    static final long SEGMENT_BYTES = 64L << 20;
    /** This store's segment size, bytes; compaction starts when the log is larger and four times the live state. */
    private final long segmentBytes;
    /** Forces of the log so far (group commits). */
    private volatile long commits;
    /** Compacts the log off the writer's thread, one compaction at a time. */
    private final ExecutorService compactor;
    /** The last compaction started (set by the writer's thread; tests await it); done when none runs. */
    private volatile CompletableFuture<Void> compaction = CompletableFuture.completedFuture(null);
    /** Compactions done. */
    private volatile long compactions;
    /** Why the last compaction failed, or null. */
    private volatile IOException compactionFailure;
    /** Most writes committed together. */
    private static final int BATCH = 1024;

    /** Where the segments are. */
    private final Path dir;
    /** The store's clock, ms since the epoch (leases). */
    private final LongSupplier clock;
    /** Everything the log says, guarded by itself. */
    private final StoreState state = new StoreState();
    /** Assembled checkpoints by connection id, dropped on every change to that connection. */
    private final Cache<String, Optional<Checkpoint>> cache = Caffeine.newBuilder().maximumSize(10_000).build();
    /** Writes waiting for the writer. */
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    /** The writer thread. */
    private final Thread writer;
    /** Segment being appended to. */
    private FileChannel segment;
    /** Its sequence number. */
    private long segmentNumber;
    /** Bytes in the segments started since the last compaction started (on open: in every segment). */
    private long logBytes;
    /** What opening found: records replayed, bytes cut off a torn tail. */
    private final String recovery;
    /** Set by close. */
    private volatile boolean closed;
    /**
     * The first failure to write or force the log, after which every write is refused: what
     * reached the disk is unknown (a failed fsync may have dropped pages, so retrying it
     * proves nothing), and a later write may build on one that was lost. Reopening the store
     * recovers what is durable.
     */
    private volatile IOException broken;

    /** A write (or a lease request, decided in log order), the send bytes a state needs kept (or null), and who waits for it. */
    private record Pending(LogRecord record, LeaseRequest lease, StreamNeed need, CompletableFuture<Object> done) {
    }

    /** Send bytes a state lists, stream offsets [from, to), which the store must keep for it to be accepted. */
    private record StreamNeed(long from, long to) {
    }

    /** A request for the lease on a VIP. */
    private record LeaseRequest(int vip, String owner, long ttlMs, boolean fresh, String successor) {
    }

    private FileCheckpointStore(Path dir, LongSupplier clock, long segmentBytes, ExecutorService compactor, String recovery) {
        this.dir = dir;
        this.compactor = compactor;
        this.segmentBytes = segmentBytes;
        this.clock = clock;
        this.recovery = recovery;
        this.writer = new Thread(this::writeLoop, "checkpoint-store-writer");
        this.writer.setDaemon(true);
    }

    /** Opens (or creates) the store in {@code dir}, replaying its log. */
    public static FileCheckpointStore open(Path dir, LongSupplier clock) {
        return open(dir, clock, SEGMENT_BYTES);
    }

    /** As {@link #open(Path, LongSupplier)} with segments of {@code segmentBytes} (tests use small ones). */
    static FileCheckpointStore open(Path dir, LongSupplier clock, long segmentBytes) {
        return open(dir, clock, segmentBytes, Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "checkpoint-store-compactor");
            t.setDaemon(true);
            return t;
        }));
    }

    /** As {@link #open(Path, LongSupplier, long)}, compactions run by {@code compactor} (tests hold them back). */
    static FileCheckpointStore open(Path dir, LongSupplier clock, long segmentBytes, ExecutorService compactor) {
        try {
            Files.createDirectories(dir);
            Path base = settleCompactions(dir);
            long baseNumber = base == null ? 0 : number(base);
            List<Path> segments = files(dir, SEGMENT_NAME).stream().filter(p -> number(p) > baseNumber).toList();
            FileCheckpointStore store;
            long replayed = 0;
            long cut = 0;
            StoreState scratch = new StoreState();
            Damage damage = new Damage();
            if (base != null) {
                replayed += replay(base, scratch, false, damage).records(); // forced before it was named: never torn
            }
            for (int i = 0; i < segments.size(); i++) {
                Replay r = replay(segments.get(i), scratch, i == segments.size() - 1, damage);
                replayed += r.records();
                cut += r.cutBytes();
            }
            String withheld = damage.settle(scratch);
            store = new FileCheckpointStore(dir, clock, segmentBytes, compactor, "replayed " + replayed + " records from "
                    + (base == null ? "" : "a compacted base and ") + segments.size() + " segments"
                    + (cut > 0 ? ", cut a torn tail of " + cut + " bytes" : "") + withheld);
            for (LogRecord r : scratch.snapshot()) {
                store.state.apply(r);
            }
            for (Path p : segments) {
                store.logBytes += Files.size(p);
            }
            store.segmentNumber = segments.isEmpty() ? baseNumber + 1 : number(segments.getLast());
            store.segment = FileChannel.open(store.segmentPath(store.segmentNumber), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            if (damage.found()) {
                store.compactNow(); // what was kept goes into a fresh base; the damaged segments are deleted
            }
            store.writer.start();
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the checkpoint store in " + dir + ": " + e.getMessage()
                    + " (check the directory exists and is writable)", e);
        }
    }

    /** Names of the log's segments. */
    private static final String SEGMENT_NAME = "segment-\\d{16}\\.log";
    /** Names of compacted bases: the whole live state as of the end of the segment of the same number. */
    private static final String BASE_NAME = "base-\\d{16}\\.log";
    /** Names of bases being written (a compaction cut short by a crash leaves one). */
    private static final String PARTIAL_BASE_NAME = "base-\\d{16}\\.tmp";

    /** The files of {@code dir} named like {@code pattern}, in order. */
    private static List<Path> files(Path dir, String pattern) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches(pattern)).sorted().toList();
        }
    }

    /**
     * Finishes what a compaction cut short by a crash left: a base being written is deleted
     * (the segments it was to replace are all there); once a base is named, the segments up to
     * its number and older bases are deleted (it holds everything they said). The newest base,
     * or null.
     */
    private static Path settleCompactions(Path dir) throws IOException {
        for (Path partial : files(dir, PARTIAL_BASE_NAME)) {
            Files.delete(partial);
        }
        List<Path> bases = files(dir, BASE_NAME);
        if (bases.isEmpty()) {
            return null;
        }
        Path base = bases.getLast();
        deleteReplaced(dir, number(base));
        return base;
    }

    /**
     * Deletes the segments numbered up to {@code upTo} and the bases before it, which base
     * {@code upTo} replaces. Not forced: should a crash bring them back, opening deletes them
     * again.
     */
    private static void deleteReplaced(Path dir, long upTo) throws IOException {
        for (Path p : files(dir, SEGMENT_NAME)) {
            if (number(p) <= upTo) {
                Files.delete(p);
            }
        }
        for (Path p : files(dir, BASE_NAME)) {
            if (number(p) < upTo) {
                Files.delete(p);
            }
        }
    }

    /** Makes the names in {@code dir} durable (a created, renamed or deleted file). */
    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /** Group commits so far: one force of the log each. */
    public long commits() {
        return commits;
    }

    /** Segment files in the directory now. */
    long segments() throws IOException {
        return files(dir, SEGMENT_NAME).size();
    }

    /** Base files in the directory now. */
    long bases() throws IOException {
        return files(dir, BASE_NAME).size();
    }

    /** What opening found, for the log. */
    public String recovery() {
        return recovery;
    }

    private record Replay(long records, long cutBytes) {
    }

    /**
     * Records lost in the middle of the log (not a torn tail: a flipped bit, a bad sector).
     * Every intact record is kept; but a connection whose lost record may have been its last
     * checkpoint cannot be resurrected safely (the peer was acknowledged bytes that an older
     * checkpoint does not hold), so only connections with a full state written after the
     * first loss and no gap in their send bytes are kept; the others are withheld, by name.
     */
    private static final class Damage {
        /** What was dropped where, for the recovery line. */
        final List<String> dropped = new ArrayList<>();
        /** Connections whose state was written again after the first loss. */
        final java.util.Set<String> refreshed = new java.util.HashSet<>();
        /** Connections with send bytes missing in the middle. */
        final java.util.Set<String> broken = new java.util.HashSet<>();

        boolean found() {
            return !dropped.isEmpty();
        }

        /** Notes a replayed record once damage was found. */
        void replayed(LogRecord r, StoreState state) {
            if (!found()) {
                return;
            }
            switch (r) {
                case LogRecord.State s -> refreshed.add(s.id());
                case LogRecord.Append a -> {
                    if (state.leavesGap(a)) {
                        broken.add(a.id());
                    }
                }
                default -> { }
            }
        }

        /** Withholds what cannot be vouched for and fences the leases; the text for the recovery line. */
        String settle(StoreState state) {
            if (!found()) {
                return "";
            }
            List<String> withheld = new ArrayList<>();
            for (String id : state.ids()) {
                if (!refreshed.contains(id) || broken.contains(id)) {
                    state.remove(id);
                    withheld.add(id);
                }
            }
            state.expireLeasesSkippingEpochs(LEASE_EPOCH_SKIP);
            return "; DAMAGED: dropped " + String.join(", ", dropped) + "; withheld " + withheld.size()
                    + " connections whose last checkpoint may have been lost " + withheld
                    + "; every lease expired, epochs moved on by " + LEASE_EPOCH_SKIP;
        }
    }

    /** How far lease epochs move on after records were lost (more grants than any log holds). */
    static final long LEASE_EPOCH_SKIP = 1_000_000;

    /**
     * Applies the records of one segment. A bad record whose length still fits is skipped
     * and noted as damage; one whose length does not, ends the segment (noted too), except
     * at the end of the last segment, where either is a torn tail (a crash mid-write, never
     * acknowledged) and is cut off.
     */
    private static Replay replay(Path segment, StoreState into, boolean last, Damage damage) throws IOException {
        byte[] all = Files.readAllBytes(segment);
        ByteBuffer b = ByteBuffer.wrap(all);
        long records = 0;
        while (b.remaining() > 0) {
            int at = b.position();
            String problem = null;
            LogRecord r = null;
            boolean skippable = false;
            if (b.remaining() < LogRecord.HEADER) {
                problem = "a header cut short";
            } else {
                int length = b.getInt();
                int crc = b.getInt();
                if (length < 1 || length > b.remaining()) {
                    problem = "a record of " + length + " bytes with " + b.remaining() + " left";
                } else {
                    skippable = true;
                    byte[] body = new byte[length];
                    b.get(body);
                    if (crc(body) != crc) {
                        problem = "a CRC mismatch";
                    } else {
                        try {
                            r = LogRecord.decode(body);
                        } catch (IOException e) {
                            problem = "an unreadable record (" + e.getMessage() + ")";
                        }
                    }
                }
            }
            if (problem != null) {
                boolean tornTail = last && (!skippable || !validRecordAt(all, b.position()));
                if (tornTail) {
                    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
                        ch.truncate(at); // a crash mid-write: the tail was never acknowledged
                        ch.force(true);
                    }
                    return new Replay(records, all.length - at);
                }
                int end = skippable ? b.position() : all.length;
                damage.dropped.add((end - at) + " bytes at byte " + at + " of " + segment.getFileName() + " (" + problem + ")");
                b.position(end);
                continue;
            }
            damage.replayed(r, into);
            into.apply(r);
            records++;
        }
        return new Replay(records, 0);
    }

    /** Whether an intact record starts at {@code pos} (a bad one before it is damage, not a torn tail). */
    private static boolean validRecordAt(byte[] all, int pos) {
        if (all.length - pos < LogRecord.HEADER) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(all, pos, all.length - pos);
        int length = b.getInt();
        int crc = b.getInt();
        if (length < 1 || length > b.remaining()) {
            return false;
        }
        byte[] body = new byte[length];
        b.get(body);
        return crc(body) == crc;
    }

    private static int crc(byte[] body) {
        CRC32C c = new CRC32C();
        c.update(body);
        return (int) c.getValue();
    }

    /** The number of a segment or base file. */
    private static long number(Path file) {
        String n = file.getFileName().toString();
        return Long.parseLong(n.substring(n.indexOf('-') + 1, n.length() - ".log".length()));
    }

    private Path segmentPath(long number) {
        return dir.resolve(String.format("segment-%016d.log", number));
    }

    /** Base {@code number}: named {@code .log} once complete, {@code .tmp} while written. */
    private Path basePath(long number, String ending) {
        return dir.resolve(String.format("base-%016d", number) + ending);
    }

    // ------------------------------------------------------------------ API

    @Override
    public CompletableFuture<Void> putState(String connectionId, int vip, long epoch, byte[] state, long needsFrom,
                                            long needsTo) {
        return submit(new CheckpointWrite.State(connectionId, vip, epoch, state.clone(), needsFrom, needsTo));
    }

    @Override
    public CompletableFuture<Void> appendStream(String connectionId, int vip, long epoch, long offset, byte[] bytes) {
        return submit(new CheckpointWrite.Append(connectionId, vip, epoch, offset, bytes.clone()));
    }

    @Override
    public CompletableFuture<Void> trimStream(String connectionId, int vip, long epoch, long offset) {
        return submit(new CheckpointWrite.Trim(connectionId, vip, epoch, offset));
    }

    @Override
    public CompletableFuture<Void> delete(String connectionId, int vip, long epoch) {
        return submit(new CheckpointWrite.Delete(connectionId, vip, epoch));
    }

    /**
     * Keeps the arrays of {@code writes} as they are, without the copy a single write makes
     * (the caller gives them up); all are queued at once, so they share a group commit.
     */
    @Override
    public CompletableFuture<Void> write(List<CheckpointWrite> writes) {
        CompletableFuture<?>[] all = new CompletableFuture<?>[writes.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = submit(writes.get(i));
        }
        return CompletableFuture.allOf(all);
    }

    /** Queues {@code w} for the writer, its arrays as they are. */
    private CompletableFuture<Void> submit(CheckpointWrite w) {
        LogRecord r = switch (w) {
            case CheckpointWrite.State x -> new LogRecord.State(x.connectionId(), x.vip(), x.epoch(), x.state());
            case CheckpointWrite.Append x -> new LogRecord.Append(x.connectionId(), x.vip(), x.epoch(), x.offset(), x.bytes());
            case CheckpointWrite.Trim x -> new LogRecord.Trim(x.connectionId(), x.vip(), x.epoch(), x.offset());
            case CheckpointWrite.Delete x -> new LogRecord.Delete(x.connectionId(), x.vip(), x.epoch());
        };
        StreamNeed need = w instanceof CheckpointWrite.State x && x.needsTo() > x.needsFrom()
                ? new StreamNeed(x.needsFrom(), x.needsTo()) : null;
        return enqueue(new Pending(r, null, need, new CompletableFuture<>())).thenApply(x -> null);
    }

    @Override
    public Optional<Checkpoint> read(String connectionId) {
        return cache.get(connectionId, id -> {
            synchronized (state) {
                return state.read(id);
            }
        });
    }

    @Override
    public List<String> connectionsOf(int vip) {
        synchronized (state) {
            return state.connectionsOf(vip);
        }
    }

    @Override
    public Lease acquire(int vip, String owner, long ttlMs) {
        return lease(new LeaseRequest(vip, owner, ttlMs, false, null));
    }

    @Override
    public Lease acquireFresh(int vip, String owner, long ttlMs) {
        return lease(new LeaseRequest(vip, owner, ttlMs, true, null));
    }

    @Override
    public Lease handOver(int vip, String owner, String successor, long ttlMs) {
        return lease(new LeaseRequest(vip, owner, ttlMs, false, successor));
    }

    private Lease lease(LeaseRequest request) {
        if (request.ttlMs() < 1) {
            throw new IllegalArgumentException("a lease lasts at least 1 ms, got " + request.ttlMs());
        }
        // Decided by the writer, in log order, so that two acquirers never both win.
        CompletableFuture<Object> done = enqueue(new Pending(null, request, null, new CompletableFuture<>()));
        try {
            return (Lease) done.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    @Override
    public Optional<Lease> lease(int vip) {
        synchronized (state) {
            return state.lease(vip);
        }
    }

    private CompletableFuture<Object> enqueue(Pending p) {
        if (closed) {
            p.done().completeExceptionally(new IllegalStateException("the checkpoint store is closed"));
        } else if (broken != null) {
            p.done().completeExceptionally(brokenError());
        } else {
            queue.add(p);
        }
        return p.done();
    }

    // --------------------------------------------------------------- writer

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>();
        while (!closed || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                if (broken != null) {
                    IllegalStateException refused = brokenError(); // queued before the failure was known
                    batch.forEach(p -> p.done().completeExceptionally(refused));
                    continue;
                }
                commit(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException e) {
                if (e instanceof IOException io && broken == null) {
                    broken = io;
                }
                for (Pending p : batch) {
                    p.done().completeExceptionally(new IllegalStateException("the checkpoint store could not write: " + e, e));
                }
            } finally {
                batch.clear();
            }
        }
    }

    /** Checks, writes and forces a batch; completes each write once it is durable. */
    private void commit(List<Pending> batch) throws IOException {
        List<Pending> accepted = new ArrayList<>(batch.size());
        List<ByteBuffer> out = new ArrayList<>(batch.size());
        synchronized (state) {
            long now = clock.getAsLong();
            for (Pending p : batch) {
                LogRecord r;
                try {
                    r = p.lease() != null ? (p.lease().successor() != null
                            ? state.handOver(p.lease().vip(), p.lease().owner(), p.lease().successor(), p.lease().ttlMs(), now)
                            : state.grant(p.lease().vip(), p.lease().owner(), p.lease().ttlMs(), p.lease().fresh(), now)) : p.record();
                    state.check(r, now);
                    if (p.need() != null) {
                        state.checkKeeps(idOf(r), p.need().from(), p.need().to());
                    }
                } catch (RuntimeException refused) {
                    p.done().completeExceptionally(refused);
                    continue;
                }
                state.apply(r);
                cache.invalidate(idOf(r));
                accepted.add(new Pending(r, p.lease(), null, p.done()));
                byte[] head = r.head();
                byte[] payload = r.payload(); // written as it is: a checkpoint's send bytes are not copied again
                out.add(header(head, payload));
                out.add(ByteBuffer.wrap(head));
                if (payload.length > 0) {
                    out.add(ByteBuffer.wrap(payload));
                }
            }
        }
        long bytes = 0;
        for (ByteBuffer b : out) {
            bytes += b.remaining();
        }
        ByteBuffer[] array = out.toArray(ByteBuffer[]::new);
        while (remaining(array) > 0) {
            segment.write(array);
        }
        segment.force(false);
        commits++;
        logBytes += bytes;
        for (Pending p : accepted) {
            p.done().complete(p.record() instanceof LogRecord.LeaseGranted g ? g.lease() : null);
        }
        maybeRollOrCompact();
    }

    private IllegalStateException brokenError() {
        return new IllegalStateException("the checkpoint store refuses writes since writing its log in " + dir + " failed ("
                + broken + "); restart it: reopening keeps every durable record");
    }

    private static long remaining(ByteBuffer[] buffers) {
        long n = 0;
        for (ByteBuffer b : buffers) {
            n += b.remaining();
        }
        return n;
    }

    private static String idOf(LogRecord r) {
        return switch (r) {
            case LogRecord.State s -> s.id();
            case LogRecord.Append a -> a.id();
            case LogRecord.Trim t -> t.id();
            case LogRecord.Delete d -> d.id();
            case LogRecord.LeaseGranted l -> "";
        };
    }

    /** The header of a record whose body is {@code head} then {@code payload}: its length and CRC (written before it). */
    private static ByteBuffer header(byte[] head, byte[] payload) {
        CRC32C c = new CRC32C();
        c.update(head);
        c.update(payload);
        return ByteBuffer.allocate(LogRecord.HEADER).putInt(head.length + payload.length).putInt((int) c.getValue()).flip();
    }

    private static ByteBuffer frame(LogRecord r) {
        byte[] head = r.head();
        byte[] payload = r.payload();
        ByteBuffer b = ByteBuffer.allocate(LogRecord.HEADER + head.length + payload.length);
        b.put(header(head, payload)).put(head).put(payload).flip();
        return b;
    }

    /**
     * After a commit: starts a compaction when the segments written since the last one hold
     * much more than the live state (and none is running), or starts a new segment when this
     * one is full.
     */
    private void maybeRollOrCompact() throws IOException {
        long live;
        synchronized (state) {
            live = state.liveBytes();
        }
        if (logBytes > Math.max(segmentBytes, 4 * live) && compaction.isDone()) {
            long upTo = segmentNumber;
            List<LogRecord> snapshot = rollForCompaction();
            compaction = CompletableFuture.runAsync(() -> {
                try {
                    writeBase(upTo, snapshot);
                    compactionFailure = null;
                } catch (IOException e) {
                    compactionFailure = e;
                    System.err.println("checkpoint store in " + dir + ": compacting the log failed (" + e + "); nothing"
                            + " is lost, the segments stay and the next compaction tries again; check the disk");
                    throw new UncheckedIOException(e);
                }
            }, compactor);
        } else if (segment.size() > segmentBytes) {
            rollSegment();
        }
    }

    /** Closes the segment being appended to and starts the next one. */
    private void rollSegment() throws IOException {
        segment.close();
        segment = FileChannel.open(segmentPath(++segmentNumber), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /** The live state as of the end of this segment, and a fresh segment started after it (the writer's thread). */
    private List<LogRecord> rollForCompaction() throws IOException {
        List<LogRecord> snapshot;
        synchronized (state) {
            snapshot = state.snapshot();
        }
        rollSegment();
        logBytes = 0;
        return snapshot;
    }

    /** Compacts the log at once (on open, after damage, before the writer starts). */
    private void compactNow() throws IOException {
        long upTo = segmentNumber;
        writeBase(upTo, rollForCompaction());
    }

    /**
     * Writes {@code snapshot} (the live state as of the end of segment {@code upTo}) as base
     * {@code upTo}: into a partial file, forced, then named, the name forced, and only then
     * the segments and bases it replaces deleted. A crash at any point leaves either the old
     * files or the base (see {@link #settleCompactions}). Off the writer's thread, so that
     * commits go on meanwhile, except on open.
     */
    private void writeBase(long upTo, List<LogRecord> snapshot) throws IOException {
        Path partial = basePath(upTo, ".tmp");
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (LogRecord r : snapshot) {
                ByteBuffer b = frame(r);
                while (b.hasRemaining()) {
                    out.write(b);
                }
            }
            out.force(true);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException again) {
                e.addSuppressed(again); // deleted on the next open
            }
            throw e;
        }
        Files.move(partial, basePath(upTo, ".log"), StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(dir);
        deleteReplaced(dir, upTo);
        compactions++;
    }

    /** Waits for the compaction running, if any, to end, failed or not (tests: see {@link #compactionFailure}). */
    void awaitCompaction() {
        compaction.exceptionally(e -> null).join();
    }

    /** Compactions done so far. */
    long compactions() {
        return compactions;
    }

    /** Why the last compaction failed (the log kept every segment; the next one tries again), or null. */
    public IOException compactionFailure() {
        return compactionFailure;
    }

    @Override
    public void close() {
        closed = true;
        try {
            writer.join(10_000);
            compactor.shutdown(); // a compaction running finishes: what it deletes is in its base
            compactor.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            segment.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException("closing the checkpoint store in " + dir, e);
        }
    }
}
