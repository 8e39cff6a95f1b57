package dev.handoff.cli;

/**
 * An address:port given on the command line.
 *
 * @param host the address or name
 * @param port the port, 1..65535
 */
record HostPort(String host, int port) {
    /** Parses ADDR:PORT for {@code option}; throws IllegalArgumentException saying what is expected. */
    static HostPort parse(String option, String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(option + " wants ADDR:PORT, e.g. 10.77.0.11:7700, got '" + text + "'");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " port must be a number, got '" + text + "'", e);
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException(option + " port must be 1..65535, got " + port);
        }
        return new HostPort(text.substring(0, colon), port);
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
