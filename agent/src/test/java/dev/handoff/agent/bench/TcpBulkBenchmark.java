package dev.handoff.agent.bench;

import dev.handoff.agent.tcp.TcpConfig;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Bulk transfer between two engines in memory, one core, 1448-byte payloads (MSS 1460
 * with timestamps). One operation is one data segment: the score is ns per segment;
 * payload Gbit/s = 1448 * 8 / score; with {@code -prof gc}, gc.alloc.rate.norm is bytes
 * allocated per segment. Each invocation moves 16 MiB.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TcpBulkBenchmark {
    /** Bytes per invocation. */
    static final long BYTES = 16L << 20;
    /** Data segments per invocation: 16 MiB / 1448, rounded up. */
    static final int SEGMENTS = (int) ((BYTES + 1447) / 1448);

    /** Send and receive buffer per connection, KiB: 4096 is the default limit. */
    @Param({"4096", "1024", "256"})
    public int bufferKiB;

    private EnginePair pair;

    @Setup(Level.Trial)
    public void setUp() {
        pair = new EnginePair(TcpConfig.builder()
                .sendBufferSize(bufferKiB << 10).receiveBufferSize(bufferKiB << 10).build());
    }

    @Benchmark
    @OperationsPerInvocation(SEGMENTS)
    public long bulkTransferPerSegment() {
        return pair.transfer(BYTES);
    }
}
