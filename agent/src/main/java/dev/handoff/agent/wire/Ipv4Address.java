package dev.handoff.agent.wire;

/** IPv4 addresses as {@code int}s in network order value (a.b.c.d is a<<24|b<<16|c<<8|d). */
public final class Ipv4Address {
    private Ipv4Address() {
    }

    /** Parses dotted-quad text; throws IllegalArgumentException naming the text otherwise. */
    public static int parse(String text) {
        String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address (want a.b.c.d): '" + text + "'");
        }
        int value = 0;
        for (String part : parts) {
            int octet;
            try {
                octet = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address (octet '" + part + "'): '" + text + "'", e);
            }
            if (octet < 0 || octet > 255 || part.isEmpty() || part.length() > 3) {
                throw new IllegalArgumentException("not an IPv4 address (octet '" + part + "' not 0..255): '" + text + "'");
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    /** Dotted-quad text of {@code ip}. */
    public static String format(int ip) {
        return (ip >>> 24) + "." + ((ip >>> 16) & 0xff) + "." + ((ip >>> 8) & 0xff) + "." + (ip & 0xff);
    }
}
