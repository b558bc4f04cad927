package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.Prediction;
import io.balistreams.local.EndToEndRun;
import io.balistreams.local.SoakRun;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.testing.Slow;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short soak (the 10-million-event one is {@code bali bench --soak}): 200,000 events through four models on
 * two partitions, half labelled inside the event, 40 % labelled later on the labels topic, 10 % never. At every
 * sample, every store that could grow with events is within its bound by design: one model, one progress and two
 * monitor entries per model, at most B queued labels per model, at most twice {@code bali.labels.max.waiting}
 * awaiting entries per task (waiting events and markers). After warm-up the heap after a full GC stays flat, and
 * every changelog is compacted (with small segments, so that 200,000 events fill several). Every event is
 * predicted exactly once.
 */
@Slow
class SoakTest {
    private static final int EVENTS = 200_000;
    private static final int MODELS = 4;
    private static final int PARTITIONS = 2;
    private static final int BATCH = 32;
    private static final int MAX_WAITING = 5_000;

    @RegisterExtension
    static final BrokerTestSupport.Broker kafka = new BrokerTestSupport.Broker();

    @Test
    void storesAreBoundedAndMemoryIsFlatOverALongRun(@TempDir final Path stateDir) {
        final Map<String, String> settings = BrokerTestSupport.settings(kafka.bootstrapServers(), "soak",
                stateDir.toString());
        settings.put("bali.model.task", "regression");
        settings.put("bali.model.input.dimension", "8");
        settings.put("bali.model.hidden", "16,16");
        settings.put("bali.model.batch.size", String.valueOf(BATCH));
        settings.put("bali.snapshot.every", "100");
        settings.put("bali.labels.max.waiting", String.valueOf(MAX_WAITING));
        settings.put("topic.segment.bytes", String.valueOf(2 << 20));
        final ServiceConfig config = ServiceConfig.from(settings);
        final List<SoakRun.Sample> samples = new ArrayList<>();
        final SoakRun.Result result;
        try (BaliService service = new BaliService(config)) {
            service.createTopics(PARTITIONS, Optional.empty());
            service.start();
            service.awaitRunning(Duration.ofSeconds(60));
            result = SoakRun.run(service, new SoakRun.Settings(EVENTS, MODELS, PARTITIONS, 20_000, 5_000, 10_000), samples::add,
                    Duration.ofSeconds(120));
        }

        assertThat(result.predictions()).isEqualTo(EVENTS);
        assertThat(result.eventDeadLetters()).isZero();
        final AvroSerde<Prediction> predictions = AvroSerde.of(Prediction.class);
        final EndToEndRun.Answers answers = EndToEndRun.countAnswers(config,
                v -> predictions.decode(v).getEventId().toString(), EVENTS, Duration.ofSeconds(60));
        assertThat(answers.exactlyOnce()).as("%s", answers).isTrue();
        // a label is sent 10,000 events after its event, with at most 5,000 events unanswered (and the last ones once
        // every event was answered): its event has been scored and waits, so every label joins
        assertThat(result.labelDeadLetters()).as("%s %s", result.deadLetterReasons(), result.firstDeadLetters()).isZero();
        assertThat(result.labelsSent()).isEqualTo(EVENTS * 4L / 10);

        assertThat(samples).hasSizeGreaterThanOrEqualTo(10);
        for (final SoakRun.Sample s : samples) {
            final Map<String, Long> n = s.storeEntries();
            assertThat(n.get("bali-models")).as("models at %d", s.answered()).isEqualTo(MODELS);
            assertThat(n.get("bali-progress")).as("progress at %d", s.answered()).isEqualTo(MODELS);
            assertThat(n.get("bali-monitor")).as("monitor at %d", s.answered()).isEqualTo(2L * MODELS);
            assertThat(n.get("bali-pending")).as("queued labels at %d", s.answered()).isLessThanOrEqualTo((long) MODELS * BATCH);
            assertThat(n.get("bali-awaiting")).as("awaiting at %d", s.answered())
                    .isLessThanOrEqualTo(2L * MAX_WAITING * PARTITIONS);
        }
        // the awaiting store reaches its bound (10 % of the events are never labelled) and stays there
        assertThat(samples.get(samples.size() - 1).storeEntries().get("bali-awaiting"))
                .isGreaterThan((long) MAX_WAITING * PARTITIONS);

        // flat after warm-up (the first quarter): the heap after a full GC of the whole JVM (broker included)
        final int warm = samples.size() / 4;
        final long heapAtWarm = samples.get(warm).heapAfterGcBytes();
        for (final SoakRun.Sample s : samples.subList(warm, samples.size())) {
            assertThat(s.heapAfterGcBytes()).as("heap after GC at %d (at warm-up %d)", s.answered(), heapAtWarm)
                    .isLessThan(heapAtWarm + heapAtWarm / 5 + (16 << 20));
        }
        // every changelog with many writes was compacted during the run: its size fell between two samples
        for (final String changelog : List.of("soak-bali-models-changelog", "soak-bali-awaiting-changelog")) {
            boolean fell = false;
            for (int i = 1; i < samples.size(); i++) {
                fell |= samples.get(i).changelogBytes().get(changelog) < samples.get(i - 1).changelogBytes().get(changelog);
            }
            assertThat(fell).as("%s compacted: %s", changelog, samples.stream()
                    .map(s -> s.changelogBytes().get(changelog)).toList()).isTrue();
        }
    }
}
