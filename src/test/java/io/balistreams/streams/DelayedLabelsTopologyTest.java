package io.balistreams.streams;

import static io.balistreams.streams.TopologyHarness.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.internal.LearnerModel;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.Rng;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;
import io.balistreams.streams.serde.AvroSerde;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Labels that come after their events, on the labels topic: they join the scored event in the learner, are
 * learned against the prediction that was served, in their order of arrival; labels that join nothing are
 * dead-lettered with their reason, and expired or evicted events are counted.
 */
class DelayedLabelsTopologyTest {
    @TempDir
    Path stateDir;

    private static final Map<String, String> REGRESSION = Map.of("bali.model.task", "regression",
            "bali.model.hidden", "8", "bali.model.batch.size", "8", "bali.model.input.dimension", "3");

    @Test
    void delayedLabelsOutOfOrderTrainTheEngineInArrivalOrderAgainstTheServedPredictions() {
        final DelayedStream stream = DelayedStream.of(160);
        final int n = stream.x().length;
        final double[][] x = stream.x();
        final double[] y = stream.y();
        final List<Integer> order = stream.order();
        final Map<String, String> settings = new HashMap<>(REGRESSION);
        settings.put("bali.metrics.every", Integer.toString(n));

        final List<Prediction> served;
        final List<ModelMetrics> metrics;
        final LearnerModel stored;
        final ServiceConfig config;
        try (TopologyHarness h = new TopologyHarness(stateDir, settings)) {
            config = h.config;
            for (final int step : order) {
                if (step >= 0) {
                    h.send(event("e" + step, "m", x[step], null, 1_000L + step));
                } else {
                    final int i = -1 - step;
                    h.sendLabel("e" + i, "m", y[i], 5_000L + i);
                }
            }
            served = h.predictions.readValuesToList();
            metrics = h.metrics.readValuesToList();
            stored = AvroSerde.of(LearnerModel.class).decode(
                    h.driver.<String, byte[]>getKeyValueStore(LearnerProcessor.MODEL_STORE).get("m"));
            assertThat(h.deadLetters.isEmpty()).isTrue();
        }

        // the reference: the online learner fed the same calls in the same order
        final BaliConfig engine = config.modelDefaults().toBaliConfig(3);
        final OnlineLearner reference = OnlineLearner.create("m", engine, List.of(),
                new LearnerSettings(config.monitorSettings(null), config.driftLoss(), config.oodScore(), n));
        final Map<Integer, ScoredEvent> scored = new HashMap<>();
        for (final int step : order) {
            if (step >= 0) {
                scored.put(step, reference.score(x[step], 1_000L + step));
            } else {
                final int i = -1 - step;
                reference.lateLabel(scored.get(i), y[i], 5_000L + i, 0);
                if (reference.batchDue()) {
                    reference.learn();
                }
            }
        }
        assertThat(stored.getSnapshot().getModelVersion()).isEqualTo(reference.version()).isEqualTo(n / 8);
        assertThat(ModelStateCodec.encode(ModelStateCodec.fromRecord(((io.balistreams.avro.BaliModelState) stored.getSnapshot().getState()))))
                .isEqualTo(ModelStateCodec.encode(reference.model()));

        // every event was served once, unlabelled; the metrics count the served means, not a re-score
        assertThat(served).hasSize(n).allSatisfy(p -> assertThat(p.getLabelled()).isFalse());
        double squares = 0;
        for (final Prediction p : served) {
            final int i = Integer.parseInt(p.getEventId().substring(1));
            assertThat(p.getRegression().getMean()).isEqualTo(scored.get(i).regression().mean());
            final double r = y[i] - p.getRegression().getMean();
            squares += r * r;
        }
        assertThat(metrics).hasSize(1);
        final ModelMetrics m = metrics.get(0);
        assertThat(m.getCumulative().get("rmse")).isCloseTo(Math.sqrt(squares / n), within(1e-12));
        assertThat(m.getCumulative()).isEqualTo(reference.cumulativeMetrics());
        assertThat(m.getLabelsSeen()).isEqualTo(n);
        assertThat(m.getLabelsJoined()).isEqualTo(n);
        assertThat(m.getWaitingForLabels()).isZero();
        assertThat(m.getWindowLabelDelayMs()).isEqualTo(4_000.0);
        assertThat(m.getWindowLabelDelayEvents()).isPositive();
        assertThat(m.getWindowVersionsBehind()).as("labels arrive after updates made since their event was served")
                .isPositive().isEqualTo(reference.windowVersionsBehind());
    }

