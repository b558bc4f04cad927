package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.Event;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.internal.AwaitingLabel;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliMixture;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.Rng;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;
import io.balistreams.streams.serde.AvroSerde;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ServedPredictions}: what an event waiting for its label keeps is the prediction as it was served, so a
 * label that comes later is scored against exactly that prediction, a mixture's included.
 */
class ServedPredictionsTest {

    @Test
    void aMixturesServedRegressionComesBackWithItsGaussianMixtureAfterTheStore() {
        final BaliConfig config = BaliConfig.regression(2, 4, 1).batchSize(4).effectiveMemory(40).seed(3).build();
        final OnlineLearner learner = OnlineLearner.create("m", new BaliMixture(config,
                List.of(new BaliMixture.Expert(20, 2), new BaliMixture.Expert(200, 4)), 0.01), List.of(),
                LearnerSettings.defaults());
        final Rng rng = new Rng(12);
        for (int i = 0; i < 60; i++) {
            final double[] x = {rng.nextGaussian(), rng.nextGaussian()};
            learner.label(learner.score(x, i), 2 * x[0] - x[1] + 0.1 * rng.nextGaussian(), i);
            if (learner.batchDue()) {
                learner.learn();
            }
        }
        final Event event = Event.newBuilder().setEventId("e1").setModelId("m").setEventTime(Instant.ofEpochMilli(60))
                .setFeatures(List.of(0.4, -1.2)).build();
        final ScoredEvent scored = learner.score(new double[] {0.4, -1.2}, 60);
        final RegressionPrediction served = scored.regression();
        assertThat(served.mixture()).isNotNull();
        final Prediction prediction = ServedPredictions.prediction("m", List.of(), event, scored, false);
        assertThat(prediction.getRegression().getLower95()).isEqualTo(served.lower95());
        assertThat(prediction.getRegression().getUpper95()).isEqualTo(served.upper95());

        final AvroSerde<AwaitingLabel> serde = AvroSerde.of(AwaitingLabel.class);
        final AwaitingLabel stored = serde.decode(serde.encode(ServedPredictions.awaitingEntry("m", event, scored,
                prediction)));
        final RegressionPrediction restored = ServedPredictions.servedEvent(stored, false).regression();
        assertThat(restored).isEqualTo(served);
        for (final double y : new double[] {-3, 0.5, 2.9}) {
            assertThat(restored.logLikelihood(y)).isEqualTo(served.logLikelihood(y));
            assertThat(restored.covers95(y)).isEqualTo(served.covers95(y));
        }
    }

    @Test
    void oneModelsServedRegressionKeepsNoMixture() {
        final BaliConfig config = BaliConfig.regression(2, 4, 1).batchSize(4).seed(3).build();
        final OnlineLearner learner = OnlineLearner.create("m", config, List.of(), LearnerSettings.defaults());
        final Event event = Event.newBuilder().setEventId("e1").setModelId("m").setEventTime(Instant.ofEpochMilli(0))
                .setFeatures(List.of(0.4, -1.2)).build();
        final ScoredEvent scored = learner.score(new double[] {0.4, -1.2}, 0);
        final AwaitingLabel entry = ServedPredictions.awaitingEntry("m", event, scored,
                ServedPredictions.prediction("m", List.of(), event, scored, false));
        assertThat(entry.getMixtureWeights()).isEmpty();
        assertThat(ServedPredictions.servedEvent(entry, false).regression()).isEqualTo(scored.regression());
    }
}
