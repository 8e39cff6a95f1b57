package dev.handoff.agent.app;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 request head (RFC 9112 §3), parsed from bytes that the caller has cut at
 * the blank line. Only what a static file server needs: method, target, version, headers.
 *
 * @param method  request method, as sent (case-sensitive, RFC 9110 §9.1)
 * @param target  request target (origin-form path and query)
 * @param version "HTTP/1.1" or "HTTP/1.0"
 * @param headers header fields, names lower-cased; repeated fields joined with ", "
 */
public record HttpRequest(String method, String target, String version, Map<String, String> headers) {

    /** A request head that cannot be parsed: the server answers 400. */
    public static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;

        public BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    /** Parses {@code len} bytes of a request head (request line and fields, without the final CRLF CRLF). */
    public static HttpRequest parse(byte[] b, int off, int len) throws BadRequest {
        String head = new String(b, off, len, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n", -1);
        String[] parts = lines[0].split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new BadRequest("request line is not 'METHOD TARGET VERSION'");
        }
        for (int i = 0; i < parts[0].length(); i++) {
            char c = parts[0].charAt(i);
            if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
                throw new BadRequest("method is not a token");
            }
        }
        if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
            throw new BadRequest("version '" + parts[2] + "' is not HTTP/1.1 or HTTP/1.0");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int colon = line.indexOf(':');
            if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t' || line.charAt(colon - 1) == ' ') {
                throw new BadRequest("malformed header field line " + i); // RFC 9112 §5.1: no space before ':'
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            headers.merge(name, value, (a, v) -> a + ", " + v);
        }
        if (parts[2].equals("HTTP/1.1") && !headers.containsKey("host")) {
            throw new BadRequest("HTTP/1.1 request without Host (RFC 9112 §3.2)");
        }
        if (headers.containsKey("transfer-encoding") || headers.containsKey("content-length")
                && !headers.get("content-length").equals("0")) {
            throw new BadRequest("request bodies are not accepted by a static file server");
        }
        return new HttpRequest(parts[0], parts[1], parts[2], Map.copyOf(headers));
    }

    /** The connection stays open after the response (RFC 9112 §9.3). */
    public boolean keepAlive() {
        String c = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
        if (version.equals("HTTP/1.0")) {
            return c.contains("keep-alive");
        }
        return !c.contains("close");
    }
}
