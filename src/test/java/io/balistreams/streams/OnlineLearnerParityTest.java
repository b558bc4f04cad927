package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.DriftAlert;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.internal.LearnerModel;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.eval.PrequentialEvaluation;
import io.balistreams.eval.SeaConcepts;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.ScoredEvent;
import io.balistreams.streams.serde.AvroSerde;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The service and {@code eval prequential} run one protocol ({@code OnlineLearner}): the same labelled
 * events through the topology and through the evaluation give the same predictions, alarms and metrics,
 * and a bit-identical model — with the monitor on, on a stream whose concept jumps, so that adaptive
 * forgetting takes part.
 */
class OnlineLearnerParityTest {
    @TempDir
    Path stateDir;

    @Test
    void theTopologyAndEvalPrequentialLearnTheSameModelWithTheSameMetricsAndAlarms() {
        final int n = 3000;
        final int window = 250;
        final SeaConcepts sea = new SeaConcepts(7, 1000, 0.05);
        final double[][] x = new double[n][3];
        final double[] y = new double[n];
        final int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = sea.next(x[i]);
            if (i >= n / 2 && i < n / 2 + 500) {
                labels[i] = 1 - labels[i]; // a concept that no model recovers from unnoticed: the labels flip
            }
            y[i] = labels[i];
        }
        final Map<String, String> settings = Map.of("bali.model.hidden", "16", "bali.model.batch.size", "16",
                "bali.model.beta", "0.95", "bali.metrics.every", Integer.toString(window));

        final List<Prediction> served;
        final List<ModelMetrics> emitted;
        final List<DriftAlert> alerts;
        final LearnerModel stored;
        final ServiceConfig config;
        try (TopologyHarness h = new TopologyHarness(stateDir, settings)) {
            config = h.config;
            for (int i = 0; i < n; i++) {
                h.send(TopologyHarness.event("e" + i, "m", x[i], y[i]));
            }
            served = h.predictions.readValuesToList();
            emitted = h.metrics.readValuesToList();
            alerts = h.driftAlerts.readValuesToList();
            stored = AvroSerde.of(LearnerModel.class).decode(
                    h.driver.<String, byte[]>getKeyValueStore(LearnerProcessor.MODEL_STORE).get("m"));
        }

        final BaliConfig engine = config.modelDefaults().toBaliConfig(3);
        final LearnerSettings learnerSettings = new LearnerSettings(config.monitorSettings(null), config.driftLoss(),
                config.oodScore(), window);
        final List<ScoredEvent> scored = new ArrayList<>();
        final PrequentialEvaluation.Result eval = PrequentialEvaluation.run(
                io.balistreams.online.OnlineLearner.create("m", engine, List.of(), learnerSettings), x, y, null,
                (i, e) -> scored.add(e));

        // the model: bit-identical state, same version
        assertThat(stored.getSnapshot().getModelVersion()).isEqualTo(eval.learner().version()).isEqualTo(n / 16);
        assertThat(ModelStateCodec.encode(ModelStateCodec.fromRecord(((io.balistreams.avro.BaliModelState) stored.getSnapshot().getState()))))
                .isEqualTo(ModelStateCodec.encode(eval.learner().model()));
        // every served prediction is the evaluation's, to the bit
        assertThat(served).hasSize(n);
        for (int i = 0; i < n; i++) {
            final double[] p = scored.get(i).classification().probabilities();
            assertThat(served.get(i).getClassification().getProbabilities())
                    .as("event %d", i).containsExactly(p[0], p[1]);
            assertThat(served.get(i).getOodFlag()).as("event %d", i).isEqualTo(scored.get(i).oodFlag());
        }
        // the monitor fired, and the same way in both
        assertThat(eval.driftAlarms()).as("drift alarms on a stream with two concept jumps").isPositive();
        assertThat(alerts).extracting(a -> a.getPosition() + " " + a.getDetector() + " " + a.getLevel())
                .containsExactlyElementsOf(eval.alarms().stream()
                        .map(a -> a.position() + " " + a.detector() + " " + a.level()).toList());
        // metrics: every window and the cumulative figures, exactly
        assertThat(emitted).hasSize(n / window);
        for (int w = 0; w < emitted.size(); w++) {
            final Map<String, Double> expected = new java.util.LinkedHashMap<>(eval.windows().get(w));
            expected.remove("end");
            assertThat(emitted.get(w).getWindow()).as("window %d", w).isEqualTo(expected);
        }
        assertThat(emitted.get(emitted.size() - 1).getCumulative()).isEqualTo(eval.cumulative());
        assertThat(eval.learner().monitor().exportState()).isNotEqualTo(
                new ModelMonitor(config.monitorSettings(null), engine.beta(), engine.effectiveMemory()).exportState());
    }
}
