package dev.handoff.agent.host;

import dev.handoff.agent.tcp.TcpConnection;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a move may freeze its connection: buffer drained, and the peer paused or the wait for a pause over. */
class DrainWaitTest {
    private static final int MOST = 64 << 10;
    private static final long START = 1_000;
    private static final long BY = START + DrainWait.LULL_WAIT_MS;

    @Test
    void aConnectionThatNeverReceivedDataFreezesOnceDrained() {
        assertTrue(DrainWait.ready(0, MOST, TcpConnection.NO_DATA_YET, START, BY));
        assertTrue(DrainWait.ready(MOST, MOST, TcpConnection.NO_DATA_YET, START, BY), "at most MOST bytes left");
        assertFalse(DrainWait.ready(MOST + 1, MOST, TcpConnection.NO_DATA_YET, START, BY), "the buffer still drains");
    }

    @Test
    void dataThisMillisecondOrTheLastWaitsForThePeersPause() {
        assertFalse(DrainWait.ready(0, MOST, START, START, BY), "a segment came this ms: the peer is mid-write");
        assertFalse(DrainWait.ready(0, MOST, START - 1, START, BY), "one ms tick may be a few us of real time");
        assertTrue(DrainWait.ready(0, MOST, START - DrainWait.LULL_MS, START, BY), "more than 1 ms of quiet");
        assertTrue(DrainWait.ready(0, MOST, START - 500, START, BY), "long quiet");
    }

    @Test
    void aPeerThatNeverPausesIsFrozenWhenTheWaitForAPauseIsOver() {
        assertFalse(DrainWait.ready(0, MOST, BY - 1, BY - 1, BY));
        assertTrue(DrainWait.ready(0, MOST, BY, BY, BY), "still sending when the wait ends: frozen mid-stream");
        assertFalse(DrainWait.ready(MOST + 1, MOST, BY - 5, BY + 5, BY), "never before the buffer drained");
    }
}
