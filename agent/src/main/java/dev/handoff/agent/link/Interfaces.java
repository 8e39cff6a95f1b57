package dev.handoff.agent.link;

import dev.handoff.agent.wire.MacAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about network interfaces of this namespace, from sysfs. */
final class Interfaces {
    private Interfaces() {
    }

    /** The MAC address of {@code iface}; throws LinkException saying what to check when there is none. */
    static long mac(String iface) {
        Path p = Path.of("/sys/class/net", iface, "address");
        if (!Files.exists(p)) {
            throw new LinkException("no interface '" + iface + "' here: check `ip link` (and the namespace you run in)");
        }
        try {
            return MacAddress.parse(Files.readString(p).trim());
        } catch (IOException e) {
            throw new LinkException("cannot read the MAC of " + iface + " from " + p + ": " + e.getMessage(), e);
        }
    }
}
