package dev.handoff.agent.link;

import java.nio.file.Path;

/** Records every frame sent and received into a .pcap file (see {@link PcapWriter}). */
public final class PcapFileLink extends TapLink {
    /** The file being written. */
    private final PcapWriter writer;

    /** Wraps {@code inner}, recording into {@code path} (created or truncated). */
    public PcapFileLink(PacketLink inner, Path path) {
        this(inner, new PcapWriter(path));
    }

    private PcapFileLink(PacketLink inner, PcapWriter writer) {
        super(inner, writer);
        this.writer = writer;
    }

    @Override
    public void close() {
        try {
            writer.close();
        } finally {
            inner.close();
        }
    }
}
