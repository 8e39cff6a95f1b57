package dev.handoff.cli;

import dev.handoff.agent.wire.Ipv4Address;

/**
 * A VIP with its prefix length, as given on the command line: {@code 10.0.0.100/24}.
 *
 * @param address the VIP
 * @param prefix  the subnet's prefix length, 1..32
 */
record VipSpec(int address, int prefix) {

    /** Parses ADDR/PREFIX; throws IllegalArgumentException saying what is wrong and what is expected. */
    static VipSpec parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("--vip wants ADDRESS/PREFIX, e.g. 10.77.0.100/24, got '" + text + "'");
        }
        int address = Ipv4Address.parse(text.substring(0, slash));
        int prefix;
        try {
            prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--vip prefix must be a number 1..32, got '" + text + "'", e);
        }
        if (prefix < 1 || prefix > 32) {
            throw new IllegalArgumentException("--vip prefix must be 1..32, got " + prefix);
        }
        int hostBits = address & (prefix == 32 ? 0 : (-1 >>> prefix));
        if (prefix < 31 && (hostBits == 0 || hostBits == (-1 >>> prefix))) {
            throw new IllegalArgumentException("--vip " + text + " is the network or broadcast address of its subnet");
        }
        return new VipSpec(address, prefix);
    }

    @Override
    public String toString() {
        return Ipv4Address.format(address) + "/" + prefix;
    }
}