    @Test
    void labelsThatJoinNothingAreDeadLetteredWithTheirReasonAndWaitingEventsExpireOrAreEvicted() {
        try (TopologyHarness h = new TopologyHarness(stateDir, JoinScript.settings(REGRESSION))) {
            JoinScript.send(h);

            final List<DeadLetter> dead = h.deadLetters.readValuesToList();
            assertThat(dead).extracting(DeadLetter::getReason).containsExactly(
                    DeadLetterReason.LABEL_UNKNOWN_EVENT, DeadLetterReason.LABEL_UNKNOWN_EVENT,
                    DeadLetterReason.LABEL_DUPLICATE, DeadLetterReason.LABEL_OUT_OF_RANGE,
                    DeadLetterReason.LABEL_EXPIRED, DeadLetterReason.LABEL_UNKNOWN_EVENT);
            JoinScript.assertDeadLetterDetails(dead, h);

            final List<ModelMetrics> metrics = h.metrics.readValuesToList();
            final ModelMetrics last = JoinScript.assertCountsOfTheLastMetrics(metrics);
            assertThat(last.getWaitingForLabels()).isEqualTo(2); // d and e
            assertThat(last.getWindowLabelDelayMs()).isEqualTo(200.0); // f: 1,700 − 1,500
        }
    }

    /**
     * However many events are labelled within the delay, the store keeps at most {@code bali.labels.max.waiting}
     * waiting events and as many markers: 1,000 events, each labelled after the next 50, with a bound of 100.
     */
    @Test
    void theStoreHoldsAtMostTwiceTheBoundWhateverTheEventRate() {
        final Map<String, String> settings = new HashMap<>(REGRESSION);
        settings.put("bali.labels.max.waiting", "100");
        final double[] x = {0.5, -1, 2};
        try (TopologyHarness h = new TopologyHarness(stateDir, settings)) {
            final org.apache.kafka.streams.state.KeyValueStore<String, Object> store =
                    h.driver.getKeyValueStore(AwaitingLabels.STORE);
            long largest = 0;
            for (int i = 0; i < 1_000; i++) {
                h.send(event("e" + i, "m", x, null, i));
                largest = Math.max(largest, store.approximateNumEntries());
                if (i >= 50) {
                    h.sendLabel("e" + (i - 50), "m", 1.0, i);
                }
                largest = Math.max(largest, store.approximateNumEntries());
            }
            assertThat(largest).as("entries never exceed waiting (51) + markers (100)").isEqualTo(51 + 100);
            // the latest 100 joined events keep their marker: a second label is a duplicate ...
            h.sendLabel("e" + 948, "m", 1.0, 1_000);
            // ... one joined 200 events earlier lost its marker to the bound: unknown
            h.sendLabel("e" + 700, "m", 1.0, 1_000);
            assertThat(h.deadLetters.readValuesToList()).extracting(DeadLetter::getReason)
                    .containsExactly(DeadLetterReason.LABEL_DUPLICATE, DeadLetterReason.LABEL_UNKNOWN_EVENT);
        }
    }

    @Test
    void badLabelBytesAndWronglyKeyedLabelsAreDeadLetteredAndAKeyedLabelJoinsInOneHop() {
        final Map<String, String> settings = new HashMap<>(REGRESSION);
        settings.put("bali.events.keyed.by.model", "true");
        settings.put("bali.metrics.every", "1");
        try (TopologyHarness h = new TopologyHarness(stateDir, settings)) {
            final byte[] m = "m".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            h.send(m, event("a", "m", new double[]{1, 2, 3}, null, 0));
            h.labels.pipeInput(m, new byte[]{1, 2, 3});
            h.labels.pipeInput("other".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    h.labelSerde.encode(new io.balistreams.avro.Label("a", "m", 1.0, java.time.Instant.ofEpochMilli(5))));
            h.labels.pipeInput(m, h.labelSerde.encode(new io.balistreams.avro.Label("a", null, 1.0,
                    java.time.Instant.ofEpochMilli(7))));
            h.labels.pipeInput(m, h.labelSerde.encode(new io.balistreams.avro.Label("a", "m", 1.0,
                    java.time.Instant.ofEpochMilli(9))));

            final List<DeadLetter> dead = h.deadLetters.readValuesToList();
            assertThat(dead).extracting(DeadLetter::getReason).containsExactly(DeadLetterReason.UNDECODABLE,
                    DeadLetterReason.KEY_NOT_MODEL_ID, DeadLetterReason.KEY_NOT_MODEL_ID);
            assertThat(dead).allSatisfy(d -> assertThat(d.getSourceTopic()).isEqualTo(h.config.labelsTopic()));
            assertThat(dead.get(2).getDetail()).contains("'default'", "'m'");
            final List<ModelMetrics> metrics = h.metrics.readValuesToList();
            assertThat(metrics).hasSize(1);
            assertThat(metrics.get(0).getLabelsJoined()).isEqualTo(1);
            assertThat(metrics.get(0).getWindowLabelDelayMs()).isEqualTo(9.0);
        }
    }

