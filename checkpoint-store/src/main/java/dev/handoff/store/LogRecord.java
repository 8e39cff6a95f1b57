package dev.handoff.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One change to the store, as written to a segment file: {@code [u32 body length][u32
 * CRC-32C of the body][body]}, the body starting with its type byte. Every record names the
 * VIP and epoch it was written under, so that replay applies exactly what was accepted.
 */
sealed interface LogRecord {
    /** Header bytes before the body. */
    int HEADER = 8;

    /** A connection's state replaced. */
    record State(String id, int vip, long epoch, byte[] state) implements LogRecord {
    }

    /** Send bytes appended at a stream offset. */
    record Append(String id, int vip, long epoch, long offset, byte[] bytes) implements LogRecord {
    }

    /** Send bytes below an offset dropped. */
    record Trim(String id, int vip, long epoch, long offset) implements LogRecord {
    }

    /** A connection forgotten. */
    record Delete(String id, int vip, long epoch) implements LogRecord {
    }

    /** A lease granted or renewed. */
    record LeaseGranted(Lease lease) implements LogRecord {
    }

    /** The VIP and epoch a connection record was written under (leases: their own). */
    default int vip() {
        return switch (this) {
            case State s -> s.vip();
            case Append a -> a.vip();
            case Trim t -> t.vip();
            case Delete d -> d.vip();
            case LeaseGranted l -> l.lease().vip();
        };
    }

    /** The bytes a record carries at the end of its body (a state's, an append's), written as they are. */
    default byte[] payload() {
        return switch (this) {
            case State s -> s.state();
            case Append a -> a.bytes();
            default -> new byte[0];
        };
    }

    /** The body before its {@link #payload()}: type, connection, offset, the payload's length. */
    default byte[] head() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            switch (this) {
                case State s -> {
                    out.writeByte(1);
                    connection(out, s.id(), s.vip(), s.epoch());
                    out.writeInt(s.state().length);
                }
                case Append a -> {
                    out.writeByte(2);
                    connection(out, a.id(), a.vip(), a.epoch());
                    out.writeLong(a.offset());
                    out.writeInt(a.bytes().length);
                }
                case Trim t -> {
                    out.writeByte(3);
                    connection(out, t.id(), t.vip(), t.epoch());
                    out.writeLong(t.offset());
                }
                case Delete d -> {
                    out.writeByte(4);
                    connection(out, d.id(), d.vip(), d.epoch());
                }
                case LeaseGranted l -> {
                    out.writeByte(5);
                    out.writeInt(l.lease().vip());
                    out.writeUTF(l.lease().owner());
                    out.writeLong(l.lease().epoch());
                    out.writeLong(l.lease().expiresAt());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("encoding a record in memory", e);
        }
        return bytes.toByteArray();
    }

    /** The record a checked body holds; IOException when the body does not parse. */
    static LogRecord decode(byte[] body) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
        int type = in.readUnsignedByte();
        LogRecord r = switch (type) {
            case 1 -> new State(in.readUTF(), in.readInt(), in.readLong(), blob(in));
            case 2 -> new Append(in.readUTF(), in.readInt(), in.readLong(), in.readLong(), blob(in));
            case 3 -> new Trim(in.readUTF(), in.readInt(), in.readLong(), in.readLong());
            case 4 -> new Delete(in.readUTF(), in.readInt(), in.readLong());
            case 5 -> new LeaseGranted(new Lease(in.readInt(), in.readUTF(), in.readLong(), in.readLong()));
            default -> throw new IOException("unknown record type " + type);
        };
        if (in.available() != 0) {
            throw new IOException(in.available() + " bytes after a record of type " + type);
        }
        return r;
    }

    private static void connection(DataOutputStream out, String id, int vip, long epoch) throws IOException {
        out.writeUTF(id);
        out.writeInt(vip);
        out.writeLong(epoch);
    }

    private static byte[] blob(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("blob of " + n + " bytes, " + in.available() + " left");
        }
        return in.readNBytes(n);
    }
}
