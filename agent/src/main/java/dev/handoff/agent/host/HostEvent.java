package dev.handoff.agent.host;

/**
 * Something that happened on a host, for its log and for watchers of the control API.
 *
 * @param kind what happened: one of the {@code KIND_*} names
 * @param subject the connection id (local:port-remote:port), a VIP, or the host's name
 * @param detail the rest, free text (counts, reasons); empty when there is none
 */
public record HostEvent(String kind, String subject, String detail) {
    /** A connection was accepted or opened here. */
    public static final String OPENED = "open";
    /** A connection ended here (detail: counts and reason). */
    public static final String CLOSED = "close";
    /** A connection left for another agent. */
    public static final String MOVED_OUT = "moved-out";
    /** A connection arrived from another agent. */
    public static final String MOVED_IN = "moved-in";
    /** A move did not happen; the connection runs here (detail: reason). */
    public static final String MOVE_FAILED = "move-failed";
    /** This host took a VIP and announced it. */
    public static final String VIP_TAKEN = "vip-taken";
    /** This host gave up a VIP. */
    public static final String VIP_RELEASED = "vip-released";
    /** This host fell silent for a VIP it may no longer speak for, dropping its connections (detail: why). */
    public static final String VIP_ABANDONED = "vip-abandoned";
    /** An agent of the cluster stopped answering heartbeats (subject: its name). */
    public static final String PEER_DOWN = "peer-down";
    /** A VIP whose agent died or fell silent is being taken over here (detail: from whom, and how it went). */
    public static final String FAILOVER = "failover";
    /** An agent of the cluster answers heartbeats (again). */
    public static final String PEER_UP = "peer-up";
    /** A connection was re-created here from its last checkpoint after its host died. */
    public static final String RESURRECTED = "resurrected";
    /** Checkpoints are late: connections stop sending new data until the store confirms (detail: why). */
    public static final String CHECKPOINT_STALLED = "checkpoint-stalled";
    /** A connection moved here without its VIP is not checkpointed here (detail: why, what to do). */
    public static final String NOT_CHECKPOINTED = "not-checkpointed";
    /** Checkpoints are confirmed again after a stall. */
    public static final String CHECKPOINT_RESUMED = "checkpoint-resumed";
    /** A loop's threads run at the nice value asked for, or could not (subject: the thread; detail: which, or why not). */
    public static final String PRIORITY = "priority";
    /** An application or the host failed (detail: the error). */
    public static final String ERROR = "error";

    /** One log line: kind, subject, detail. */
    @Override
    public String toString() {
        return detail.isEmpty() ? kind + " " + subject : kind + " " + subject + " " + detail;
    }
}
