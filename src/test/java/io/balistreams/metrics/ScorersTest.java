package io.balistreams.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.Rng;
import org.junit.jupiter.api.Test;

/** The streaming scorers agree with the batch definitions in {@link Metrics}. */
class ScorersTest {

    @Test
    void classificationScorerMatchesBatchMetrics() {
        final Rng rng = new Rng(4);
        final int n = 500;
        final int k = 3;
        final double[][] probabilities = new double[n][k];
        final int[] labels = new int[n];
        final int[] predicted = new int[n];
        final ClassificationScorer scorer = new ClassificationScorer(k);
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int c = 0; c < k; c++) {
                probabilities[i][c] = Math.exp(2 * rng.nextGaussian());
                sum += probabilities[i][c];
            }
            int best = 0;
            for (int c = 0; c < k; c++) {
                probabilities[i][c] /= sum;
                if (probabilities[i][c] > probabilities[i][best]) {
                    best = c;
                }
            }
            predicted[i] = best;
            labels[i] = rng.nextDouble() < 0.6 ? best : rng.nextInt(k);
            scorer.add(probabilities[i], best, labels[i]);
        }
        int correct = 0;
        for (int i = 0; i < n; i++) {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        assertThat(scorer.count()).isEqualTo(n);
        assertThat(scorer.accuracy()).isEqualTo(correct / (double) n);
        assertThat(scorer.kappa()).isCloseTo(Metrics.cohenKappa(predicted, labels, k), within(1e-12));
        assertThat(scorer.negativeLogLikelihood()).isCloseTo(Metrics.negativeLogLikelihood(probabilities, labels), within(1e-12));
        assertThat(scorer.brier()).isCloseTo(Metrics.brierScore(probabilities, labels), within(1e-12));
        assertThat(scorer.expectedCalibrationError()).isCloseTo(
                Metrics.expectedCalibrationError(probabilities, labels, ClassificationScorer.ECE_BINS), within(1e-12));
    }

    @Test
    void regressionScorerMatchesBatchMetrics() {
        final Rng rng = new Rng(6);
        final int n = 400;
        final double[] means = new double[n];
        final double[] variances = new double[n];
        final double[] actual = new double[n];
        final RegressionScorer scorer = new RegressionScorer();
        double ll = 0;
        for (int i = 0; i < n; i++) {
            means[i] = rng.nextGaussian();
            variances[i] = 0.5 + rng.nextDouble();
            actual[i] = means[i] + 1.3 * Math.sqrt(variances[i]) * rng.nextGaussian();
            scorer.add(means[i], variances[i], actual[i]);
            ll += Metrics.gaussianLogLikelihood(actual[i], means[i], variances[i]);
            // a prediction or target that is not a finite number is not scored (and does not throw)
            scorer.add(means[i], Double.POSITIVE_INFINITY, actual[i]);
            scorer.add(Double.NaN, variances[i], actual[i]);
            scorer.add(means[i], variances[i], Double.NEGATIVE_INFINITY);
            scorer.add(means[i], 0.0, actual[i]);
        }
        assertThat(scorer.count()).isEqualTo(n);
        assertThat(scorer.rmse()).isCloseTo(Metrics.rmse(means, actual), within(1e-12));
        assertThat(scorer.mae()).isCloseTo(Metrics.mae(means, actual), within(1e-12));
        assertThat(scorer.negativeLogLikelihood()).isCloseTo(-ll / n, within(1e-12));
        assertThat(scorer.coverage95()).isEqualTo(Metrics.intervalCoverage(means, variances, actual, 0.95));
        // Residuals 1.3× wider than the predicted sd: coverage of the nominal 95% interval near 87%.
        assertThat(scorer.coverage95()).isBetween(0.80, 0.93);
    }

    @Test
    void aMixturesPredictionIsScoredOnItsOwnDensityAndInterval() {
        // ½N(0, 1) + ½N(0, 9): mean 0, total variance 5. y = 4.5 lies outside the moment-matched ±4.383 but inside
        // the mixture's own ±4.935; y = 5 outside both.
        final io.balistreams.bali.GaussianMixture g = new io.balistreams.bali.GaussianMixture(new double[] {0.5, 0.5},
                new double[] {0, 0}, new double[] {1, 9});
        final RegressionPrediction p = new RegressionPrediction(0, 3, 2, 0.1, null, g);
        final RegressionScorer mixture = new RegressionScorer();
        final RegressionScorer gaussian = new RegressionScorer();
        for (final double y : new double[] {4.5, 5.0, 0.2}) {
            mixture.add(p, y);
            gaussian.add(p.mean(), p.totalVariance(), y);
        }
        assertThat(mixture.coverage95()).isEqualTo(2 / 3.0);
        assertThat(gaussian.coverage95()).isEqualTo(1 / 3.0);
        assertThat(mixture.rmse()).isEqualTo(gaussian.rmse());
        assertThat(mixture.mae()).isEqualTo(gaussian.mae());
        final double nll = -(g.logDensity(4.5) + g.logDensity(5.0) + g.logDensity(0.2)) / 3;
        assertThat(mixture.negativeLogLikelihood()).isCloseTo(nll, within(1e-12));
        // one model's prediction goes through the Gaussian path unchanged
        final RegressionScorer one = new RegressionScorer();
        one.add(new RegressionPrediction(0, 3, 2, 0.1, null), 4.5);
        assertThat(one.exportState()).isEqualTo(new double[] {1, 4.5 * 4.5, 4.5,
                -Metrics.gaussianLogLikelihood(4.5, 0, 5), 0});
    }
}
