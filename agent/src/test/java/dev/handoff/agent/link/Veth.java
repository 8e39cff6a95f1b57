package dev.handoff.agent.link;

import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A veth pair made for a test (needs root, as CI is): both ends up, without IPv6 (which would send
 * router solicitations) and without addresses, so nothing arrives on either but what a test sends.
 * Closing deletes it.
 */
record Veth(String end, String peerEnd) implements AutoCloseable {
    /** A new pair whose names start with {@code prefix} (at most 9 characters). */
    static Veth create(String prefix) throws IOException, InterruptedException {
        String name = prefix + ThreadLocalRandom.current().nextInt(1000, 10000);
        run("ip", "link", "add", name, "type", "veth", "peer", "name", name + "p");
        Veth v = new Veth(name, name + "p");
        for (String end : new String[] {v.end, v.peerEnd}) {
            run("ip", "link", "set", end, "addrgenmode", "none");
            run("ip", "link", "set", end, "up");
        }
        return v;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("ip", "link", "del", end); // deletes its peer too
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (needs root): " + out);
        }
    }
}
