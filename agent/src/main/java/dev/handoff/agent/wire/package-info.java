/**
 * Wire formats: Ethernet II, ARP, IPv4 and TCP as flyweight views over byte arrays.
 *
 * <p>Every view validates its bytes once, in its constructor or {@code wrap} method, and
 * throws {@link dev.handoff.agent.wire.MalformedPacketException} naming what is wrong;
 * after that no accessor can fail. Writers build headers into a caller's buffer, so the
 * data path allocates nothing. All multi-byte fields are big-endian (network order).
 */
package dev.handoff.agent.wire;
