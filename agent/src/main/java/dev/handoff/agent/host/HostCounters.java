package dev.handoff.agent.host;

/** Counters of a host's frame handling: every drop has one. Written by the loop thread only. */
public final class HostCounters {
    /** Frames received from the link. */
    public long framesIn;
    /** Frames sent on the link. */
    public long framesOut;
    /** Frames addressed to another MAC (seen in promiscuous capture), dropped. */
    public long otherMac;
    /** IPv4 packets for addresses this host does not own, dropped (never answered). */
    public long otherIp;
    /** IPv4 packets that are not TCP, dropped. */
    public long notTcp;
    /** IPv4 fragments, dropped (not reassembled). */
    public long fragments;
    /** Frames that failed to parse (truncated, bad header, bad option). */
    public long malformed;
    /** Packets with a bad IPv4 or TCP checksum. */
    public long badChecksum;
    /** Frames of other EtherTypes, dropped. */
    public long otherEtherType;
    /** ARP requests answered for an owned VIP. */
    public long arpReplies;
    /** ARP requests for addresses not owned, ignored. */
    public long arpIgnored;
    /** Gratuitous ARPs sent. */
    public long gratuitousArps;
    /** ARP requests sent to learn a peer's MAC. */
    public long arpRequests;
    /** Frames of connections moved away, forwarded to their new owner. */
    public long forwarded;
    /** Frames of connections being moved, held until the move ended. */
    public long held;
    /** Segments sent before the peer's MAC was known: kept until ARP answers (see arpQueueDrops). */
    public long noNeighbor;
    /** Frames dropped because too many already waited for ARP. */
    public long arpQueueDrops;
    /** Frames dropped because their event loop's lane was full (hosts with several loops; TCP recovers them). */
    public long laneDrops;

    /** Every counter as name=value, for logs. */
    @Override
    public String toString() {
        return dev.handoff.agent.tcp.Counters.describe(this);
    }
}
