package dev.handoff.cli;

import dev.handoff.agent.audit.TransparencyAudit;
import dev.handoff.agent.link.PcapWriter;
import dev.handoff.agent.wire.Ipv4Address;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapStat;
import org.pcap4j.core.RawPacketListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code handoff audit}: the transparency audit on a live interface. Run it where the peer
 * is (its namespace); it captures every TCP frame in and out, checks them with
 * {@link TransparencyAudit}, and on SIGTERM writes its report, with the frames the capture
 * lost (an audit that lost frames says so: its verdict is incomplete).
 */
@Command(name = "audit", mixinStandardHelpOptions = true, hidden = true,
        description = {"Captures on an interface (the peer's) and checks that moved connections look like one ordinary",
            "TCP endpoint (DESIGN.md \"Transparency audit\"). Writes the report on SIGTERM/SIGINT.",
            "Example: handoff audit --interface eth0 --ours 10.77.0.100 --report audit.txt"})
final class AuditCommand implements Callable<Integer> {
    /** Longest frame captured whole: GSO frames on a veth reach 64 KB and more. */
    private static final int SNAPLEN = 262144;
    /** Kernel capture buffer. */
    private static final int BUFFER_BYTES = 256 << 20;

    @Option(names = "--interface", required = true, paramLabel = "IFACE", description = "Interface to capture on (the peer's).")
    String iface;

    @Option(names = "--ours", required = true, split = ",", paramLabel = "ADDR",
            description = "Addresses of our side (the VIPs), comma-separated; their connections are audited.")
    List<String> ours;

    @Option(names = "--report", required = true, paramLabel = "FILE", description = "Where to write the report.")
    Path report;

    @Option(names = "--pcap", paramLabel = "FILE", description = "Also write every captured frame to this .pcap file.")
    Path pcap;

    @Override
    public Integer call() throws Exception {
        Set<Integer> addresses = new HashSet<>();
        try {
            for (String a : ours) {
                addresses.add(Ipv4Address.parse(a.strip()));
            }
        } catch (IllegalArgumentException e) {
            System.err.println("handoff audit: --ours: " + e.getMessage());
            return 2;
        }
        PcapHandle handle;
        try {
            if (org.pcap4j.core.Pcaps.getDevByName(iface) == null) {
                System.err.println("handoff audit: no interface '" + iface + "' here (check `ip link`)");
                return 2;
            }
            handle = new PcapHandle.Builder(iface).snaplen(SNAPLEN)
                    .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS).immediateMode(true)
                    .bufferSize(BUFFER_BYTES).timeoutMillis(100).direction(PcapHandle.PcapDirection.INOUT).build();
            handle.setFilter("tcp", BpfProgram.BpfCompileMode.OPTIMIZE);
        } catch (PcapNativeException | NotOpenException e) {
            System.err.println("handoff audit: cannot capture on " + iface + ": " + e.getMessage() + " (run as root)");
            return 1;
        }
        TransparencyAudit audit = new TransparencyAudit(addresses::contains);
        PcapWriter writer = pcap == null ? null : new PcapWriter(pcap);
        CountDownLatch reported = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (reported.getCount() == 0) {
                return; // the capture ended on its own and its report is written
            }
            try {
                handle.breakLoop();
                reported.await(30, TimeUnit.SECONDS);
            } catch (NotOpenException | InterruptedException e) {
                System.err.println("handoff audit: stopping: " + e);
            }
        }, "audit-stop"));
        System.out.println("auditing " + ours + " on " + iface);
        System.out.flush();
        RawPacketListener listener = frame -> {
            audit.onFrame(frame, 0, frame.length);
            if (writer != null) {
                writer.frame(frame, 0, frame.length, capturedAt(handle));
            }
        };
        String ended = null; // why the capture ended on its own, e.g. the interface went away with its namespace
        try {
            handle.loop(-1, listener);
        } catch (InterruptedException e) {
            // breakLoop: the capture ends here
        } catch (PcapNativeException e) {
            ended = e.getMessage();
            System.err.println("handoff audit: the capture on " + iface + " ended: " + ended
                    + "; writing the report of what it saw");
        }
        try {
            String capture;
            long dropped;
            try {
                PcapStat stats = handle.getStats();
                dropped = stats.getNumPacketsDropped();
                capture = "captureReceived=" + stats.getNumPacketsReceived() + " captureDropped=" + dropped
                        + " interfaceDropped=" + stats.getNumPacketsDroppedByIf();
            } catch (PcapNativeException | NotOpenException e) {
                dropped = -1; // unknown: a report with it is never clean
                capture = "captureDropped=-1 captureStats=unknown (" + e.getMessage() + ")";
            }
            Files.writeString(report, audit.report() + capture + (ended == null ? "" : " captureEnded=" + ended) + "\n");
            System.out.println("audit: " + audit.violationCount() + " violations, capture dropped "
                    + (dropped < 0 ? "unknown" : dropped) + "; report in " + report);
        } catch (IOException e) {
            System.err.println("handoff audit: writing the report " + report + ": " + e);
            return 1;
        } finally {
            if (writer != null) {
                writer.close();
            }
            handle.close();
            reported.countDown();
        }
        if (ended != null) {
            return 1;
        }
        return 0;
    }

    /** The kernel's time of the frame the handle just captured, microseconds after the epoch. */
    private static long capturedAt(PcapHandle handle) {
        java.sql.Timestamp t = handle.getTimestamp();
        return t.getTime() / 1000 * 1_000_000 + t.getNanos() / 1000;
    }
}
