package dev.handoff.itest;

import dev.handoff.cli.Topology;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Transfers of a few megabytes through our impairment relay between the peer and the
 * bridge at the top of the range the issue names: 5 % loss, 2 % reordering, 1 %
 * duplication, 0.1 % corruption and 5 ms of delay each way. Everything must still arrive
 * byte-exact. ({@link ImpairedPathTest} runs the full-size transfers at 1 % loss.)
 */
class HeavyLossPathTest extends PeerFixture {
    @Override
    List<String> agentOptions() {
        return List.of(); // the defaults: AF_PACKET, one loop per core
    }

    @Override
    void files(Path www) throws Exception {
        Shell.randomFile(www, "4m.bin", 4 << 20, 11);
        Shell.randomFile(www, "1m.bin", 1 << 20, 12);
    }

    @Override
    Topology topology() throws Exception {
        return relayed("--loss", "0.05", "--reorder", "0.02", "--duplicate", "0.01", "--corrupt", "0.001",
                "--delay-ms", "5", "--jitter-ms", "4", "--seed", "7");
    }

    @Test
    void curlDownloadIsByteExact() throws Exception {
        download("4m.bin");
    }

    @Test
    void rangeAndKeepAliveStillWork() throws Exception {
        rangeAndKeepAlive();
    }

    @Test
    void socatEchoIsByteExactBothWays() throws Exception {
        echo(4 << 20, 13);
    }

    @Test
    void tenParallelDownloads() throws Exception {
        parallelDownloads(BASE, 10);
    }
}
