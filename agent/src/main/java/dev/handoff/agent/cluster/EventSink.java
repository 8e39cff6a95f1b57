package dev.handoff.agent.cluster;

/** Where the cluster's parts report what happened (a host's log and event stream). */
@FunctionalInterface
public interface EventSink {
    /** Reports {@code kind} (a {@code HostEvent} kind) about {@code subject}. */
    void report(String kind, String subject, String detail);
}
