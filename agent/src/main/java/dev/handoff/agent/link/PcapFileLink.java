package dev.handoff.agent.link;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Records every frame sent and received into a classic .pcap file (microsecond
 * timestamps, LINKTYPE_ETHERNET) that Wireshark and tcpdump open.
 */
public final class PcapFileLink extends LinkDecorator {
    /** pcap magic for microsecond timestamps, written little-endian. */
    private static final int MAGIC = 0xa1b2c3d4;
    /** LINKTYPE_ETHERNET. */
    private static final int LINKTYPE_ETHERNET = 1;
    /** Longest frame recorded in full. */
    private static final int SNAPLEN = 65535;

    /** The file being written. */
    private final OutputStream out;
    /** Where the file is, for messages. */
    private final Path path;
    /** Per-record header, reused. */
    private final ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);

    /** Wraps {@code inner}, recording into {@code path} (created or truncated). */
    public PcapFileLink(PacketLink inner, Path path) {
        super(inner);
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

    private synchronized void write(byte[] frame, int off, int len) {
        long micros = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
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
    public void send(byte[] frame, int off, int len) {
        write(frame, off, len);
        inner.send(frame, off, len);
    }

    @Override
    public void receive(FrameReceiver receiver) {
        inner.receive((buf, off, len) -> {
            write(buf, off, len);
            receiver.frame(buf, off, len);
        });
    }

    @Override
    public void close() {
        try {
            synchronized (this) {
                out.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("closing the capture file " + path, e);
        } finally {
            inner.close();
        }
    }
}
