package dev.handoff.agent.app;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code files} service: a static file server over HTTP/1.1 (RFC 9110, RFC 9112).
 * GET and HEAD; one byte range (206, or 416 when unsatisfiable); keep-alive with one
 * request at a time (pipelined requests wait in the TCP buffer); 400, 404, 405, 416 and
 * 431 answers; no target escapes the root, through {@code ..} or symbolic links.
 *
 * <p>Deterministic for migration: its state between events is the request bytes not yet
 * answered, the response head still to send and the file, offset and end of the body,
 * from which it regenerates exactly the bytes it would have sent.
 */
public final class HttpFileHandler implements Handler {
    /** Longest request head accepted (RFC 9110 §15.5.32: 431 beyond). */
    static final int MAX_HEAD = 16 * 1024;
    /** IMF-fixdate (RFC 9110 §5.6.7). */
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);
    /** Content types by file extension; everything else is application/octet-stream. */
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "txt", "text/plain; charset=utf-8", "css", "text/css",
            "js", "text/javascript", "json", "application/json", "png", "image/png", "jpg", "image/jpeg",
            "svg", "image/svg+xml", "bin", "application/octet-stream");

    /** The directory served, as a real path. */
    private final Path root;
    /** Request bytes received and not yet answered. */
    private byte[] in = new byte[0];
    /** Bytes used in {@link #in}. */
    private int inLength;
    /** Response head still to send (empty when sent). */
    private byte[] head = new byte[0];
    /** Bytes of {@link #head} already sent. */
    private int headSent;
    /** File of the body being sent, or null. */
    private Path bodyFile;
    /** Next byte of the body file to send. */
    private long bodyPos;
    /** End (exclusive) of the body in the file. */
    private long bodyEnd;
    /** Close the connection after this response. */
    private boolean closeAfter;
    /** File of the current (or last) response's body, kept after it is sent, or null: to go back in it. */
    private Path respFile;
    /** Offset in {@link #respFile} where that body starts. */
    private long respBodyStart;
    /** Open channel on {@link #bodyFile} (not part of the state: reopened as needed). */
    private FileChannel channel;

    HttpFileHandler(Path root) {
        this.root = root;
    }

    /** A factory serving the directory {@code root}; fails at once if it is not a readable directory. */
    public static HandlerFactory factory(Path root) {
        Path real;
        try {
            real = root.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("files: cannot serve " + root + ": " + e.getMessage(), e);
        }
        if (!Files.isDirectory(real) || !Files.isReadable(real)) {
            throw new IllegalArgumentException("files: " + root + " is not a readable directory");
        }
        return new HandlerFactory() {
            @Override
            public String name() {
                return "files";
            }

            @Override
            public Handler create() {
                return new HttpFileHandler(real);
            }
        };
    }

    @Override
    public void onReadable(Channel ch) {
        if (responding()) {
            return; // one request at a time: the next waits in the TCP receive buffer
        }
        while (true) {
            if (inLength == in.length) {
                in = Arrays.copyOf(in, Math.min(Math.max(1024, in.length * 2), MAX_HEAD + 4));
            }
            int n = inLength < in.length ? ch.read(in, inLength, in.length - inLength) : 0;
            if (n < 0) {
                if (!ch.isOutputShutdown()) {
                    ch.close(); // the peer is done asking
                }
                return;
            }
            inLength += n;
            if (answerBufferedRequest(ch) || n == 0) {
                return;
            }
        }
    }

    /** If a whole request head is buffered, starts its response; returns true if it did (or failed the connection). */
    private boolean answerBufferedRequest(Channel ch) {
        int end = headEnd();
        if (end < 0) {
            if (inLength > MAX_HEAD) {
                respondError(ch, 431, "Request Header Fields Too Large", true);
                return true;
            }
            return false;
        }
        HttpRequest req;
        try {
            req = HttpRequest.parse(in, 0, end);
        } catch (HttpRequest.BadRequest e) {
            respondError(ch, 400, "Bad Request", true);
            return true;
        }
        consume(end + 4);
        respond(ch, req);
        return true;
    }

    private int headEnd() {
        for (int i = 0; i + 3 < inLength; i++) {
            if (in[i] == '\r' && in[i + 1] == '\n' && in[i + 2] == '\r' && in[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private void consume(int n) {
        System.arraycopy(in, n, in, 0, inLength - n);
        inLength -= n;
    }

    private boolean responding() {
        return headSent < head.length || bodyFile != null;
    }

    private void respond(Channel ch, HttpRequest req) {
        boolean isHead = req.method().equals("HEAD");
        if (!isHead && !req.method().equals("GET")) {
            startResponse(ch, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", errorBody(405, "Method Not Allowed"),
                    !req.keepAlive());
            return;
        }
        Path file = resolve(req.target());
        if (file == null) {
            startResponse(ch, 404, "Not Found", "", errorBody(404, "Not Found"), !req.keepAlive());
            return;
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            startResponse(ch, 404, "Not Found", "", errorBody(404, "Not Found"), !req.keepAlive());
            return;
        }
        String type = TYPES.getOrDefault(extension(file), "application/octet-stream");
        ByteRange.Result r = ByteRange.resolve(req.headers().get("range"), size);
        long first = 0;
        long last = size - 1;
        int status = 200;
        String reason = "OK";
        String extra = "Content-Type: " + type + "\r\nAccept-Ranges: bytes\r\n";
        if (r instanceof ByteRange.Unsatisfiable) {
            startResponse(ch, 416, "Range Not Satisfiable", "Content-Range: bytes */" + size + "\r\n",
                    errorBody(416, "Range Not Satisfiable"), !req.keepAlive());
            return;
        }
        if (r instanceof ByteRange.Partial p) {
            first = p.range().first();
            last = p.range().last();
            status = 206;
            reason = "Partial Content";
            extra += "Content-Range: bytes " + first + "-" + last + "/" + size + "\r\n";
        }
        long length = last - first + 1;
        head = head(status, reason, extra, length, !req.keepAlive());
        headSent = 0;
        closeAfter = !req.keepAlive();
        respFile = null;
        if (!isHead && length > 0) {
            bodyFile = file;
            bodyPos = first;
            bodyEnd = last + 1;
            respFile = file;
            respBodyStart = first;
        }
        ch.wantWrite(true);
        onWritable(ch);
    }

    /** The file a target names inside the root, or null (404): missing, a directory without index, or outside the root. */
    Path resolve(String target) {
        int q = target.indexOf('?');
        String path = q >= 0 ? target.substring(0, q) : target;
        if (!path.startsWith("/")) {
            return null;
        }
        String decoded;
        try {
            decoded = URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (decoded.indexOf('\0') >= 0) {
            return null;
        }
        Path p = root.resolve(decoded.substring(1)).normalize();
        if (!p.startsWith(root)) {
            return null;
        }
        if (Files.isDirectory(p)) {
            p = p.resolve("index.html");
        }
        try {
            Path real = p.toRealPath();
            return real.startsWith(root) && Files.isRegularFile(real) && Files.isReadable(real) ? real : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static byte[] errorBody(int status, String reason) {
        return (status + " " + reason + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] head(int status, String reason, String extra, long length, boolean close) {
        String h = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Server: handoff\r\n"
                + "Date: " + HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)) + "\r\n"
                + extra
                + "Content-Length: " + length + "\r\n"
                + (close ? "Connection: close\r\n" : "")
                + "\r\n";
        return h.getBytes(StandardCharsets.US_ASCII);
    }

    private void startResponse(Channel ch, int status, String reason, String extra, byte[] body, boolean close) {
        byte[] h = head(status, reason, extra + "Content-Type: text/plain; charset=utf-8\r\n", body.length, close);
        head = Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, head, h.length, body.length);
        headSent = 0;
        closeAfter = close;
        respFile = null;
        ch.wantWrite(true);
        onWritable(ch);
    }

    private void respondError(Channel ch, int status, String reason, boolean close) {
        inLength = 0;
        startResponse(ch, status, reason, "", errorBody(status, reason), close);
    }

    @Override
    public void onWritable(Channel ch) {
        if (ch.isOutputShutdown()) {
            return;
        }
        while (headSent < head.length) {
            int n = ch.write(head, headSent, head.length - headSent);
            if (n == 0) {
                return;
            }
            headSent += n;
        }
        ByteBuffer buf = ByteBuffer.wrap(Scratch.buffer());
        while (bodyFile != null) {
            int room = Math.min(ch.writable(), buf.capacity());
            if (room == 0) {
                return;
            }
            int want = (int) Math.min(room, bodyEnd - bodyPos);
            buf.clear().limit(want);
            int got;
            try {
                if (channel == null) {
                    channel = FileChannel.open(bodyFile, StandardOpenOption.READ);
                }
                got = channel.read(buf, bodyPos);
            } catch (IOException e) {
                throw new UncheckedIOException("files: reading " + bodyFile + " at " + bodyPos, e);
            }
            if (got <= 0) {
                // The file shrank under us: we promised Content-Length bytes we cannot send.
                ch.abort();
                finishBody();
                return;
            }
            bodyPos += ch.write(buf.array(), 0, got);
            if (bodyPos == bodyEnd) {
                finishBody();
            }
        }
        ch.wantWrite(false);
        if (closeAfter) {
            ch.close();
            return;
        }
        answerBufferedRequest(ch); // a pipelined request may be waiting
        if (!responding()) {
            onReadable(ch);
        }
    }

    private void finishBody() {
        bodyFile = null;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException("files: closing a served file", e);
            }
            channel = null;
        }
    }

    @Override
    public void onClosed(Channel ch, String reason) {
        finishBody();
    }

    @Override
    public byte[] snapshot() {
        return snapshotOf(headSent, bodyFile, bodyPos);
    }

    /**
     * Deterministic: the bytes the peer has not acknowledged are regenerated from the head
     * and the file, as long as they all belong to the current response.
     */
    @Override
    public byte[] snapshotBefore(long unsent) {
        long bodySent = respFile == null ? 0 : bodyPos - respBodyStart;
        long sent = headSent + bodySent;
        if (unsent > sent) {
            return null; // part of an earlier response: only the send queue has it
        }
        long keep = sent - unsent;
        int hs = (int) Math.min(keep, head.length);
        long pos = respFile == null ? bodyPos : respBodyStart + (keep - hs);
        Path file = respFile != null && pos < bodyEnd ? respFile : null;
        return snapshotOf(hs, file, pos);
    }

    private byte[] snapshotOf(int headSentThen, Path bodyFileThen, long bodyPosThen) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(inLength);
            out.write(in, 0, inLength);
            out.writeInt(head.length - headSentThen);
            out.write(head, headSentThen, head.length - headSentThen);
            out.writeUTF(bodyFileThen == null ? "" : root.relativize(bodyFileThen).toString());
            out.writeLong(bodyPosThen);
            out.writeLong(bodyEnd);
            out.writeBoolean(closeAfter);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public void restore(byte[] state) {
        try (DataInputStream s = new DataInputStream(new java.io.ByteArrayInputStream(state))) {
            int n = s.readInt();
            if (n < 0 || n > MAX_HEAD + 4) {
                throw new IllegalArgumentException("files state: request buffer of " + n + " bytes");
            }
            in = new byte[n];
            s.readFully(in, 0, n);
            inLength = n;
            int h = s.readInt();
            if (h < 0 || h > 64 * 1024) {
                throw new IllegalArgumentException("files state: response head of " + h + " bytes");
            }
            head = new byte[h];
            s.readFully(head);
            headSent = 0;
            String rel = s.readUTF();
            bodyPos = s.readLong();
            bodyEnd = s.readLong();
            closeAfter = s.readBoolean();
            bodyFile = rel.isEmpty() ? null : root.resolve(rel).normalize();
            respFile = bodyFile;
            respBodyStart = bodyPos;
            if (bodyFile != null && (!bodyFile.startsWith(root) || bodyPos < 0 || bodyPos > bodyEnd)) {
                throw new IllegalArgumentException("files state: body " + rel + " [" + bodyPos + ", " + bodyEnd + ") is invalid here");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("files state is truncated: " + e.getMessage(), e);
        }
    }
}
