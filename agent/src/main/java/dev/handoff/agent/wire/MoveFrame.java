package dev.handoff.agent.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A flyweight view of a move frame: the one-frame ICI of a connection moving between two
 * agents on the same segment, or the destination's answer to it, sent from event loop to
 * event loop without the control channel's threads (DESIGN notes: "ICI over the link").
 * EtherType 0x88B5 (IEEE 802 local experimental). After the Ethernet header:
 *
 * <pre>
 *  0  u8   version (1)
 *  1  u8   kind: 1 ICI, 2 answer
 *  2  u32  remote IP   } the connection's flow: a host with several loops steers the frame
 *  6  u16  remote port } to the loop of the connection
 *  8  u16  local port  }
 * 10  u64  token: the move's, given to the destination by PrepareImport over the control channel
 * 18  u8   fragment index
 * 19  u8   fragments: the body is cut into this many frames (1 to {@link #MAX_FRAGMENTS})
 * 20  u16  seal length S (0 in every fragment but the first)
 * 22  S    seal (IciSeal of the whole body, its purpose naming the kind and the token)
 * 22+S     this fragment's piece of the body. An ICI's body is the peer's MAC (u48, 0 if
 *          unknown) and the serialized ICI; an answer's (one frame) is its outcome (u8: 0
 *          imported, else the gRPC status code of the refusal) and UTF-8 text (the
 *          connection's id, or why it was refused)
 * </pre>
 */
public final class MoveFrame {
    /** EtherType of move frames (IEEE 802 local experimental). */
    public static final int TYPE = 0x88B5;
    /** Format version written and accepted. */
    public static final int VERSION = 1;
    /** Kind of a frame carrying an ICI. */
    public static final int ICI = 1;
    /** Kind of a frame carrying the destination's answer. */
    public static final int ANSWER = 2;
    /** Most bytes after the Ethernet header: one standard Ethernet payload. */
    public static final int MAX_PAYLOAD = 1500;
    /** Most frames one body is cut into: ~180 KB, an ICI whose buffers a move could not drain goes over Import. */
    public static final int MAX_FRAGMENTS = 128;
    /** Bytes of the fixed header, before the seal. */
    static final int FIXED = 22;
    /** Offset of the flow (remote IP) in the payload, for a dispatcher steering frames to loops. */
    public static final int FLOW_OFFSET = 2;

    /** The frame's bytes. */
    private byte[] buf;
    /** Offset of the payload (after the Ethernet header) in {@link #buf}. */
    private int p;
    /** Payload length. */
    private int len;

    /**
     * Views the payload {@code [off, off + len)} of a move frame; MalformedPacketException if it
     * is too short for its header and seal, or of another version or kind.
     */
    public MoveFrame wrap(byte[] buf, int off, int len) throws MalformedPacketException {
        if (len < FIXED) {
            throw new MalformedPacketException(MalformedPacketException.Reason.TRUNCATED,
                    "move frame of " + len + " bytes, header needs " + FIXED);
        }
        if (Bytes.u8(buf, off) != VERSION || (Bytes.u8(buf, off + 1) != ICI && Bytes.u8(buf, off + 1) != ANSWER)) {
            throw new MalformedPacketException(MalformedPacketException.Reason.BAD_HEADER,
                    "move frame version " + Bytes.u8(buf, off) + " kind " + Bytes.u8(buf, off + 1));
        }
        int fragments = Bytes.u8(buf, off + 19);
        if (fragments == 0 || Bytes.u8(buf, off + 18) >= fragments) {
            throw new MalformedPacketException(MalformedPacketException.Reason.BAD_HEADER,
                    "move frame fragment " + Bytes.u8(buf, off + 18) + " of " + fragments);
        }
        int body = FIXED + Bytes.u16(buf, off + 20);
        if (body > len) {
            throw new MalformedPacketException(MalformedPacketException.Reason.TRUNCATED,
                    "move frame of " + len + " bytes, its seal ends at " + body);
        }
        this.buf = buf;
        this.p = off;
        this.len = len;
        return this;
    }

    /** {@link #ICI} or {@link #ANSWER}. */
    public int kind() {
        return Bytes.u8(buf, p + 1);
    }

    /** The connection's remote address. */
    public int remoteIp() {
        return Bytes.i32(buf, p + 2);
    }

    /** The connection's remote port. */
    public int remotePort() {
        return Bytes.u16(buf, p + 6);
    }

    /** The connection's local port. */
    public int localPort() {
        return Bytes.u16(buf, p + 8);
    }

    /** The move's token. */
    public long token() {
        return Bytes.i64(buf, p + 10);
    }

    /** This fragment's index. */
    public int fragment() {
        return Bytes.u8(buf, p + 18);
    }

    /** How many fragments the body was cut into. */
    public int fragments() {
        return Bytes.u8(buf, p + 19);
    }

    /** The seal's bytes (a copy; empty in fragments but the first). */
    public byte[] seal() {
        return java.util.Arrays.copyOfRange(buf, p + FIXED, bodyOffset());
    }

    /** This fragment's piece of the body (a copy); the pieces in order are what the seal covers. */
    public byte[] body() {
        return java.util.Arrays.copyOfRange(buf, bodyOffset(), p + len);
    }

    private int bodyOffset() {
        return p + FIXED + Bytes.u16(buf, p + 20);
    }

    /** An ICI frame's body: the peer's MAC and the serialized ICI. */
    public static byte[] iciBody(long peerMac, byte[] ici) {
        byte[] b = new byte[6 + ici.length];
        Bytes.put48(b, 0, peerMac == -1 ? 0 : peerMac);
        System.arraycopy(ici, 0, b, 6, ici.length);
        return b;
    }

    /** An answer frame's body: status 0 and the connection's id, or a refusal's status code and why. */
    public static byte[] answerBody(int status, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[1 + t.length];
        b[0] = (byte) status;
        System.arraycopy(t, 0, b, 1, t.length);
        return b;
    }

    /** The peer's MAC in an ICI body (-1 if unknown). */
    public static long peerMacOf(byte[] iciBody) {
        long mac = Bytes.u48(iciBody, 0);
        return mac == 0 ? -1 : mac;
    }

    /** The status of an answer body: 0 imported, else the gRPC status code of the refusal. */
    public static int statusOf(byte[] answerBody) {
        return answerBody[0] & 0xff;
    }

    /** The text of an answer body. */
    public static String textOf(byte[] answerBody) {
        return new String(answerBody, 1, answerBody.length - 1, StandardCharsets.UTF_8);
    }

    /**
     * A whole one-frame body (an answer), Ethernet header included, from {@code source} to
     * {@code destination}; null when it would not fit in {@link #MAX_PAYLOAD}.
     */
    public static byte[] write(long destination, long source, int kind, int remoteIp, int remotePort, int localPort,
                               long token, byte[] seal, byte[] body) {
        List<byte[]> frames = writeAll(destination, source, kind, remoteIp, remotePort, localPort, token, seal, body);
        return frames == null || frames.size() > 1 ? null : frames.getFirst();
    }

    /**
     * The frames that carry {@code body} and its {@code seal} (in the first), each within
     * {@link #MAX_PAYLOAD}; null when it would take more than {@link #MAX_FRAGMENTS}.
     */
    public static List<byte[]> writeAll(long destination, long source, int kind, int remoteIp, int remotePort, int localPort,
                                        long token, byte[] seal, byte[] body) {
        int first = MAX_PAYLOAD - FIXED - seal.length;
        int rest = MAX_PAYLOAD - FIXED;
        int count = body.length <= first ? 1 : 1 + (body.length - first + rest - 1) / rest;
        if (count > MAX_FRAGMENTS) {
            return null;
        }
        List<byte[]> frames = new ArrayList<>(count);
        int at = 0;
        for (int i = 0; i < count; i++) {
            byte[] s = i == 0 ? seal : new byte[0];
            int n = Math.min(body.length - at, i == 0 ? first : rest);
            byte[] f = new byte[EthernetFrame.HEADER_LENGTH + FIXED + s.length + n];
            int p = EthernetFrame.writeHeader(f, 0, destination, source, TYPE);
            Bytes.put8(f, p, VERSION);
            Bytes.put8(f, p + 1, kind);
            Bytes.put32(f, p + 2, remoteIp);
            Bytes.put16(f, p + 6, remotePort);
            Bytes.put16(f, p + 8, localPort);
            Bytes.put32(f, p + 10, (int) (token >>> 32));
            Bytes.put32(f, p + 14, (int) token);
            Bytes.put8(f, p + 18, i);
            Bytes.put8(f, p + 19, count);
            Bytes.put16(f, p + 20, s.length);
            System.arraycopy(s, 0, f, p + FIXED, s.length);
            System.arraycopy(body, at, f, p + FIXED + s.length, n);
            at += n;
            frames.add(f);
        }
        return frames;
    }
}
