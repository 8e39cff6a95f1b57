package dev.handoff.agent.ici;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Integrity of connection state between agents and in the store (issue "Security", paper
 * §7): an HMAC-SHA256 with the cluster's ICI key, which only agents hold, over what the state
 * is for (its purpose, e.g. the connection it belongs to) and its bytes. Whoever lacks the key
 * (an operator, a reader, the store, anyone on the LAN) can neither forge an ICI nor alter
 * one, nor pass one connection's state off as another's. With {@code --insecure} nothing is
 * sealed and nothing checked.
 */
public final class IciSeal {
    /** Length of a key and of a seal, bytes. */
    public static final int BYTES = 32;
    /** The JCA name of the MAC. */
    private static final String ALGORITHM = "HmacSHA256";

    /** The key, or null when sealing is off. */
    private final SecretKeySpec key;
    /** One MAC per thread (Mac objects are not thread-safe; creating one costs a provider lookup). */
    private final ThreadLocal<Mac> macs;

    private IciSeal(byte[] key) {
        this.key = key == null ? null : new SecretKeySpec(key, ALGORITHM);
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /** Seals with {@code key} (32 bytes). */
    public static IciSeal withKey(byte[] key) {
        if (key.length != BYTES) {
            throw new IllegalArgumentException("an ICI key has " + BYTES + " bytes, got " + key.length);
        }
        return new IciSeal(key.clone());
    }

    /** Seals nothing and accepts everything (--insecure). */
    public static IciSeal none() {
        return new IciSeal(null);
    }

    /**
     * The key in {@code file}: 64 hex digits, as {@code handoff certs init} writes it;
     * IllegalArgumentException naming the file and the fix otherwise.
     */
    public static IciSeal load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("--ici-key " + file + " cannot be read (" + e + "): it is the ici.key"
                    + " `handoff certs init DIR` made; give the same file to every agent of the cluster", e);
        }
        if (!text.matches("[0-9a-fA-F]{" + 2 * BYTES + "}")) {
            throw new IllegalArgumentException("--ici-key " + file + " must hold " + 2 * BYTES + " hex digits (a "
                    + BYTES + "-byte key), as `handoff certs init` writes it");
        }
        return withKey(HexFormat.of().parseHex(text));
    }

    /** Writes a new random key to {@code file}, readable by its owner only. */
    public static void generate(Path file) throws IOException {
        byte[] k = new byte[BYTES];
        new java.security.SecureRandom().nextBytes(k);
        Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, HexFormat.of().formatHex(k) + "\n", StandardCharsets.US_ASCII);
    }

    /** The seal of {@code bytes} for {@code purpose} (empty when sealing is off). */
    public ByteString seal(String purpose, ByteString bytes) {
        if (key == null) {
            return ByteString.EMPTY;
        }
        return ByteString.copyFrom(mac(purpose, bytes));
    }

    /**
     * Checks that {@code seal} is the seal of {@code bytes} for {@code purpose}; InvalidIciException
     * (field "seal") saying why not. Compares in constant time.
     */
    public void check(String purpose, ByteString bytes, ByteString seal) throws InvalidIciException {
        if (key == null) {
            return;
        }
        if (seal.isEmpty()) {
            throw new InvalidIciException("seal", "missing: this agent takes only ICIs sealed with the cluster's ICI key"
                    + " (the sender runs --insecure or without --ici-key)");
        }
        if (!MessageDigest.isEqual(mac(purpose, bytes), seal.toByteArray())) {
            throw new InvalidIciException("seal", "does not match (" + purpose + "): not sealed with this cluster's ICI"
                    + " key, altered after sealing, or the state of another connection");
        }
    }

    private byte[] mac(String purpose, ByteString bytes) {
        Mac m = macs.get();
        m.update(purpose.getBytes(StandardCharsets.UTF_8));
        m.update((byte) 0);
        try {
            // The ByteString's own arrays, not read-only views: a MAC copies those in 4 KB
            // chunks, and a 4 MB ICI or checkpoint piece is sealed on an event loop.
            UnsafeByteOperations.unsafeWriteTo(bytes, new MacOutput(m));
        } catch (IOException e) {
            throw new IllegalStateException("a MAC cannot fail to take bytes: " + e, e);
        }
        return m.doFinal();
    }

    /** Feeds what a ByteString writes into a MAC, without copying. */
    private static final class MacOutput extends ByteOutput {
        /** The MAC fed. */
        private final Mac mac;

        MacOutput(Mac mac) {
            this.mac = mac;
        }

        @Override
        public void write(byte value) {
            mac.update(value);
        }

        @Override
        public void write(byte[] value, int offset, int length) {
            mac.update(value, offset, length);
        }

        @Override
        public void writeLazy(byte[] value, int offset, int length) {
            mac.update(value, offset, length);
        }

        @Override
        public void write(ByteBuffer value) {
            mac.update(value);
        }

        @Override
        public void writeLazy(ByteBuffer value) {
            mac.update(value);
        }
    }

    private Mac newMac() {
        try {
            Mac m = Mac.getInstance(ALGORITHM);
            if (key != null) {
                m.init(key);
            }
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no " + ALGORITHM + ": " + e.getMessage(), e);
        }
    }
}
