package dev.handoff.agent.tcp;

import dev.handoff.agent.wire.MalformedPacketException;
import dev.handoff.agent.wire.TcpHeaderWriter;
import dev.handoff.agent.wire.TcpSegment;

/** A segment the peer sends in a test, built field by field, then fed to the engine. */
final class Seg {
    /** Header fields and options. */
    final TcpHeaderWriter h = new TcpHeaderWriter();
    /** Payload. */
    byte[] data = new byte[0];
    /** The fixture that sends it. */
    private final EngineFixture fx;

    Seg(EngineFixture fx, int flags) {
        this.fx = fx;
        h.sourcePort = EngineFixture.REMOTE_PORT;
        h.destinationPort = EngineFixture.LOCAL_PORT;
        h.flags = flags;
        h.window = 65535;
    }

    Seg seq(int v) { h.seq = v; return this; }
    Seg ack(int v) { h.ack = v; h.flags |= TcpSegment.ACK; return this; }
    Seg win(int v) { h.window = v; return this; }
    Seg mss(int v) { h.mss = v; return this; }
    Seg ws(int v) { h.windowScale = v; return this; }
    Seg sackPermitted() { h.sackPermitted = true; return this; }
    Seg ts(int val, int ecr) { h.timestamps = true; h.tsVal = val; h.tsEcr = ecr; return this; }
    Seg data(byte[] d) { data = d; return this; }
    Seg data(String s) { return data(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII)); }
    Seg ports(int src, int dst) { h.sourcePort = src; h.destinationPort = dst; return this; }
    Seg sack(int left, int right) {
        h.sackBlocks[2 * h.sackCount] = left;
        h.sackBlocks[2 * h.sackCount + 1] = right;
        h.sackCount++;
        return this;
    }

    /** The segment as a checked view, from the peer to us. */
    TcpSegment build() {
        byte[] buf = new byte[TcpSegment.MAX_HEADER_LENGTH + data.length];
        int hl = h.write(buf, 0);
        System.arraycopy(data, 0, buf, hl, data.length);
        TcpHeaderWriter.finishChecksum(buf, 0, hl + data.length, EngineFixture.REMOTE_IP, EngineFixture.LOCAL_IP);
        try {
            return new TcpSegment(buf, 0, hl + data.length, EngineFixture.REMOTE_IP, EngineFixture.LOCAL_IP);
        } catch (MalformedPacketException e) {
            throw new AssertionError(e);
        }
    }

    /** Feeds it to the engine at the fixture's current time. */
    void send() {
        fx.stack.onSegment(fx.now, build());
    }
}
