package dev.handoff.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Files of seeded random bytes, their SHA-256, and cleanup: for the demo, benchmarks and tests. */
public final class RandomFiles {
    private RandomFiles() {
    }

    /** Writes {@code size} random bytes seeded by {@code seed} to {@code path}; returns it. */
    public static Path write(Path path, long size, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(path)) {
            for (long done = 0; done < size; done += buf.length) {
                r.nextBytes(buf);
                out.write(buf, 0, (int) Math.min(buf.length, size - done));
            }
        }
        return path;
    }

    /** SHA-256 of a file, in hex. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /** Deletes a directory and everything in it. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
