package io.balistreams.metrics;

import io.balistreams.bali.Rng;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Persisting a scorer mid-stream ({@code exportState}/{@code restore}) changes no metric, not even in the last bit. */
class ScorerStateTest {

    /** A stream of classification predictions: probabilities (softmax of Gaussians), arg-max, noisy label. */
    private record ClsStream(double[][] probabilities, int[] predicted, int[] labels) {
        static ClsStream of(final long seed, final int n, final int k) {
            final Rng rng = new Rng(seed);
            final double[][] p = new double[n][k];
            final int[] pred = new int[n];
            final int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    p[i][c] = Math.exp(2 * rng.nextGaussian());
                    sum += p[i][c];
                }
                int best = 0;
                for (int c = 0; c < k; c++) {
                    p[i][c] /= sum;
                    if (p[i][c] > p[i][best]) {
                        best = c;
                    }
                }
                pred[i] = best;
                y[i] = rng.nextDouble() < 0.6 ? best : rng.nextInt(k);
            }
            return new ClsStream(p, pred, y);
        }

        void feed(final ClassificationScorer s, final int from, final int to) {
            for (int i = from; i < to; i++) {
                s.add(probabilities[i], predicted[i], labels[i]);
            }
        }
    }

    private record RegStream(double[] means, double[] variances, double[] targets) {
        static RegStream of(final long seed, final int n) {
            final Rng rng = new Rng(seed);
            final double[] m = new double[n];
            final double[] v = new double[n];
            final double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                m[i] = 10 * rng.nextGaussian();
                v[i] = 0.1 + 3 * rng.nextDouble();
                y[i] = m[i] + 1.4 * Math.sqrt(v[i]) * rng.nextGaussian();
            }
            return new RegStream(m, v, y);
        }

        void feed(final RegressionScorer s, final int from, final int to) {
            for (int i = from; i < to; i++) {
                s.add(means[i], variances[i], targets[i]);
            }
        }
    }

    private static void assertBitIdentical(final Map<String, Double> actual, final Map<String, Double> expected) {
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((name, value) -> assertThat(Double.doubleToRawLongBits(actual.get(name)))
                .as("%s: %s vs %s", name, actual.get(name), value)
                .isEqualTo(Double.doubleToRawLongBits(value)));
    }

    @Test
    void aRestoredClassificationScorerContinuesExactly() {
        final int n = 700;
        final int k = 4;
        final ClsStream stream = ClsStream.of(21, n, k);
        final ClassificationScorer straight = new ClassificationScorer(k);
        stream.feed(straight, 0, n);
        final Map<String, Double> expected = straight.metrics();
        assertThat(expected).containsOnlyKeys("accuracy", "kappa", "nll", "ece", "brier");
        assertThat(expected.values()).allMatch(Double::isFinite);
        assertThat(expected.get("accuracy")).isBetween(0.5, 0.95);

        for (final int cut : new int[]{0, 1, 17, 350, 699, 700}) {
            final ClassificationScorer first = new ClassificationScorer(k);
            stream.feed(first, 0, cut);
            final double[] state = first.exportState();
            assertThat(state).hasSize(4 + k * k + 3 * ClassificationScorer.ECE_BINS);
            assertThat(state[0]).isEqualTo(cut);
            final ClassificationScorer resumed = ClassificationScorer.restore(k, state);
            assertThat(resumed.exportState()).as("restore then export is the identity").isEqualTo(state);
            stream.feed(resumed, cut, n);
            assertThat(resumed.count()).isEqualTo(n);
            assertBitIdentical(resumed.metrics(), expected);
            assertThat(resumed.exportState()).isEqualTo(straight.exportState());
        }
    }

    @Test
    void restoringTwiceAlongTheWayChangesNothing() {
        final ClsStream stream = ClsStream.of(5, 300, 3);
        final ClassificationScorer straight = new ClassificationScorer(3);
        stream.feed(straight, 0, 300);
        ClassificationScorer hopping = new ClassificationScorer(3);
        for (int start = 0; start < 300; start += 37) {
            stream.feed(hopping, start, Math.min(300, start + 37));
            hopping = ClassificationScorer.restore(3, hopping.exportState());
        }
        assertBitIdentical(hopping.metrics(), straight.metrics());
    }

    @Test
    void theExportedStateIsACopy() {
        final ClsStream stream = ClsStream.of(8, 50, 2);
        final ClassificationScorer a = new ClassificationScorer(2);
        stream.feed(a, 0, 25);
        final double[] state = a.exportState();
        final ClassificationScorer b = ClassificationScorer.restore(2, state);
        final Map<String, Double> before = b.metrics();
        java.util.Arrays.fill(state, 0.0);
        assertBitIdentical(b.metrics(), before);
        assertThat(a.count()).isEqualTo(25);
        assertThat(b.count()).isEqualTo(25);
    }

    @Test
    void anEmptyClassificationStateRestoresAnEmptyScorer() {
        final ClassificationScorer empty = ClassificationScorer.restore(3, new ClassificationScorer(3).exportState());
        assertThat(empty.count()).isZero();
        assertThat(empty.accuracy()).isNaN();
        assertThat(empty.exportState()).containsOnly(0.0);
    }

    @Test
    void aRestoredRegressionScorerContinuesExactly() {
        final int n = 500;
        final RegStream stream = RegStream.of(13, n);
        final RegressionScorer straight = new RegressionScorer();
        stream.feed(straight, 0, n);
        final Map<String, Double> expected = straight.metrics();
        assertThat(expected).containsOnlyKeys("rmse", "mae", "nll", "coverage95");
        assertThat(expected.get("coverage95")).isBetween(0.75, 0.95);
        assertThat(expected.get("rmse")).isGreaterThan(expected.get("mae"));

        for (final int cut : new int[]{0, 1, 123, 250, 499, 500}) {
            final RegressionScorer first = new RegressionScorer();
            stream.feed(first, 0, cut);
            final double[] state = first.exportState();
            assertThat(state).hasSize(5);
            assertThat(state[0]).isEqualTo(cut);
            final RegressionScorer resumed = RegressionScorer.restore(state);
            assertThat(resumed.exportState()).isEqualTo(state);
            stream.feed(resumed, cut, n);
            assertThat(resumed.count()).isEqualTo(n);
            assertBitIdentical(resumed.metrics(), expected);
            assertThat(resumed.exportState()).isEqualTo(straight.exportState());
        }
    }

    @Test
    void wrongLengthClassificationStateIsRejectedWithTheExpectedLength() {
        final double[] k3 = new ClassificationScorer(3).exportState();
        assertThat(k3).hasSize(58); // 4 + 9 + 3 * 15
        assertThatThrownBy(() -> ClassificationScorer.restore(3, java.util.Arrays.copyOf(k3, 57)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("58", "57");
        assertThatThrownBy(() -> ClassificationScorer.restore(3, new double[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("58", "0");
        // a state of 3 classes is not one of 2 (53 values) nor of 4 (65 values)
        assertThatThrownBy(() -> ClassificationScorer.restore(2, k3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("53", "58");
        assertThatThrownBy(() -> ClassificationScorer.restore(4, k3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("65", "58");
    }

    @Test
    void wrongLengthRegressionStateIsRejectedWithTheExpectedLength() {
        assertThatThrownBy(() -> RegressionScorer.restore(new double[4]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("5", "4");
        assertThatThrownBy(() -> RegressionScorer.restore(new double[6]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("5", "6");
        assertThatThrownBy(() -> RegressionScorer.restore(new ClassificationScorer(2).exportState()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5 values");
    }
}
