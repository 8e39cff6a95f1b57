package dev.handoff.agent.link;

import dev.handoff.agent.wire.Ipv4Address;
import java.util.Collection;
import java.util.stream.Collectors;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;

/**
 * The real network through libpcap (pcap4j 1.8.2): immediate mode, direction IN, a
 * 32 MB capture buffer, a BPF filter for the owned addresses and ARP. Frames are
 * delivered as raw bytes from {@code pcap_dispatch} (a batch per call, on the calling
 * thread: no thread switch per frame); pcap4j {@code Packet} objects are never built.
 * {@link #wakeup} is {@code pcap_breakloop}, which wakes a blocked dispatch on
 * libpcap 1.10 even on an idle link.
 */
public final class PcapLink implements PacketLink {
    /** Capture buffer: DESIGN.md asks for 16 MB or more. */
    private static final int BUFFER_BYTES = 32 << 20;
    /** Longest frame captured in full. */
    private static final int SNAPLEN = 65_535;
    /** The handle's read timeout (libpcap's to_ms). */
    private static final int TIMEOUT_MILLIS = 100;

    /** Interface name. */
    private final String iface;
    /** The interface's MAC. */
    private final long mac;
    /** The capture and injection handle. */
    private final PcapHandle handle;
    /** Set once closed. */
    private volatile boolean closed;
    /** Breaks a dispatch when the caller's wait is over (armed for every receive). */
    private final LinkAlarm alarm = new LinkAlarm(this);

    private PcapLink(String iface, long mac, PcapHandle handle) {
        this.iface = iface;
        this.mac = mac;
        this.handle = handle;
    }

    /**
     * Opens {@code iface} capturing ARP and IPv4 to {@code addresses} (the VIPs; an empty
     * collection captures all IPv4, for agents that accept any address of the subnet).
     * Throws LinkException with what to do when libpcap, the interface or the
     * privileges are missing.
     */
    public static PcapLink open(String iface, Collection<Integer> addresses) {
        return open(iface, addresses, 0, 1);
    }

    /**
     * Opens the capture of event loop {@code loop} of {@code loops}: with several loops, each
     * has its own, whose filter also takes only its loop's frames ({@link FlowFilter}).
     */
    public static PcapLink open(String iface, Collection<Integer> addresses, int loop, int loops) {
        long mac = Interfaces.mac(iface);
        PcapHandle handle;
        try {
            PcapNetworkInterface nif = org.pcap4j.core.Pcaps.getDevByName(iface);
            if (nif == null) {
                throw new LinkException("libpcap does not see interface '" + iface + "': check `ip link` in this namespace");
            }
            handle = new PcapHandle.Builder(iface)
                    .snaplen(SNAPLEN)
                    .promiscuousMode(PcapNetworkInterface.PromiscuousMode.PROMISCUOUS)
                    .immediateMode(true)
                    .bufferSize(BUFFER_BYTES)
                    .timeoutMillis(TIMEOUT_MILLIS)
                    .direction(PcapHandle.PcapDirection.IN)
                    .build();
        } catch (PcapNativeException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("ermission") || m.contains("not permitted")) {
                throw new LinkException("no permission to capture on " + iface
                        + ": run as root or grant CAP_NET_RAW and CAP_NET_ADMIN to java", e);
            }
            throw new LinkException("cannot open " + iface + " with libpcap: " + m, e);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new LinkException("libpcap is not installed: apt-get install libpcap0.8 (" + e.getMessage() + ")", e);
        }
        try {
            String filter = loops > 1 ? "(" + filter(addresses) + ") and " + FlowFilter.pcapExpression(loop, loops) : filter(addresses);
            handle.setFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE);
        } catch (PcapNativeException | NotOpenException e) {
            handle.close();
            throw new LinkException("cannot set the capture filter on " + iface + ": " + e.getMessage(), e);
        }
        return new PcapLink(iface, mac, handle);
    }

    /** BPF for ARP plus IPv4 to the given addresses. */
    static String filter(Collection<Integer> addresses) {
        if (addresses.isEmpty()) {
            return "arp or ip";
        }
        return "arp or (ip and (" + addresses.stream().map(a -> "dst host " + Ipv4Address.format(a))
                .collect(Collectors.joining(" or ")) + "))";
    }


    @Override
    public void send(byte[] frame, int off, int len) {
        byte[] data = frame;
        if (off != 0) {
            data = java.util.Arrays.copyOfRange(frame, off, off + len);
        }
        try {
            handle.sendPacket(data, len);
        } catch (PcapNativeException | NotOpenException e) {
            if (!closed) {
                throw new LinkException("sending on " + iface + " failed: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void receive(FrameReceiver receiver, long waitMillis) {
        if (closed) {
            return;
        }
        // Armed for every wait, not only those shorter than the handle's timeout: a dispatch on an
        // idle handle is not to be trusted to return on that timeout (LinuxPeerTest's zero-window
        // test failed 5 times in 6 with the alarm armed only below it).
        alarm.arm(System.nanoTime() + Math.clamp(waitMillis, 0, MAX_WAIT_MILLIS) * 1_000_000);
        try {
            handle.dispatch(-1, (org.pcap4j.core.RawPacketListener) frame -> receiver.frame(frame, 0, frame.length));
        } catch (InterruptedException e) {
            // pcap_breakloop: a wakeup, not an interruption of this thread.
        } catch (PcapNativeException | NotOpenException e) {
            if (!closed) {
                throw new LinkException("capturing on " + iface + " failed: " + e.getMessage(), e);
            }
        } finally {
            alarm.disarm();
        }
    }

    @Override
    public void wakeup() {
        try {
            handle.breakLoop();
        } catch (NotOpenException e) {
            // closed: nothing to wake
        }
    }

    @Override
    public long mac() {
        return mac;
    }

    @Override
    public String name() {
        return iface;
    }

    @Override
    public void close() {
        closed = true;
        alarm.stop();
        wakeup();
        handle.close();
    }
}
