package dev.handoff.agent.link;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.handoff.agent.wire.Checksum;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The real network through a raw AF_PACKET socket, called with Java's FFM API (no JNA,
 * no libpcap). The socket carries a {@code virtio_net_hdr} before every frame
 * ({@code PACKET_VNET_HDR}), so a TCP segment of up to 64 KB can be handed to the kernel
 * in one {@code send}: the kernel (or the peer's stack, on veth) splits it into MSS-sized
 * segments and completes the checksum, as a NIC with TSO would. Received frames whose
 * checksum the kernel left partial are completed here. {@link #wakeup} writes an eventfd
 * that {@code poll} watches beside the socket.
 */
@SuppressWarnings("restricted") // FFM downcalls: the launcher and tests enable native access
public final class AfPacketLink implements PacketLink {
    /** Linux constants (x86-64 and arm64 agree). */
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final short ETH_P_ALL_NETWORK_ORDER = (short) 0x0300; // htons(ETH_P_ALL = 3) on little-endian
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SO_ATTACH_FILTER = 26;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_VNET_HDR = 15;
    private static final int PACKET_IGNORE_OUTGOING = 23;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final short POLLIN = 1;
    /** Length of struct virtio_net_hdr. */
    public static final int VNET_HDR = 10;
    /** virtio_net_hdr flag: the checksum from csum_start must be completed. */
    private static final int F_NEEDS_CSUM = 1;
    /** virtio_net_hdr gso_type: TCP over IPv4. */
    private static final int GSO_TCPV4 = 1;
    /** Largest frame handled (a 64 KB GSO packet plus headers). */
    private static final int MAX_FRAME = 65_536 + 64;
    /** Frames received per {@link #receive} call at most. */
    private static final int BATCH = 64;
    /** Socket buffer size asked for, each way. */
    private static final int SOCKET_BUFFER = 32 << 20;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKET = libc("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = libc("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle BIND = libc("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle IF_NAMETOINDEX = libc("if_nametoindex", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SEND = libc("send", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = libc("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle POLL = libc("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EVENTFD = libc("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle WRITE = libc("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle READ = libc("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    // The same calls without errno: the JDK slices the capture segment on every captured call, an
    // allocation per frame that filled the agent's young generation. A call that fails is made
    // again with errno captured (send, poll, and a recv on a socket poll called readable), except
    // a recv that fails after some frames: the next receive learns why.
    private static final MethodHandle SEND_FAST = libcNoErrno("send", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV_FAST = libcNoErrno("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle POLL_FAST = libcNoErrno("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    /** Little-endian u16 as virtio_net_hdr carries it on x86-64 and arm64. */
    private static final ValueLayout.OfShort LE16 = JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static MethodHandle libc(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(function(name), fd, Linker.Option.captureCallState("errno"));
    }

    private static MethodHandle libcNoErrno(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(function(name), fd);
    }

    private static MemorySegment function(String name) {
        return LINKER.defaultLookup().find(name).orElseThrow(() -> new LinkException("libc has no " + name));
    }

    /** Interface name. */
    private final String iface;
    /** The interface's MAC. */
    private final long mac;
    /** The packet socket. */
    private final int fd;
    /** Wakes a blocked poll. */
    private final int eventFd;
    /** Native memory of this link. */
    private final Arena arena = Arena.ofShared();
    /** errno of the last call (receive side). */
    private final MemorySegment recvErrno = arena.allocate(CAPTURE);
    /** errno of the last call (send side). */
    private final MemorySegment sendErrno = arena.allocate(CAPTURE);
    /** errno of wakeup calls (any thread). */
    private final MemorySegment wakeErrno = arena.allocate(CAPTURE);
    /** Receive buffer (native). */
    private final MemorySegment recvBuf = arena.allocate(MAX_FRAME + VNET_HDR, 64);
    /** Send buffer (native). */
    private final MemorySegment sendBuf = arena.allocate(MAX_FRAME + VNET_HDR, 64);
    /** struct pollfd[2]: the socket and the eventfd. */
    private final MemorySegment pollFds = arena.allocate(16, 8);
    /** 8 bytes for eventfd reads and writes. */
    private final MemorySegment counter = arena.allocate(8, 8);
    /** 8 bytes for wakeup writes (any thread). */
    private final MemorySegment wakeValue = arena.allocate(8, 8);
    /** Frames are copied here for the parsers (which view byte arrays). */
    private final byte[] frame = new byte[MAX_FRAME + VNET_HDR];
    /** Set once closed. */
    private volatile boolean closed;

    private AfPacketLink(String iface, long mac, int fd, int eventFd) {
        this.iface = iface;
        this.mac = mac;
        this.fd = fd;
        this.eventFd = eventFd;
        wakeValue.set(JAVA_LONG, 0, 1L);
    }

    /** Opens a packet socket on {@code iface}; throws LinkException saying what to do when it cannot. */
    public static AfPacketLink open(String iface) {
        return open(iface, 0, 1);
    }

    /**
     * Opens the packet socket of event loop {@code loop} of {@code loops} on {@code iface}: with
     * several loops, each has its own socket, which takes only its loop's frames
     * ({@link FlowFilter}, attached before the socket is bound, so no other frame slips in).
     */
    public static AfPacketLink open(String iface, int loop, int loops) {
        long mac = Interfaces.mac(iface);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = a.allocate(CAPTURE);
            int ifindex = (int) IF_NAMETOINDEX.invokeExact(errno, a.allocateFrom(iface));
            if (ifindex == 0) {
                throw new LinkException("no interface '" + iface + "' here: check `ip link` in this namespace");
            }
            int fd = (int) SOCKET.invokeExact(errno, AF_PACKET, SOCK_RAW, 0); // protocol 0: nothing received before bind
            if (fd < 0) {
                int e = (int) ERRNO.get(errno, 0L);
                throw new LinkException("cannot open a packet socket (errno " + e + ")"
                        + (e == 1 ? ": run as root or give java CAP_NET_RAW" : ""));
            }
            setInt(a, errno, fd, SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
            setInt(a, errno, fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
            setInt(a, errno, fd, SOL_SOCKET, SO_RCVBUFFORCE, SOCKET_BUFFER, "SO_RCVBUFFORCE");
            setInt(a, errno, fd, SOL_SOCKET, SO_SNDBUFFORCE, SOCKET_BUFFER, "SO_SNDBUFFORCE");
            if (loops > 1) {
                attachFilter(a, errno, fd, FlowFilter.bpf(loop, loops));
            }
            MemorySegment sll = a.allocate(20, 4);
            sll.set(JAVA_SHORT, 0, (short) AF_PACKET);
            sll.set(JAVA_SHORT, 2, ETH_P_ALL_NETWORK_ORDER);
            sll.set(JAVA_INT, 4, ifindex);
            if ((int) BIND.invokeExact(errno, fd, sll, 20) != 0) {
                int e = (int) ERRNO.get(errno, 0L);
                int ignored = (int) CLOSE.invokeExact(errno, fd);
                throw new LinkException("cannot bind the packet socket to " + iface + " (errno " + e + ")");
            }
            int efd = (int) EVENTFD.invokeExact(errno, 0, EFD_NONBLOCK | EFD_CLOEXEC);
            if (efd < 0) {
                int ignored = (int) CLOSE.invokeExact(errno, fd);
                throw new LinkException("cannot create an eventfd (errno " + (int) ERRNO.get(errno, 0L) + ")");
            }
            return new AfPacketLink(iface, mac, fd, efd);
        } catch (LinkException e) {
            throw e;
        } catch (Throwable t) {
            throw new LinkException("cannot open a packet socket on " + iface + ": " + t, t);
        }
    }

    /** Attaches classic BPF {@code program} (struct sock_filter[]) to socket {@code fd}: struct sock_fprog {u16 len; ptr}. */
    private static void attachFilter(Arena a, MemorySegment errno, int fd, byte[] program) throws Throwable {
        MemorySegment code = a.allocate(program.length, 8);
        code.copyFrom(MemorySegment.ofArray(program));
        MemorySegment fprog = a.allocate(16, 8);
        fprog.set(JAVA_SHORT, 0, (short) (program.length / FlowFilter.INSTRUCTION_BYTES));
        fprog.set(ADDRESS, 8, code);
        if ((int) SETSOCKOPT.invokeExact(errno, fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 16) != 0) {
            int e = (int) ERRNO.get(errno, 0L);
            int ignored = (int) CLOSE.invokeExact(errno, fd);
            throw new LinkException("cannot attach the event loops' flow filter to the packet socket (errno " + e
                    + "): run the agent with --loops 1");
        }
    }

    private static void setInt(Arena a, MemorySegment errno, int fd, int level, int option, int value, String name)
            throws Throwable {
        MemorySegment v = a.allocateFrom(JAVA_INT, value);
        if ((int) SETSOCKOPT.invokeExact(errno, fd, level, option, v, 4) != 0) {
            int e = (int) ERRNO.get(errno, 0L);
            int ignored = (int) CLOSE.invokeExact(errno, fd);
            throw new LinkException("setsockopt " + name + " failed (errno " + e + ")"
                    + (e == 92 ? ": this kernel is too old for AF_PACKET offloads, use the pcap link" : ""));
        }
    }


    @Override
    public int maxTcpPayload() {
        return 65_535 - 20 - 60; // an IPv4 datagram's limit minus the IP and largest TCP header
    }

    @Override
    public boolean offloadsChecksum() {
        return true;
    }

    @Override
    public void send(byte[] frame, int off, int len) {
        transmit(0, 0, 0, 0, 0, 0, frame, off, len); // a zeroed virtio_net_hdr: no offloads
    }

    @Override
    public void sendTcp(byte[] frame, int off, int len, int l4Offset, int tcpHeaderLength, int gsoSize) {
        transmit(F_NEEDS_CSUM, gsoSize > 0 ? GSO_TCPV4 : 0, l4Offset + tcpHeaderLength, gsoSize, l4Offset,
                16, frame, off, len); // the checksum from the TCP header on, stored at its offset 16
    }

    /** Sends {@code frame} behind a virtio_net_hdr of these fields, written straight into the native buffer. */
    private synchronized void transmit(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset,
                                       byte[] frame, int off, int len) {
        if (closed) {
            return;
        }
        sendBuf.set(JAVA_BYTE, 0, (byte) flags);
        sendBuf.set(JAVA_BYTE, 1, (byte) gsoType);
        sendBuf.set(LE16, 2, (short) hdrLen);
        sendBuf.set(LE16, 4, (short) gsoSize);
        sendBuf.set(LE16, 6, (short) csumStart);
        sendBuf.set(LE16, 8, (short) csumOffset);
        MemorySegment.copy(frame, off, sendBuf, ValueLayout.JAVA_BYTE, VNET_HDR, len);
        try {
            long n = (long) SEND_FAST.invokeExact(fd, sendBuf, (long) (VNET_HDR + len), 0);
            while (n < 0) { // once more with errno captured, to learn why (nothing was sent)
                n = (long) SEND.invokeExact(sendErrno, fd, sendBuf, (long) (VNET_HDR + len), 0);
                if (n >= 0) {
                    return;
                }
                int e = (int) ERRNO.get(sendErrno, 0L);
                if (e == EINTR) {
                    continue;
                }
                if (e == EAGAIN || e == 105) { // ENOBUFS: the device queue is full; TCP will retransmit
                    return;
                }
                throw new LinkException("sending on " + iface + " failed (errno " + e + ")");
            }
        } catch (LinkException e) {
            throw e;
        } catch (Throwable t) {
            throw new LinkException("sending on " + iface + " failed: " + t, t);
        }
    }

    @Override
    public void receive(FrameReceiver receiver, long waitMillis) {
        if (closed) {
            return;
        }
        try {
            pollFds.set(JAVA_INT, 0, fd);
            pollFds.set(JAVA_SHORT, 4, POLLIN);
            pollFds.set(JAVA_SHORT, 6, (short) 0);
            pollFds.set(JAVA_INT, 8, eventFd);
            pollFds.set(JAVA_SHORT, 12, POLLIN);
            pollFds.set(JAVA_SHORT, 14, (short) 0);
            int timeout = (int) Math.clamp(waitMillis, 0, MAX_WAIT_MILLIS);
            int ready = (int) POLL_FAST.invokeExact(pollFds, 2L, timeout);
            if (ready < 0) { // once more, at once, with errno captured
                ready = (int) POLL.invokeExact(recvErrno, pollFds, 2L, 0);
            }
            if (ready < 0) {
                int e = (int) ERRNO.get(recvErrno, 0L);
                if (e == EINTR) {
                    return;
                }
                throw new LinkException("poll on " + iface + " failed (errno " + e + ")");
            }
            if ((pollFds.get(JAVA_SHORT, 14) & POLLIN) != 0) {
                long ignored = (long) READ.invokeExact(recvErrno, eventFd, counter, 8L); // consume the wakeup
            }
            if (pollFds.get(JAVA_SHORT, 6) == 0) {
                return; // nothing to read (a timeout or a wakeup): the socket is not asked
            }
            for (int i = 0; i < BATCH && !closed; i++) {
                long n = (long) RECV_FAST.invokeExact(fd, recvBuf, recvBuf.byteSize(), MSG_DONTWAIT);
                if (n < 0 && i > 0) {
                    return; // read empty, most likely: if not, the next receive finds out why
                }
                if (n < 0) { // readable, yet nothing: once more with errno captured
                    n = (long) RECV.invokeExact(recvErrno, fd, recvBuf, recvBuf.byteSize(), MSG_DONTWAIT);
                }
                if (n < 0) {
                    int e = (int) ERRNO.get(recvErrno, 0L);
                    if (e == EAGAIN || e == EINTR) {
                        return;
                    }
                    throw new LinkException("receiving on " + iface + " failed (errno " + e + ")");
                }
                if (n <= VNET_HDR) {
                    continue;
                }
                int len = (int) n;
                MemorySegment.copy(recvBuf, ValueLayout.JAVA_BYTE, 0, frame, 0, len);
                if ((frame[0] & F_NEEDS_CSUM) != 0) {
                    completeChecksum(len);
                }
                receiver.frame(frame, VNET_HDR, len - VNET_HDR);
            }
        } catch (LinkException e) {
            throw e;
        } catch (Throwable t) {
            throw new LinkException("receiving on " + iface + " failed: " + t, t);
        }
    }

    /** Completes a checksum the kernel left partial: from csum_start, stored at csum_start + csum_offset. */
    private void completeChecksum(int len) {
        int start = VNET_HDR + (recvBuf.get(LE16, 6) & 0xffff);
        int field = start + (recvBuf.get(LE16, 8) & 0xffff);
        if (start >= len || field + 2 > len) {
            return; // malformed header: the parsers will refuse the frame
        }
        int sum = Checksum.finish(Checksum.add(0, frame, start, len - start));
        frame[field] = (byte) (sum >>> 8);
        frame[field + 1] = (byte) sum;
    }

    @Override
    public synchronized void wakeup() {
        if (closed) {
            return;
        }
        try {
            long ignored = (long) WRITE.invokeExact(wakeErrno, eventFd, wakeValue, 8L);
        } catch (Throwable t) {
            throw new LinkException("waking the loop of " + iface + " failed: " + t, t);
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
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            MemorySegment e = wakeErrno;
            int a = (int) CLOSE.invokeExact(e, fd);
            int b = (int) CLOSE.invokeExact(e, eventFd);
        } catch (Throwable t) {
            throw new LinkException("closing the packet socket on " + iface + ": " + t, t);
        } finally {
            arena.close();
        }
    }
}
