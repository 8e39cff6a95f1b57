package dev.handoff.agent.tcp;

/** Connection states (RFC 9293 §3.3.2). */
public enum TcpState {
    /** No connection: never opened, or finished. */
    CLOSED,
    /** Waiting for a SYN (listeners only). */
    LISTEN,
    /** Our SYN sent, waiting for the peer's SYN and ACK. */
    SYN_SENT,
    /** SYN received and ours sent, waiting for the ACK of ours. */
    SYN_RECEIVED,
    /** Open: data flows both ways. */
    ESTABLISHED,
    /** We closed; our FIN is sent or queued and not yet acknowledged. */
    FIN_WAIT_1,
    /** Our FIN is acknowledged; waiting for the peer's FIN. */
    FIN_WAIT_2,
    /** The peer closed; we may still send. */
    CLOSE_WAIT,
    /** Both sent FIN at once; waiting for the ACK of ours. */
    CLOSING,
    /** The peer closed, then we did; waiting for the ACK of our FIN. */
    LAST_ACK,
    /** Both FINs acknowledged; waiting 2*MSL so stray segments die out. */
    TIME_WAIT;

    /** Sequence numbers of both sides are known (RFC 9293 §3.10.7.4 "synchronized"). */
    public boolean isSynchronized() {
        return ordinal() >= ESTABLISHED.ordinal();
    }

    /** The peer may still send data in this state. */
    public boolean canReceiveData() {
        return this == ESTABLISHED || this == FIN_WAIT_1 || this == FIN_WAIT_2;
    }
}
