package io.balistreams.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.balistreams.avro.internal.OnlineLearnerState;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliMixture;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.Rng;
import io.balistreams.monitor.ModelMonitor;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

class OnlineLearnerTest {

    private static final int B = 8;

    private static BaliConfig regression() {
        return BaliConfig.regression(3, 8, 8, 1).batchSize(B).beta(0.9).seed(11).build();
    }

    /** y = x₀ − 2x₁ + x₂² + noise, standard-normal x; the slope doubles at {@code shiftAt}. */
    private static double[][] stream(final int n, final int shiftAt, final double[] y) {
        final Rng rng = Rng.forStream(5, 0);
        final double[][] x = new double[n][3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 3; j++) {
                x[i][j] = rng.nextGaussian();
            }
            final double slope = i < shiftAt ? 1 : -3;
            y[i] = slope * x[i][0] - 2 * x[i][1] + x[i][2] * x[i][2] + 0.1 * rng.nextGaussian();
        }
        return x;
    }

    private static void feed(final OnlineLearner l, final double[][] x, final double[] y, final int from,
                             final int to, final List<ModelMonitor.Alarm> alarms) {
        for (int i = from; i < to; i++) {
            final ScoredEvent s = l.score(x[i], 1000L + i);
            if (s.alarm() != null) {
                alarms.add(s.alarm());
            }
            l.label(s, y[i], 0);
            if (l.batchDue()) {
                alarms.addAll(l.learn().alarms());
            }
        }
    }

    private static byte[] bytes(final OnlineLearnerState state) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(OnlineLearnerState.class).write(state, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static OnlineLearnerState read(final byte[] bytes) throws IOException {
        io.balistreams.avro.TrustedAvroTypes.trust(OnlineLearnerState.getClassSchema());
        final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, null);
        return new SpecificDatumReader<>(OnlineLearnerState.class).read(null, decoder);
    }

    @Test
    void aLearnerRestoredMidBatchFromItsSerialisedStateContinuesBitExactly() throws IOException {
        final int n = 2400;
        final double[] y = new double[n];
        final double[][] x = stream(n, 1200, y);
        final OnlineLearner original = OnlineLearner.create("r", regression(), List.of(), LearnerSettings.defaults());
        final List<ModelMonitor.Alarm> alarms = new ArrayList<>();
        final int cut = 403; // 3 labels pending, before the monitor's first DRIFT (at 447)
        feed(original, x, y, 0, cut, alarms);
        assertThat(original.pendingCount()).isEqualTo(3);

        restoreAndContinue(original, x, y, cut, n, restored -> { });
    }

    /**
     * Exports {@code original} at {@code cut}, restores a second learner from the serialised bytes and feeds both the
     * rest of the stream: the restored state is the exported one byte for byte, and after the cut both raise the
     * same alarms (a DRIFT among them, so adaptive forgetting takes part) and end with the same state and metrics.
     *
     * @param atCut more checks of the restored learner before it is fed
     * @return the restored learner, fed to the end
     */
    private static OnlineLearner restoreAndContinue(final OnlineLearner original, final double[][] x, final double[] y,
                                                    final int cut, final int n,
                                                    final java.util.function.Consumer<OnlineLearner> atCut)
            throws IOException {
        final OnlineLearnerState exported = original.exportState();
        final OnlineLearner restored = OnlineLearner.restore(read(bytes(exported)));
        assertThat(bytes(restored.exportState())).isEqualTo(bytes(exported));
        atCut.accept(restored);

        final List<ModelMonitor.Alarm> alarmsAfterCut = new ArrayList<>();
        final List<ModelMonitor.Alarm> restoredAlarms = new ArrayList<>();
        feed(original, x, y, cut, n, alarmsAfterCut);
        feed(restored, x, y, cut, n, restoredAlarms);
        assertThat(restoredAlarms).isEqualTo(alarmsAfterCut);
        assertThat(alarmsAfterCut).as("adaptive forgetting takes part after the cut")
                .anyMatch(a -> a.level() == io.balistreams.monitor.DriftLevel.DRIFT);
        assertThat(bytes(restored.exportState())).isEqualTo(bytes(original.exportState()));
        assertThat(restored.cumulativeMetrics()).isEqualTo(original.cumulativeMetrics());
        return restored;
    }

    @Test
    void withoutTheMonitorTheLearnerIsTheEngineFedConsecutiveBatchesAtItsBeta() {
        final int n = 400;
        final double[] y = new double[n];
        final double[][] x = stream(n, 200, y);
        final OnlineLearner learner = OnlineLearner.create("r", regression(), List.of(),
                LearnerSettings.defaults().withoutMonitor());
        final List<ModelMonitor.Alarm> alarms = new ArrayList<>();
        feed(learner, x, y, 0, n, alarms);
        final BaliModel reference = new BaliModel(regression());
        for (int start = 0; start + B <= n; start += B) {
            reference.learn(java.util.Arrays.copyOfRange(x, start, start + B), java.util.Arrays.copyOfRange(y, start, start + B));
        }
        assertThat(alarms).isEmpty();
        assertThat(learner.version()).isEqualTo(n / B);
        assertThat(ModelStateCodec.encode(learner.model())).isEqualTo(ModelStateCodec.encode(reference));
    }

    @Test
    void theServedPredictionIsWhatTheMetricsCountAndAFlushLearnsAPartialBatch() {
        final OnlineLearner learner = OnlineLearner.create("r", regression(), List.of(), LearnerSettings.defaults());
        final ScoredEvent first = learner.score(new double[]{1, 2, 3}, 0);
        final ScoredEvent second = learner.score(new double[]{0, 0, 0}, 0);
        assertThat(first.position()).isZero();
        assertThat(second.position()).isEqualTo(1);
        learner.label(first, 4.0, 0);
        final double r = 4.0 - first.regression().mean();
        assertThat(learner.cumulativeMetrics().get("rmse")).isEqualTo(Math.abs(r));
        assertThat(learner.labelsSeen()).isEqualTo(1);
        assertThat(learner.eventsScored()).isEqualTo(2);
        final QueuedLabel q = learner.label(second, -1.0, 0);
        assertThat(q.sequence()).isEqualTo(1);
        assertThat(learner.batchDue()).isFalse();
        final LearnerUpdate flush = learner.learn();
        assertThat(flush.examples()).isEqualTo(2);
        assertThat(flush.accepted()).isTrue();
        assertThat(flush.beta()).isEqualTo(0.9);
        assertThat(learner.version()).isEqualTo(1);
        assertThat(learner.pendingCount()).isZero();
        assertThat(learner.nextPendingSequence()).isEqualTo(2);
        assertThatThrownBy(learner::learn).isInstanceOf(IllegalStateException.class).hasMessageContaining("no pending");
    }

    @Test
    void aFullBatchMustBeLearnedBeforeTheNextLabelAndLabelsMustFitTheModel() {
        final OnlineLearner learner = OnlineLearner.create("r", regression(), List.of(), LearnerSettings.defaults());
        for (int i = 0; i < B; i++) {
            learner.label(learner.score(new double[]{i, 1, -i}, 0), i, 0);
        }
        assertThat(learner.batchDue()).isTrue();
        final ScoredEvent next = learner.score(new double[]{1, 1, 1}, 0);
        assertThatThrownBy(() -> learner.label(next, 1.0, 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("learn() before the next label");
        learner.learn();
        assertThatThrownBy(() -> learner.label(next, Double.NaN, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("regression target is NaN");

        final OnlineLearner classifier = OnlineLearner.create("c",
                BaliConfig.classification(2, 4, 3).batchSize(B).build(), List.of("a", "b", "c"), LearnerSettings.defaults());
        final ScoredEvent s = classifier.score(new double[]{0, 1}, 0);
        assertThatThrownBy(() -> classifier.label(s, 3, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a whole number in 0..2");
        assertThatThrownBy(() -> classifier.label(s, 0.5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> classifier.label(learner.score(new double[]{1, 1, 1}, 0), 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scored by a regression");
    }

    @Test
    void overAMixtureTheLearnerServesTheMixtureAndHandsItTheLabelsAtItsSmallestBatch() {
        final int n = 600;
        final double[] y = new double[n];
        final double[][] x = stream(n, 300, y);
        final List<BaliMixture.Expert> experts = List.of(new BaliMixture.Expert(40, 4), new BaliMixture.Expert(400, 16));
        final BaliMixture inLearner = new BaliMixture(regression(), experts, 0.01);
        final OnlineLearner learner = OnlineLearner.create("m", inLearner, List.of(),
                LearnerSettings.defaults().withoutMonitor());
        assertThat(learner.config().batchSize()).isEqualTo(4);
        final BaliMixture byHand = new BaliMixture(regression(), experts, 0.01);
        double squaredErrors = 0;
        for (int i = 0; i < n; i++) {
            final ScoredEvent s = learner.score(x[i], 0);
            final double served = byHand.predict(x[i]).mean();
            assertThat(s.regression().mean()).isEqualTo(served);
            assertThat(s.modelVersion()).isEqualTo(byHand.step());
            squaredErrors += (y[i] - served) * (y[i] - served);
            learner.label(s, y[i], 0);
            if (learner.batchDue()) {
                learner.learn();
            }
            if (i % 4 == 3) {
                byHand.learn(java.util.Arrays.copyOfRange(x, i - 3, i + 1), java.util.Arrays.copyOfRange(y, i - 3, i + 1),
                        byHand.config().beta(), false);
            }
        }
        assertThat(learner.version()).isEqualTo(n / 4 + n / 16).isEqualTo(byHand.step());
        assertThat(inLearner.weights()).containsExactly(byHand.weights());
        assertThat(learner.cumulativeMetrics().get("rmse")).isCloseTo(Math.sqrt(squaredErrors / n),
                org.assertj.core.api.Assertions.within(1e-9));
        assertThat(learner.mixture()).isSameAs(inLearner);
        assertThatThrownBy(learner::model).isInstanceOf(IllegalStateException.class).hasMessageContaining("mixture()");
    }

    @Test
    void aLearnerOverAMixtureRestoredMidBatchContinuesBitExactly() throws IOException {
        final int n = 2400;
        final double[] y = new double[n];
        final double[][] x = stream(n, 1200, y);
        final BaliMixture mixture = new BaliMixture(regression(), List.of(new BaliMixture.Expert(40, 4),
                new BaliMixture.Expert(400, 16)), 0.01);
        final OnlineLearner original = OnlineLearner.create("m", mixture, List.of(), LearnerSettings.defaults());
        final List<ModelMonitor.Alarm> alarms = new ArrayList<>();
        final int cut = 427; // 3 labels pending in the learner, 8 records in the long expert's buffer
        feed(original, x, y, 0, cut, alarms);
        assertThat(original.pendingCount()).isEqualTo(3);
        assertThat(mixture.buffered(1)).isEqualTo(8);
        assertThat(OnlineLearner.batchSizeOf(original.snapshot())).isEqualTo(4);

        final OnlineLearner restored = restoreAndContinue(original, x, y, cut, n,
                atCut -> assertThat(atCut.mixture().weights()).containsExactly(mixture.weights()));
        assertThat(restored.mixture().weights()).containsExactly(mixture.weights());
    }
}
