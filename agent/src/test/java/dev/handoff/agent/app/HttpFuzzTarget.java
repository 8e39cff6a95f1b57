package dev.handoff.agent.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz target (Jazzer) of what a hostile HTTP client or a hostile ICI can make the file server
 * parse: the request head, the target resolved against the root (never outside it), the Range
 * header, and the handler state a moved connection carries. Any exception other than the
 * parsers' refusals ({@link HttpRequest.BadRequest}, {@link IllegalArgumentException} from
 * {@code restore}) is a finding; so is a resolved file outside the root.
 */
public final class HttpFuzzTarget {
    /** The served root: one file and a directory with an index. */
    static final Path ROOT = root();

    private HttpFuzzTarget() {
    }

    private static Path root() {
        try {
            Path r = Files.createTempDirectory("handoff-fuzz-www").toRealPath();
            Files.writeString(r.resolve("a.txt"), "hello");
            Files.createDirectories(r.resolve("d"));
            Files.writeString(r.resolve("d/index.html"), "<p>index</p>");
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One input: its first byte chooses between a request head and a handler state. */
    public static void fuzzerTestOneInput(byte[] in) {
        if (in.length == 0) {
            return;
        }
        HttpFileHandler h = new HttpFileHandler(ROOT);
        if ((in[0] & 1) == 0) {
            request(h, in);
        } else {
            try {
                h.restore(java.util.Arrays.copyOfRange(in, 1, in.length));
            } catch (IllegalArgumentException e) {
                // refused as it should be
            }
        }
    }

    private static void request(HttpFileHandler h, byte[] in) {
        HttpRequest req;
        try {
            req = HttpRequest.parse(in, 1, in.length - 1);
        } catch (HttpRequest.BadRequest e) {
            return;
        }
        Path file = h.resolve(req.target());
        if (file != null && !file.startsWith(ROOT)) {
            throw new AssertionError(req.target() + " resolved outside the root: " + file);
        }
        ByteRange.Result r = ByteRange.resolve(req.headers().get("range"), 5);
        if (r instanceof ByteRange.Partial p && (p.range().first() < 0 || p.range().last() >= 5
                || p.range().first() > p.range().last())) {
            throw new AssertionError("range " + req.headers().get("range") + " gave " + p.range());
        }
        req.keepAlive();
    }
}
