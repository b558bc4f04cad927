package io.balistreams.streams;

import static io.balistreams.streams.TopologyHarness.event;
import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.Prediction;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finite but absurd values (found by the hostile-input test: a bit-flipped double of 10^300 made a model's
 * predictions infinite and its metrics throw, which stopped the stream thread on every restart) are dead-lettered
 * before they reach a model, and the model goes on.
 */
class AbsurdValuesTopologyTest {
    @TempDir
    Path stateDir;

    @Test
    void featuresAndTargetsBeyondTheLimitAreRefusedAndTheModelGoesOn() {
        try (TopologyHarness h = new TopologyHarness(stateDir, Map.of("bali.model.task", "regression",
                "bali.model.hidden", "4", "bali.model.batch.size", "4"))) {
            for (int i = 0; i < 8; i++) {
                h.send(event("ok-" + i, "m", new double[] {i, 1}, (double) i));
            }
            h.send(event("huge-feature", "m", new double[] {1e300, 1}, 1.0));
            h.send(event("huge-target", "m", new double[] {1, 1}, -2e100));
            h.send(event("edge", "m", new double[] {1e100, 1}, 1e100)); // at the limit: accepted
            for (int i = 8; i < 16; i++) {
                h.send(event("ok-" + i, "m", new double[] {i, 1}, (double) i));
            }
            final List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).extracting(DeadLetter::getReason).containsExactly(DeadLetterReason.NON_FINITE_FEATURE,
                    DeadLetterReason.LABEL_OUT_OF_RANGE);
            assertThat(letters.get(0).getDetail()).isEqualTo("event huge-feature: feature 0 is 1.0E300, beyond "
                    + "±1.0E100 (its square would overflow the model's arithmetic)");
            assertThat(letters.get(1).getDetail()).isEqualTo("event huge-target: regression target is -2.0E100, beyond "
                    + "±1.0E100");
            final List<Prediction> predictions = h.predictions.readValuesToList();
            assertThat(predictions).hasSize(17);
            assertThat(predictions.get(predictions.size() - 1).getRegression().getMean()).isFinite();
        }
    }
}