    /**
     * A label script over one model that exercises every way a label can fail to join, with
     * bali.labels.max.delay.ms = 1000 and bali.labels.max.waiting = 3 ({@link #settings}): a label for an event
     * never scored, one for an event scored with its label inside, a join (a), a second label (a), a label that
     * is not a number (b keeps waiting), an expiry (b, by the event clock), eviction past the bound (c) and a
     * second join (f). Shared with the distributed-scoring test, which adds its own events after it.
     */
    static final class JoinScript {
        private JoinScript() {
        }

        static Map<String, String> settings(final Map<String, String> base) {
            final Map<String, String> settings = new HashMap<>(base);
            settings.put("bali.metrics.every", "1");
            settings.put("bali.labels.max.delay.ms", "1000");
            settings.put("bali.labels.max.waiting", "3");
            return settings;
        }

        static void send(final TopologyHarness h) {
            final double[] x = {0.5, -1, 2};
            h.send(event("a", "m", x, null, 0));
            h.send(event("b", "m", x, null, 100));
            h.send(event("inline", "m", x, 1.5, 200));
            h.sendLabel("nobody", "m", 1.0, 300);              // never scored
            h.sendLabel("inline", "m", 1.0, 300);              // scored with its label inside
            h.sendLabel("a", "m", 2.0, 400);                   // joins
            h.sendLabel("a", "m", 2.0, 450);                   // second label
            h.sendLabel("b", "m", "three", 500);              // not a number: b keeps waiting
            h.send(event("c", "m", x, null, 1_200));           // the clock passes b's 100 + 1000: b expires
            h.sendLabel("b", "m", 3.0, 1_250);                 // too late
            h.send(event("d", "m", x, null, 1_300));
            h.send(event("e", "m", x, null, 1_400));
            h.send(event("f", "m", x, null, 1_500));           // 4 waiting (c, d, e, f) > 3: c is evicted
            h.sendLabel("c", "m", 1.0, 1_600);
            h.sendLabel("f", "m", 4.0, 1_700);                 // joins
        }

        /** The details of the script's first six dead letters (the reasons are asserted by each test). */
        static void assertDeadLetterDetails(final List<DeadLetter> dead, final TopologyHarness h) {
            assertThat(dead.get(0).getDetail()).contains("nobody", "no scored event is waiting");
            assertThat(dead.get(3).getDetail()).contains("keeps waiting");
            assertThat(dead.get(4).getDetail()).contains("1000 ms");
            assertThat(dead.get(5).getDetail()).contains("bali.labels.max.waiting = 3");
            assertThat(dead).allSatisfy(d -> assertThat(d.getModelId()).isEqualTo("m"));
            assertThat(dead.get(2).getPayload()).isEqualTo(java.nio.ByteBuffer.wrap(h.labelSerde.encode(
                    new io.balistreams.avro.Label("a", "m", 2.0, java.time.Instant.ofEpochMilli(450)))));
        }

        /** Labels seen 1, 2, 3 and the last record's joined/expired/evicted counts; returns that record. */
        static ModelMetrics assertCountsOfTheLastMetrics(final List<ModelMetrics> metrics) {
            final ModelMetrics last = metrics.get(metrics.size() - 1);
            assertThat(metrics).extracting(ModelMetrics::getLabelsSeen).containsExactly(1L, 2L, 3L);
            assertThat(last.getLabelsJoined()).isEqualTo(2);
            assertThat(last.getLabelsExpired()).isEqualTo(1);
            assertThat(last.getLabelsEvicted()).isEqualTo(1);
            return last;
        }
    }

    /**
     * A linear regression stream of n events (3 features, noise 0.1) whose labels come later: after each event,
     * with probability 0.7, the label of a random waiting earlier event; the rest at the end in random order.
     * {@code order}: i ≥ 0 is event i, −1 − i is the label of event i. Shared with the distributed-scoring test.
     */
    record DelayedStream(double[][] x, double[] y, List<Integer> order) {
        static DelayedStream of(final int n) {
            final Rng rng = Rng.forStream(31, 0);
            final double[][] x = new double[n][3];
            final double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < 3; j++) {
                    x[i][j] = rng.nextGaussian();
                }
                y[i] = x[i][0] - 2 * x[i][1] + 0.5 * x[i][2] + 0.1 * rng.nextGaussian();
            }
            // the arrival order: every event unlabelled; after each event, the label of a random waiting
            // earlier event with probability 0.7; the rest at the end, in random order
            final List<Integer> order = new ArrayList<>(); // i >= 0: event i; -1 - i: the label of event i
            final List<Integer> waiting = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                order.add(i);
                waiting.add(i);
                if (i >= 4 && rng.nextDouble() < 0.7) {
                    order.add(-1 - waiting.remove((int) Math.floorMod(rng.nextLong(), (long) waiting.size())));
                }
            }
            while (!waiting.isEmpty()) {
                order.add(-1 - waiting.remove((int) Math.floorMod(rng.nextLong(), (long) waiting.size())));
            }
            return new DelayedStream(x, y, order);
        }
    }
}
