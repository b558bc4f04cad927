package io.balistreams.streams;

import io.balistreams.streams.DelayedLabelsTopologyTest.JoinScript;
import static io.balistreams.streams.TopologyHarness.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.DriftAlert;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.ModelPosterior;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.internal.LearnerModel;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.ServingPosterior;
import io.balistreams.bali.ServingPosteriorCodec;
import io.balistreams.eval.SeaConcepts;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;
import io.balistreams.streams.serde.AvroSerde;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Distributed scoring ({@code bali.scoring=distributed}): events are scored by {@link ScorerProcessor} with the
 * published posteriors, and only training examples reach the learner. In a {@code TopologyTestDriver} a
 * publication reaches the global store before the next input record, so with {@code bali.posterior.every=1}
 * every event is scored by the posterior of the latest update — which makes the two modes comparable bit for
 * bit; the delayed-labels case is compared with the online learner fed the same calls.
 */
class DistributedScoringTopologyTest {
    @TempDir
    Path stateDir;

    @TempDir
    Path otherStateDir;

    private static final Map<String, String> REGRESSION = Map.of("bali.model.task", "regression",
            "bali.model.hidden", "8", "bali.model.batch.size", "8", "bali.model.input.dimension", "3",
            "bali.scoring", "distributed", "bali.posterior.every", "1");

    @Test
    void withEveryUpdatePublishedDistributedScoringServesAndLearnsExactlyWhatTheLearnerTaskDoes() {
        final int n = 3000;
        final Run[] runs = learnerTaskAndScorers(new SeaConcepts(7, 1000, 0.05), n, Map.of("bali.model.hidden", "16",
                "bali.model.batch.size", "16", "bali.model.beta", "0.95", "bali.metrics.every", "250",
                "bali.posterior.every", "1"));
        final Run learnerTask = runs[0];
        final Run scorers = runs[1];
        assertThat(scorers.alerts).as("the concept jumps: the loss detector fires").isNotEmpty();
        assertThat(scorers.alerts).usingRecursiveFieldByFieldElementComparatorIgnoringFields("emittedAt")
                .isEqualTo(learnerTask.alerts);
        // the metrics count the same served predictions; eventsScored counts the learner's training examples
        assertThat(scorers.metrics).hasSameSizeAs(learnerTask.metrics).hasSize(n / 250);
        for (int i = 0; i < scorers.metrics.size(); i++) {
            final ModelMetrics a = learnerTask.metrics.get(i);
            final ModelMetrics b = scorers.metrics.get(i);
            assertThat(b.getCumulative()).isEqualTo(a.getCumulative());
            assertThat(b.getWindow()).isEqualTo(a.getWindow());
            assertThat(b.getEventsScored()).isEqualTo(a.getEventsScored()).isEqualTo(250L * (i + 1));
            assertThat(b.getWindowVersionsBehind()).isEqualTo(0.0);
        }
    }

