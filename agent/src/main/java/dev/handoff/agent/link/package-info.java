/**
 * Links: where Ethernet frames come from and go to. {@link dev.handoff.agent.link.PacketLink}
 * is the interface; {@link dev.handoff.agent.link.PcapLink} is the real network (pcap4j),
 * {@link dev.handoff.agent.link.MemorySwitch} an in-memory LAN for tests, and
 * {@link dev.handoff.agent.link.FaultyLink} and {@link dev.handoff.agent.link.PcapFileLink}
 * decorators that stack on any link.
 */
package dev.handoff.agent.link;
