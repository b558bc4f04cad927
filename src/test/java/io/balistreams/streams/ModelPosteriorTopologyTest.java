package io.balistreams.streams;

import static io.balistreams.streams.TopologyHarness.event;
import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.ModelPosterior;
import io.balistreams.avro.Prediction;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.Rng;
import io.balistreams.bali.ServingPosterior;
import io.balistreams.bali.ServingPosteriorCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The learner publishes each model's serving posterior; it scores like the service at its version. */
class ModelPosteriorTopologyTest {
    @TempDir
    Path stateDir;

    @Test
    void aPublishedPosteriorPredictsEveryEventOfItsVersionExactlyAsTheServiceServedIt() {
        final int n = 64;
        final Rng rng = Rng.forStream(41, 0);
        final double[][] x = new double[n][2];
        final int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i][0] = rng.nextGaussian();
            x[i][1] = rng.nextGaussian();
            y[i] = x[i][0] > x[i][1] ? 1 : 0;
        }
        try (TopologyHarness h = new TopologyHarness(stateDir, Map.of("bali.model.hidden", "8",
                "bali.model.batch.size", "8", "bali.posterior.every", "2", "bali.model.class.names", "no,yes"))) {
            for (int i = 0; i < n; i++) {
                h.send(event("e" + i, "m", x[i], (double) y[i]));
            }
            final List<Prediction> served = h.predictions.readValuesToList();
            final List<ModelPosterior> posteriors = h.posteriors.readValuesToList();
            // one at creation, then after every second update: versions 0, 2, 4, 6, 8
            assertThat(posteriors).extracting(ModelPosterior::getModelVersion).containsExactly(0L, 2L, 4L, 6L, 8L);
            assertThat(posteriors).allSatisfy(p -> assertThat(p.getModelId()).isEqualTo("m"));
            assertThat(posteriors.get(0).getClassNames()).containsExactly("no", "yes");
            int checked = 0;
            for (final ModelPosterior record : posteriors) {
                final ServingPosterior posterior = ServingPosteriorCodec.fromRecord(record);
                for (int i = 0; i < n; i++) {
                    if (served.get(i).getModelVersion() != record.getModelVersion()) {
                        continue;
                    }
                    final ClassificationPrediction c = posterior.classify(x[i]);
                    final List<Double> p = served.get(i).getClassification().getProbabilities();
                    assertThat(p).as("event %d", i).containsExactly(c.probabilities()[0], c.probabilities()[1]);
                    assertThat(served.get(i).getLeverage()).isEqualTo(c.leverage());
                    checked++;
                }
            }
            assertThat(checked).as("the events served at versions 0, 2, 4 and 6").isEqualTo(32);
        }
        try (TopologyHarness h = new TopologyHarness(stateDir.resolve("off"), Map.of("bali.posterior.every", "0",
                "bali.model.batch.size", "8"))) {
            for (int i = 0; i < 16; i++) {
                h.send(event("e" + i, "m", x[i], (double) y[i]));
            }
            assertThat(h.posteriors.isEmpty()).isTrue();
            assertThat(h.predictions.readValuesToList()).hasSize(16);
        }
    }
}
