package dev.handoff.itest;

import dev.handoff.cli.HandoffProcess;
import dev.handoff.cli.Topology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.handoff.agent.audit.TransparencyAudit;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The transparency audit ({@code handoff audit}) running in the peer's namespace for one
 * test: everything the peer sees is checked; {@link #finish} stops it and returns the report.
 */
public final class PeerAudit implements AutoCloseable {
    /** The capture process. */
    private final HandoffProcess process;
    /** Where it writes its report. */
    private final Path report;

    private PeerAudit(HandoffProcess process, Path report) {
        this.process = process;
        this.report = report;
    }

    /** Starts auditing the VIP's connections on the peer's interface. */
    public static PeerAudit start(Topology net, Path dir) throws IOException, InterruptedException {
        Path report = Files.createTempFile(dir, "audit-", ".txt");
        return new PeerAudit(HandoffProcess.launch(net.peer(), dir, "auditing", "audit", "--interface", Topology.IFACE,
                "--ours", Topology.VIP, "--report", report.toString()), report);
    }

    /** Stops the capture and returns the report. */
    public Report finish() throws IOException, InterruptedException {
        int exit = process.stop(); // 143 after SIGTERM: the JVM reports the signal, the report is written first
        if (!Files.readString(report).contains("violations=")) {
            throw new IllegalStateException("the audit failed (exit " + exit + "):\n" + process.log());
        }
        return new Report(Files.readString(report));
    }

    @Override
    public void close() {
        process.close();
    }

    /** An audit report: totals, one line per connection, the violations. @param text the report */
    public record Report(String text) {
        /** The totals: every line but the per-connection and violation lines. */
        public String summary() {
            return text.lines().filter(l -> !l.startsWith("connection ") && !l.startsWith("violation "))
                    .reduce("", (a, b) -> a + " " + b).strip();
        }

        /** A total from the summary, e.g. {@code violations}. */
        public long total(String name) {
            Matcher m = Pattern.compile("\\b" + name + "=(\\d+)").matcher(summary());
            if (!m.find()) {
                throw new IllegalStateException("no " + name + " in the audit report:\n" + text);
            }
            return Long.parseLong(m.group(1));
        }

        /**
         * For each sender switch of every connection, the peer's outage: ms from the old
         * sender's last segment to the new sender's first new data, in order.
         */
        public List<Long> switchGapsMs() {
            return TransparencyAudit.switchGapsMs(text);
        }

        /** The report is clean: no violation, no frame lost by the capture, at least one connection audited. */
        public boolean clean() {
            return total("violations") == 0 && total("captureDropped") == 0 && total("connections") > 0;
        }
    }
}
