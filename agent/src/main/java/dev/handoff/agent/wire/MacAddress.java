package dev.handoff.agent.wire;

/** MAC addresses as the low 48 bits of a {@code long}. */
public final class MacAddress {
    /** ff:ff:ff:ff:ff:ff. */
    public static final long BROADCAST = 0xffff_ffff_ffffL;

    private MacAddress() {
    }

    /** Parses aa:bb:cc:dd:ee:ff; throws IllegalArgumentException naming the text otherwise. */
    public static long parse(String text) {
        String[] parts = text.trim().split(":", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address (want aa:bb:cc:dd:ee:ff): '" + text + "'");
        }
        long value = 0;
        for (String part : parts) {
            if (part.length() != 2) {
                throw new IllegalArgumentException("not a MAC address (octet '" + part + "'): '" + text + "'");
            }
            try {
                value = (value << 8) | Integer.parseInt(part, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MAC address (octet '" + part + "'): '" + text + "'", e);
            }
        }
        return value;
    }

    /** aa:bb:cc:dd:ee:ff text of {@code mac}. */
    public static String format(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            if (sb.length() > 0) {
                sb.append(':');
            }
            sb.append(String.format("%02x", (mac >>> shift) & 0xff));
        }
        return sb.toString();
    }
}
