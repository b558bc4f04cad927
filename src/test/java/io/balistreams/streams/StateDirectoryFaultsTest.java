package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.balistreams.avro.Event;
import io.balistreams.avro.Prediction;
import io.balistreams.local.EndToEndRun;
import io.balistreams.local.SyntheticRegression;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.testing.Slow;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A state directory that cannot be written. Refused before anything starts, with the directory and the reason; and
 * a disk that fills while the service runs (a small tmpfs, filled by a ballast file): the service stops with one
 * line that says so, and once space is free a restart on the same directory restores from the changelogs and
 * continues exactly once, every prediction equal to that of a service that never failed. Mounting needs root (as
 * on the CI machine); elsewhere these tests are skipped with a message.
 */
@Slow
class StateDirectoryFaultsTest {
    private static final int INPUTS = 8;

    @RegisterExtension
    static final BrokerTestSupport.Broker kafka = new BrokerTestSupport.Broker();

    @Test
    void aStateDirectoryThatCannotBeWrittenIsRefusedBeforeAnythingStarts(@TempDir final Path dir) throws Exception {
        final Path mountPoint = Files.createDirectory(dir.resolve("read-only"));
        final Optional<String> reason;
        try (SmallFilesystem fs = SmallFilesystem.mount(mountPoint, "1m", true).orElse(null)) {
            if (fs == null) {
                // not root: a directory without write permission does the same
                assumeTrue(mountPoint.toFile().setWritable(false, false) && !Files.isWritable(mountPoint),
                        "neither a read-only mount nor a read-only directory can be made here: skipped");
                reason = Optional.of("permission denied");
            } else {
                reason = Optional.of("read-only file system");
            }
            final Map<String, String> settings = BrokerTestSupport.settings(kafka.bootstrapServers(), "ro",
                    mountPoint.resolve("state").toString());
            assertThatThrownBy(() -> new BaliService(ServiceConfig.from(settings)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("the state directory " + mountPoint.resolve("state") + " cannot be written: "
                            + reason.get() + " (state.dir must be a directory this user can write");
        } finally {
            mountPoint.toFile().setWritable(true, false);
        }
    }

    @Test
    void aFullDiskStopsTheServiceClearlyAndARestartContinuesExactlyOnce(@TempDir final Path dir) throws Exception {
        final Path mountPoint = Files.createDirectory(dir.resolve("small-disk"));
        final Optional<SmallFilesystem> mounted = SmallFilesystem.mount(mountPoint, "48m", false);
        assumeTrue(mounted.isPresent(), "a small filesystem cannot be mounted here (tmpfs needs root): skipped");
        try (SmallFilesystem fs = mounted.get()) {
            final ServiceConfig onSmallDisk = config("full", mountPoint.resolve("state"));
            final ServiceConfig reference = config("ref", dir.resolve("ref-state"));
            final AvroSerde<Event> events = AvroSerde.of(Event.class);
            final SyntheticRegression data = new SyntheticRegression(INPUTS);
            long sent = 0;
            try (BaliService service = new BaliService(onSmallDisk);
                 BaliService referenceService = new BaliService(reference);
                 KafkaProducer<byte[], byte[]> producer = BrokerTestSupport.producer(kafka.bootstrapServers())) {
                for (final BaliService s : List.of(service, referenceService)) {
                    s.createTopics(1, Optional.empty());
                    s.start();
                    s.awaitRunning(Duration.ofSeconds(60));
                }
                sent = send(producer, events, data, sent, 2_000, onSmallDisk, reference);
                awaitPredictions(onSmallDisk, sent);
                final Path ballast = fill(mountPoint.resolve("ballast"));
                // the stores' next flushes need space that is not there
                while (service.failure().isEmpty() && sent < 400_000) {
                    sent = send(producer, events, data, sent, 2_000, onSmallDisk, reference);
                    Thread.sleep(100);
                }
                assertThat(service.awaitStop(Duration.ofSeconds(60))).isTrue();
                assertThat(service.failureDescription()).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                        .startsWith("the state directory " + mountPoint.resolve("state") + " could not be written (no "
                                + "space left on device: ")
                        .endsWith("start it again: it restores its state from the changelog topics and continues "
                                + "exactly once");
                service.close(Duration.ofSeconds(10));
                Files.delete(ballast);

                // the same directory, with space again
                try (BaliService restarted = new BaliService(onSmallDisk)) {
                    restarted.start();
                    restarted.awaitRunning(Duration.ofSeconds(120));
                    sent = send(producer, events, data, sent, 2_000, onSmallDisk, reference);
                    final Map<String, String> afterRestart = awaitPredictions(onSmallDisk, sent);
                    final Map<String, String> uninterrupted = awaitPredictions(reference, sent);
                    assertThat(afterRestart).hasSize((int) sent);
                    assertThat(afterRestart).as("every prediction as if the disk had never filled")
                            .isEqualTo(uninterrupted);
                    assertThat(restarted.failure()).isEmpty();
                }
            }
            final AvroSerde<Prediction> predictions = AvroSerde.of(Prediction.class);
            final EndToEndRun.Answers answers = EndToEndRun.countAnswers(onSmallDisk,
                    v -> predictions.decode(v).getEventId().toString(), sent, Duration.ofSeconds(60));
            assertThat(answers.exactlyOnce()).as("%s", answers).isTrue();
        }
    }

    private static ServiceConfig config(final String app, final Path stateDir) {
        final Map<String, String> s = BrokerTestSupport.settings(kafka.bootstrapServers(), app, stateDir.toString());
        s.put("bali.model.task", "regression");
        s.put("bali.model.input.dimension", String.valueOf(INPUTS));
        s.put("bali.model.hidden", "64,64");
        s.put("bali.model.batch.size", "8");
        return ServiceConfig.from(s);
    }

    /** Sends events {@code from .. from + n - 1} (model "m") to the events topics of both configurations. */
    private static long send(final KafkaProducer<byte[], byte[]> producer, final AvroSerde<Event> serde,
                             final SyntheticRegression data, final long from, final int n, final ServiceConfig... to) {
        final double[] x = new double[INPUTS];
        for (long i = from; i < from + n; i++) {
            final double y = data.next(x);
            final byte[] value = serde.encode(new Event("e" + i, "m", Instant.ofEpochMilli(1_000_000 + i),
                    Arrays.stream(x).boxed().toList(), y));
            for (final ServiceConfig c : to) {
                producer.send(new ProducerRecord<>(c.eventsTopic(), "m".getBytes(StandardCharsets.UTF_8), value));
            }
        }
        producer.flush();
        return from + n;
    }

    /**
     * Reads the committed predictions until there are {@code expected}; returns each event's prediction without
     * its wall-clock field (scoredAt), as text.
     */
    private static Map<String, String> awaitPredictions(final ServiceConfig config, final long expected) {
        final AvroSerde<Prediction> serde = AvroSerde.of(Prediction.class);
        final Map<String, String> byEvent = new HashMap<>();
        final Map<String, Object> p = new HashMap<>(config.clientProperties());
        p.put("isolation.level", "read_committed");
        p.put("auto.offset.reset", "earliest");
        p.put("group.id", "check-" + System.nanoTime());
        p.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(config.predictionsTopic()));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            long read = 0;
            while (read < expected) {
                assertThat(System.nanoTime()).as("%d of %d predictions of %s", read, expected,
                        config.eventsTopic()).isLessThan(deadline);
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    final Prediction prediction = serde.decode(r.value());
                    prediction.setScoredAt(Instant.EPOCH);
                    assertThat(byEvent.put(prediction.getEventId().toString(), prediction.toString()))
                            .as("a second prediction of %s", prediction.getEventId()).isNull();
                    read++;
                }
            }
        }
        return byEvent;
    }

    /** Writes a file of zeros until the filesystem is full; returns it. */
    private static Path fill(final Path file) throws IOException {
        final byte[] chunk = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(chunk);
            }
        } catch (final IOException full) {
            assertThat(full.getMessage()).containsIgnoringCase("no space left");
        }
        return file;
    }

    /** A tmpfs of a given size mounted on a directory for one test ({@code mount} needs root). */
    private record SmallFilesystem(Path mountPoint) implements AutoCloseable {
        static Optional<SmallFilesystem> mount(final Path mountPoint, final String size, final boolean readOnly) {
            if (!System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                return Optional.empty();
            }
            try {
                final Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size + (readOnly ? ",ro" : ""),
                        "tmpfs", mountPoint.toString()).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0
                        ? Optional.of(new SmallFilesystem(mountPoint)) : Optional.empty();
            } catch (final IOException e) {
                return Optional.empty();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }

        @Override
        public void close() throws IOException, InterruptedException {
            final Process p = new ProcessBuilder("umount", "-l", mountPoint.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