    @Test
    void aMixtureOverMemoriesIsServedByItsPublishedPosteriorExactlyAsByItsLearnerAndReportsItsWeights() {
        final int n = 1200;
        final Run[] runs = learnerTaskAndScorers(new SeaConcepts(3, 600, 0.05), n, Map.of("bali.model.hidden", "4,4",
                "bali.model.activation", "tanh", "bali.model.experts", "40x4,400x16", "bali.metrics.every", "300",
                "bali.posterior.every", "1"));
        final Run learnerTask = runs[0];
        final Run scorers = runs[1];
        assertThat(learnerTask.deadLetters).isEmpty();
        for (int i = 0; i < n; i++) {
            final Prediction a = learnerTask.predictions.get(i);
            assertThat(a.getMemoryWeights()).as("prediction %d", i).containsOnlyKeys("40x4", "400x16");
            assertThat(a.getMemoryWeights().values().stream().mapToDouble(Double::doubleValue).sum())
                    .isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-12));
        }
        // labels are handed over every 4 (the smallest expert batch): after 1,200 labels 300 + 75 updates
        assertThat(learnerTask.predictions.get(n - 1).getModelVersion()).isEqualTo(299 + 74);
        assertThat(learnerTask.metrics).hasSize(4);
        final ModelMetrics last = learnerTask.metrics.get(3);
        assertThat(last.getMemoryWeights()).containsOnlyKeys("40x4", "400x16");
        assertThat(scorers.metrics.get(3).getMemoryWeights()).isEqualTo(last.getMemoryWeights());
        // at the weights that served the last prediction (before the last label's update) the short memory
        // leads: the concept changes every 600 events
        assertThat(learnerTask.predictions.get(n - 1).getMemoryWeights().get("40x4")).isGreaterThan(0.5);
    }

    /**
     * The first {@code n} events of {@code sea} through a learner task and through distributed scorers with the same
     * settings; asserts what both must share (no dead letter at the scorers, the same model, every prediction
     * equal but for its wall-clock time) and returns {learner task, scorers}.
     */
    private Run[] learnerTaskAndScorers(final SeaConcepts sea, final int n, final Map<String, String> common) {
        final double[][] x = new double[n][3];
        final double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = sea.next(x[i]);
        }
        final Map<String, String> distributed = new HashMap<>(common);
        distributed.put("bali.scoring", "distributed");
        final Run learnerTask = run(stateDir, common, x, y);
        final Run scorers = run(otherStateDir, distributed, x, y);
        assertThat(scorers.deadLetters).isEmpty();
        assertThat(scorers.model).isEqualTo(learnerTask.model);
        assertThat(scorers.predictions).hasSize(n);
        for (int i = 0; i < n; i++) {
            final Prediction a = learnerTask.predictions.get(i);
            final Prediction b = scorers.predictions.get(i);
            b.setScoredAt(a.getScoredAt());
            assertThat(b).as("prediction %d", i).isEqualTo(a);
        }
        return new Run[] {learnerTask, scorers};
    }

    private record Run(List<Prediction> predictions, List<ModelMetrics> metrics, List<DriftAlert> alerts,
                       List<DeadLetter> deadLetters, byte[] model) {
    }

    private static Run run(final Path dir, final Map<String, String> settings, final double[][] x, final double[] y) {
        try (TopologyHarness h = new TopologyHarness(dir, settings)) {
            for (int i = 0; i < x.length; i++) {
                h.send(event("e" + i, "m", x[i], y[i]));
            }
            final LearnerModel stored = AvroSerde.of(LearnerModel.class).decode(
                    h.driver.<String, byte[]>getKeyValueStore(LearnerProcessor.MODEL_STORE).get("m"));
            return new Run(h.predictions.readValuesToList(), h.metrics.readValuesToList(),
                    h.driftAlerts.readValuesToList(), h.deadLetters.readValuesToList(),
                    AvroSerde.of(io.balistreams.avro.ModelSnapshot.class).encode(stored.getSnapshot()));
        }
    }

    @Test
    void delayedLabelsOutOfOrderTrainTheEngineInArrivalOrderAgainstThePredictionsOfThePublishedPosteriors() {
        final DelayedLabelsTopologyTest.DelayedStream stream = DelayedLabelsTopologyTest.DelayedStream.of(160);
        final int n = stream.x().length;
        final double[][] x = stream.x();
        final double[] y = stream.y();
        final List<Integer> order = stream.order();
        final Map<String, String> settings = new HashMap<>(REGRESSION);
        settings.put("bali.metrics.every", Integer.toString(n));
        settings.put("bali.posterior.every", "2");

        final List<Prediction> served;
        final List<ModelPosterior> published;
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
            published = h.posteriors.readValuesToList();
            metrics = h.metrics.readValuesToList();
            stored = AvroSerde.of(LearnerModel.class).decode(
                    h.driver.<String, byte[]>getKeyValueStore(LearnerProcessor.MODEL_STORE).get("m"));
            assertThat(h.deadLetters.isEmpty()).isTrue();
        }

        // every prediction is the closed form of a published posterior (or of the prior, version 0), and the
        // version it names is the latest publication before the event
        final Map<Long, ServingPosterior> byVersion = new HashMap<>();
        for (final ModelPosterior p : published) {
            byVersion.put(p.getModelVersion(), ServingPosteriorCodec.fromRecord(p));
        }
        assertThat(byVersion.keySet()).as("one publication at creation, then every second update")
                .containsExactlyInAnyOrder(0L, 2L, 4L, 6L, 8L, 10L, 12L, 14L, 16L, 18L, 20L);
        assertThat(served).hasSize(n);
        final Map<Integer, Prediction> servedByEvent = new HashMap<>();
        long lastVersion = 0;
        for (final Prediction p : served) {
            final int i = Integer.parseInt(p.getEventId().substring(1));
            servedByEvent.put(i, p);
            assertThat(p.getModelVersion() % 2).isZero();
            assertThat(p.getModelVersion()).isGreaterThanOrEqualTo(lastVersion);
            lastVersion = p.getModelVersion();
            final RegressionPrediction expected = byVersion.get(p.getModelVersion()).predict(x[i]);
            assertThat(p.getRegression().getMean()).isEqualTo(expected.mean());
            assertThat(p.getRegression().getStdTotal()).isEqualTo(expected.standardDeviation());
            assertThat(p.getLeverage()).isEqualTo(expected.leverage());
        }
        assertThat(lastVersion).as("later events are served by later posteriors").isGreaterThan(4);

        // the reference: the online learner fed the served predictions in the labels' order of arrival
        final BaliConfig engine = config.modelDefaults().toBaliConfig(3);
        final OnlineLearner reference = OnlineLearner.create("m", engine, List.of(),
                new LearnerSettings(config.monitorSettings(null), config.driftLoss(), config.oodScore(), n));
        for (final int step : order) {
            if (step < 0) {
                final int i = -1 - step;
                final Prediction p = servedByEvent.get(i);
                final ScoredEvent scored = reference.scoredElsewhere(1_000L + i, p.getModelVersion(), x[i],
                        byVersion.get(p.getModelVersion()).predict(x[i]), null, p.getOodScore());
                reference.lateLabel(scored, y[i], 5_000L + i, 0);
                if (reference.batchDue()) {
                    reference.learn();
                }
            }
        }
        assertThat(stored.getSnapshot().getModelVersion()).isEqualTo(reference.version()).isEqualTo(n / 8);
        assertThat(ModelStateCodec.encode(ModelStateCodec.fromRecord(((io.balistreams.avro.BaliModelState) stored.getSnapshot().getState()))))
                .isEqualTo(ModelStateCodec.encode(reference.model()));

        // the metrics count the served means
        double squares = 0;
        for (int i = 0; i < n; i++) {
            final double r = y[i] - servedByEvent.get(i).getRegression().getMean();
            squares += r * r;
        }
        assertThat(metrics).hasSize(1);
        final ModelMetrics m = metrics.get(0);
        assertThat(m.getCumulative().get("rmse")).isCloseTo(Math.sqrt(squares / n), within(1e-12));
        assertThat(m.getCumulative()).isEqualTo(reference.cumulativeMetrics());
        assertThat(m.getLabelsSeen()).isEqualTo(n);
        assertThat(m.getLabelsJoined()).isEqualTo(n);
        assertThat(m.getWindowLabelDelayMs()).isEqualTo(4_000.0);
        assertThat(m.getWindowLabelDelayEvents()).as("the learner sees only training examples").isNull();
        assertThat(m.getWindowVersionsBehind()).isPositive().isEqualTo(reference.windowVersionsBehind());
    }

    @Test
    void labelsThatJoinNothingAreDeadLetteredInTheScoringTaskAndTheLearnerCountsExpiredAndEvictedEvents() {
        try (TopologyHarness h = new TopologyHarness(stateDir, JoinScript.settings(REGRESSION))) {
            JoinScript.send(h);
            h.send(event("g", "m", new double[]{1, 2}, null, 1_800)); // wrong dimension: refused by the scorer

            final List<DeadLetter> dead = h.deadLetters.readValuesToList();
            assertThat(dead).extracting(DeadLetter::getReason).containsExactly(
                    DeadLetterReason.LABEL_UNKNOWN_EVENT, DeadLetterReason.LABEL_UNKNOWN_EVENT,
                    DeadLetterReason.LABEL_DUPLICATE, DeadLetterReason.LABEL_OUT_OF_RANGE,
                    DeadLetterReason.LABEL_EXPIRED, DeadLetterReason.LABEL_UNKNOWN_EVENT,
                    DeadLetterReason.WRONG_DIMENSION);
            JoinScript.assertDeadLetterDetails(dead, h);

            assertThat(h.predictions.readValuesToList()).extracting(Prediction::getEventId)
                    .containsExactly("a", "b", "inline", "c", "d", "e", "f");
            final List<ModelMetrics> metrics = h.metrics.readValuesToList();
            final ModelMetrics last = JoinScript.assertCountsOfTheLastMetrics(metrics);
            assertThat(last.getEventsScored()).as("the learner counts its training examples").isEqualTo(3);
            assertThat(last.getWindowLabelDelayMs()).isEqualTo(200.0); // f: 1,700 − 1,500
        }
    }

    @Test
    void eventsStopWaitingInStepsOfOnePercentOfTheBoundAndOfTheDelay() {
        final Map<String, String> settings = new HashMap<>(REGRESSION);
        settings.put("bali.metrics.every", "1");
        settings.put("bali.labels.max.delay.ms", "100000");  // expiry slack: 1,000 ms
        settings.put("bali.labels.max.waiting", "200");      // eviction chunk: 2 events
        try (TopologyHarness h = new TopologyHarness(stateDir, settings)) {
            final double[] x = {0.5, -1, 2};
            for (int i = 0; i <= 201; i++) {
                h.send(event("e" + i, "m", x, null, i));        // the 201st waiting event evicts e0 and e1
            }
            h.send(event("a", "m", x, 1.0, 100_502));           // e2 is 500 ms past the delay: within the slack
            h.sendLabel("e2", "m", 1.0, 100_502);               // joins
            h.send(event("b", "m", x, 1.0, 101_010));           // e3 is 1,007 ms past: e3..e201 expire at once
            h.sendLabel("e3", "m", 1.0, 101_010);

            assertThat(h.deadLetters.readValuesToList()).extracting(DeadLetter::getReason)
                    .containsExactly(DeadLetterReason.LABEL_EXPIRED);
            final List<ModelMetrics> metrics = h.metrics.readValuesToList();
            assertThat(metrics).extracting(ModelMetrics::getLabelsSeen).containsExactly(1L, 2L, 3L);
            assertThat(metrics.get(1).getLabelsExpired()).as("e2 joined within the slack").isZero();
            h.send(event("c", "m", x, 2.0, 101_020));
            final ModelMetrics last = h.metrics.readValuesToList().get(0);
            assertThat(last.getLabelsEvicted()).isEqualTo(2);
            assertThat(last.getLabelsExpired()).isEqualTo(199);   // e3 .. e201
            assertThat(last.getLabelsJoined()).isEqualTo(1);
        }
    }

    @Test
    void distributedScoringNeedsPublishedPosteriorsAndNoModelKeys() {
        final Map<String, String> settings = new HashMap<>(REGRESSION);
        settings.put("bali.posterior.every", "0");
        assertThatThrownBy(() -> ServiceConfig.from(settings)).hasMessageContaining("bali.posterior.every");
        final Map<String, String> keyed = new HashMap<>(REGRESSION);
        keyed.put("bali.events.keyed.by.model", "true");
        assertThatThrownBy(() -> ServiceConfig.from(keyed)).hasMessageContaining("bali.scoring=learner");
        assertThatThrownBy(() -> ServiceConfig.from(Map.of("bali.scoring", "everywhere")))
                .hasMessageContaining("learner or distributed");
    }
}
