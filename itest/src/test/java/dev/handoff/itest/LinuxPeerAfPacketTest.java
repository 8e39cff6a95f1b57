package dev.handoff.itest;

/** Every test of {@link LinuxPeerTest} with the agent on the AF_PACKET link (FFM, TSO/GSO, checksum offload). */
class LinuxPeerAfPacketTest extends LinuxPeerTest {
    @Override
    String link() {
        return "af-packet";
    }
}
