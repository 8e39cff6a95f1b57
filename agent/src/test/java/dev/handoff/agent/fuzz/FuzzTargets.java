package dev.handoff.agent.fuzz;

import dev.handoff.agent.app.HttpFuzzTarget;
import dev.handoff.agent.ici.IciFuzzTarget;
import dev.handoff.agent.wire.FrameFuzzTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The fuzz targets (issue "Security": frame parsers and the TCP engine, the ICI decoder and
 * validator, the HTTP request parser) and their corpora: one directory per target under
 * {@code agent/src/test/resources/fuzz/}, seeds and the inputs fuzzing found interesting,
 * kept in the repository and replayed by every test run.
 */
final class FuzzTargets {
    /**
     * One target.
     *
     * @param type the class with {@code fuzzerTestOneInput(byte[])}
     * @param run that method
     */
    record Target(Class<?> type, Consumer<byte[]> run) {
        /** Its corpus directory's name. */
        String name() {
            return type.getSimpleName();
        }

        /** Its corpus in the repository's sources (for runs that add to it). */
        Path sourceCorpus() {
            return Path.of("src/test/resources/fuzz", name()).toAbsolutePath();
        }

        /** Its corpus as the test run sees it (a copy in target/test-classes). */
        Path corpus() {
            try {
                return Path.of(FuzzTargets.class.getResource("/fuzz/" + name()).toURI());
            } catch (URISyntaxException | NullPointerException e) {
                throw new IllegalStateException("no corpus for " + name() + " under src/test/resources/fuzz/: run"
                        + " FuzzSeeds to write its seeds", e);
            }
        }

        /** The inputs of its corpus, in name order. */
        List<Path> inputs() {
            try (Stream<Path> files = Files.list(corpus())) {
                return files.filter(Files::isRegularFile).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Every target. */
    static final List<Target> ALL = List.of(
            new Target(FrameFuzzTarget.class, FrameFuzzTarget::fuzzerTestOneInput),
            new Target(IciFuzzTarget.class, IciFuzzTarget::fuzzerTestOneInput),
            new Target(HttpFuzzTarget.class, HttpFuzzTarget::fuzzerTestOneInput));

    private FuzzTargets() {
    }
}
