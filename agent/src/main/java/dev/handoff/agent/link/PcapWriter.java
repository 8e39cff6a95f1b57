package dev.handoff.agent.link;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Writes Ethernet frames into a classic .pcap file (microsecond timestamps,
 * LINKTYPE_ETHERNET) that Wireshark and tcpdump open. Thread-safe.
 */
public final class PcapWriter implements FrameReceiver, AutoCloseable {
    /** pcap magic for microsecond timestamps, written little-endian. */
    private static final int MAGIC = 0xa1b2c3d4;
    /** LINKTYPE_ETHERNET. */
    private static final int LINKTYPE_ETHERNET = 1;
    /** Longest frame the header announces (GSO frames may be longer and are written whole). */
    private static final int SNAPLEN = 262144;

    /** The file being written. */
    private final OutputStream out;
    /** Where the file is, for messages. */
    private final Path path;
    /** Per-record header, reused. */
    private final ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);

    /** Creates (or truncates) {@code path} and writes the file header; LinkException says what to check if it cannot. */
    public PcapWriter(Path path) {
        this.path = path;
        try {
            out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16);
            ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(MAGIC).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                    .putInt(SNAPLEN).putInt(LINKTYPE_ETHERNET);
            out.write(header.array());
        } catch (IOException e) {
            throw new LinkException("cannot write the capture file " + path + ": " + e.getMessage()
                    + " (check the directory exists and is writable)", e);
        }
    }

    /** Appends one frame, stamped now (the wall clock to the microsecond). */
    @Override
    public void frame(byte[] frame, int off, int len) {
        Instant now = Instant.now();
        frame(frame, off, len, now.getEpochSecond() * 1_000_000 + now.getNano() / 1000);
    }

    /** Appends one frame, stamped {@code micros} after the epoch (a capture's own timestamp). */
    public synchronized void frame(byte[] frame, int off, int len, long micros) {
        record.clear();
        record.putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000)).putInt(len).putInt(len);
        try {
            out.write(record.array());
            out.write(frame, off, len);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the capture file " + path, e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing the capture file " + path, e);
        }
    }
}
