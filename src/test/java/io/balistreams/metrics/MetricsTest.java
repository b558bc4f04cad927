package io.balistreams.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import org.junit.jupiter.api.Test;

/** Every metric against a value worked out by hand (or by a direct formula) in the test. */
class MetricsTest {
    private static final double EPS = 1e-12;

    @Test
    void aurocFromMannWhitneyRanks() {
        // Sorted: 0.1(F) 0.35(T) 0.4(F) 0.8(T) → ranks of positives 2 + 4 = 6; U = 6 − 2·3/2 = 3; 3/(2·2) = 0.75.
        assertThat(Metrics.auroc(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true}))
                .isCloseTo(0.75, offset(EPS));
        assertThat(Metrics.auroc(new double[] {0.1, 0.2, 0.8, 0.9}, new boolean[] {false, false, true, true}))
                .isCloseTo(1.0, offset(EPS));
        assertThat(Metrics.auroc(new double[] {0.9, 0.8, 0.2, 0.1}, new boolean[] {false, false, true, true}))
                .isCloseTo(0.0, offset(EPS));
        assertThat(Metrics.auroc(new double[] {0.5, 0.5, 0.5, 0.5, 0.5}, new boolean[] {true, false, true, false, false}))
                .isCloseTo(0.5, offset(EPS));
    }

    @Test
    void aurocCountsTiesAsOneHalf() {
        // Pairs (positive, negative): (0.5, 0.2) = 1, (0.5, 0.5) = ½, (0.9, 0.2) = 1, (0.9, 0.5) = 1 → 3.5/4.
        // Ranks: 0.2 → 1, the two 0.5 → 2.5 each, 0.9 → 4; R₊ = 6.5, U = 6.5 − 3 = 3.5.
        assertThat(Metrics.auroc(new double[] {0.2, 0.5, 0.5, 0.9}, new boolean[] {false, true, false, true}))
                .isCloseTo(0.875, offset(EPS));
    }

    @Test
    void aurocNeedsBothClasses() {
        assertThatThrownBy(() -> Metrics.auroc(new double[] {0.1, 0.2}, new boolean[] {true, true}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 negatives");
        assertThatThrownBy(() -> Metrics.auroc(new double[] {0.1, 0.2}, new boolean[] {false, false}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 positives");
    }

    @Test
    void expectedCalibrationErrorWithThreeBins() {
        // Bins (0, 1/3], (1/3, 2/3], (2/3, 1]. Confidence = max probability, prediction = first arg max.
        //   [0.9, 0.1]  y=0: conf 0.9,  correct → bin 2
        //   [0.2, 0.8]  y=0: conf 0.8,  wrong   → bin 2
        //   [0.6, 0.4]  y=0: conf 0.6,  correct → bin 1
        //   [0.45,0.55] y=0: conf 0.55, wrong   → bin 1
        //   [0.5, 0.5]  y=1: conf 0.5, predicts 0, wrong → bin 1
        // bin 2: n=2, acc 1/2, conf 0.85 → (2/5)·0.35 = 0.14
        // bin 1: n=3, acc 1/3, conf 0.55 → (3/5)·|1/3 − 0.55| = 0.6·0.21666… = 0.13
        // ECE = 0.27
        final double[][] p = {{0.9, 0.1}, {0.2, 0.8}, {0.6, 0.4}, {0.45, 0.55}, {0.5, 0.5}};
        final int[] y = {0, 0, 0, 0, 1};
        assertThat(Metrics.expectedCalibrationError(p, y, 3)).isCloseTo(0.27, offset(1e-12));
        // One bin: acc 2/5, mean confidence (0.9+0.8+0.6+0.55+0.5)/5 = 0.67 → |0.4 − 0.67| = 0.27 as well.
        assertThat(Metrics.expectedCalibrationError(p, y, 1)).isCloseTo(0.27, offset(1e-12));
        // Perfectly calibrated: confidence 1 and always right.
        assertThat(Metrics.expectedCalibrationError(new double[][] {{1, 0}, {0, 1}}, new int[] {0, 1}, 10))
                .isCloseTo(0.0, offset(EPS));
    }

    @Test
    void confidenceBinsAreRightClosed() {
        assertThat(Metrics.confidenceBin(0.0, 5)).isZero();
        assertThat(Metrics.confidenceBin(0.2, 5)).isZero();
        assertThat(Metrics.confidenceBin(0.2000001, 5)).isEqualTo(1);
        assertThat(Metrics.confidenceBin(0.3, 10)).isEqualTo(2); // 0.3·10 rounds to 3.0000000000000004
        assertThat(Metrics.confidenceBin(1.0, 5)).isEqualTo(4);
        assertThat(Metrics.confidenceBin(1.0 / 3, 3)).isZero();
        assertThat(Metrics.confidenceBin(0.34, 3)).isEqualTo(1);
    }

    @Test
    void cohenKappaOnATwoByTwoConfusion() {
        // actual 0: predicted 0 ×20, 1 ×5; actual 1: predicted 0 ×10, 1 ×15; n = 50.
        // p_o = (20 + 15)/50 = 0.7; actual sums 25, 25; predicted sums 30, 20;
        // p_e = (25·30 + 25·20)/2500 = 0.5; κ = (0.7 − 0.5)/(1 − 0.5) = 0.4.
        final int[] actual = new int[50];
        final int[] predicted = new int[50];
        int i = 0;
        for (int k = 0; k < 20; k++, i++) {
            actual[i] = 0;
            predicted[i] = 0;
        }
        for (int k = 0; k < 5; k++, i++) {
            actual[i] = 0;
            predicted[i] = 1;
        }
        for (int k = 0; k < 10; k++, i++) {
            actual[i] = 1;
            predicted[i] = 0;
        }
        for (int k = 0; k < 15; k++, i++) {
            actual[i] = 1;
            predicted[i] = 1;
        }
        assertThat(Metrics.cohenKappa(predicted, actual, 2)).isCloseTo(0.4, offset(EPS));
        assertThat(Metrics.cohenKappa(actual, actual, 2)).isCloseTo(1.0, offset(EPS));
        // Degenerate p_e = 1: everything is class 1 on both sides.
        assertThat(Metrics.cohenKappa(new int[] {1, 1, 1}, new int[] {1, 1, 1}, 3)).isEqualTo(0.0);
        assertThatThrownBy(() -> Metrics.cohenKappa(new int[] {2}, new int[] {0}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("predicted[0] = 2");
    }

    @Test
    void brierScoreAndNegativeLogLikelihood() {
        // Row 0, y=0: (0.7−1)² + 0.2² + 0.1² = 0.09 + 0.04 + 0.01 = 0.14
        // Row 1, y=1: 0.1² + (0.3−1)² + 0.6² = 0.01 + 0.49 + 0.36 = 0.86 → mean 0.5
        final double[][] p = {{0.7, 0.2, 0.1}, {0.1, 0.3, 0.6}};
        final int[] y = {0, 1};
        assertThat(Metrics.brierScore(p, y)).isCloseTo(0.5, offset(EPS));
        // −(log 0.7 + log 0.3)/2 = (0.35667494… + 1.20397280…)/2
        assertThat(Metrics.negativeLogLikelihood(p, y)).isCloseTo(0.7803238741323343, offset(1e-12));
        // A certain mistake is floored at −log 1e-300 = 690.7755…
        assertThat(Metrics.negativeLogLikelihood(new double[][] {{1, 0}}, new int[] {1}))
                .isCloseTo(300 * Math.log(10), offset(1e-9));
        assertThatThrownBy(() -> Metrics.brierScore(p, new int[] {0, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels[1] = 3");
    }

    @Test
    void gaussianAndMixtureLogLikelihood() {
        // log N(1; 0, 4) = −½ log(8π) − 1/8
        assertThat(Metrics.gaussianLogLikelihood(1, 0, 4))
                .isCloseTo(-0.5 * Math.log(8 * Math.PI) - 0.125, offset(EPS));
        // Direct: log(0.3·N(0.5; 0, 1) + 0.7·N(0.5; 2, 4)).
        final double direct = Math.log(0.3 * Math.exp(-0.125) / Math.sqrt(2 * Math.PI)
                + 0.7 * Math.exp(-2.25 / 8) / Math.sqrt(8 * Math.PI));
        assertThat(direct).isCloseTo(-1.5558132661639867, offset(1e-12));
        assertThat(Metrics.gaussianMixtureLogLikelihood(0.5, new double[] {0, 2}, new double[] {1, 4},
                new double[] {0.3, 0.7})).isCloseTo(direct, offset(1e-12));
        // Far in the tail the direct sum underflows to log 0; log-sum-exp stays exact:
        // two identical components → log N(100; 0, 1) = −½ log 2π − 5000.
        assertThat(Metrics.gaussianMixtureLogLikelihood(100, new double[] {0, 0}, new double[] {1, 1},
                new double[] {0.5, 0.5})).isCloseTo(-0.5 * Math.log(2 * Math.PI) - 5000, offset(1e-9));
        assertThatThrownBy(() -> Metrics.gaussianMixtureLogLikelihood(0, new double[] {0, 1}, new double[] {1, 1},
                new double[] {0.5, 0.6})).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sum");
        assertThatThrownBy(() -> Metrics.gaussianLogLikelihood(0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("variance");
    }

    @Test
    void rmseAndMae() {
        // Errors 0, −2, 2: RMSE = √(8/3), MAE = 4/3.
        assertThat(Metrics.rmse(new double[] {1, 2, 3}, new double[] {1, 4, 1})).isCloseTo(Math.sqrt(8.0 / 3), offset(EPS));
        assertThat(Metrics.mae(new double[] {1, 2, 3}, new double[] {1, 4, 1})).isCloseTo(4.0 / 3, offset(EPS));
        assertThatThrownBy(() -> Metrics.rmse(new double[] {1}, new double[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void normalQuantileMatchesReferenceValues() {
        assertThat(Metrics.normalQuantile(0.975)).isCloseTo(1.959963984540054, offset(1e-9));
        assertThat(Metrics.normalQuantile(0.025)).isCloseTo(-Metrics.normalQuantile(0.975), offset(1e-12));
        assertThat(Metrics.normalQuantile(0.5)).isEqualTo(0.0);
        // References from scipy.special.ndtri; relative error 1e-9 or better across the range.
        assertThat(Metrics.normalQuantile(0.9)).isCloseTo(1.2815515655446004, offset(1e-12));
        assertThat(Metrics.normalQuantile(0.3)).isCloseTo(-0.5244005127080409, offset(1e-12));
        assertThat(Metrics.normalQuantile(1e-10)).isCloseTo(-6.361340902404056, offset(6.4e-9));
        assertThat(Metrics.normalQuantile(1e-300)).isCloseTo(-37.0470962993612, offset(3.7e-8));
        for (final double p : new double[] {1e-6, 0.01, 0.2, 0.45}) {
            assertThat(Metrics.normalQuantile(1 - p)).isCloseTo(-Metrics.normalQuantile(p), offset(1e-9));
        }
        assertThat(Metrics.normalQuantile(0)).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(Metrics.normalQuantile(1)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThatThrownBy(() -> Metrics.normalQuantile(1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void intervalCoverageCountsPointsInsideTheCentralInterval() {
        // level 0.95, sd 1 → ±1.95996…: 0, 1.9, −1.0 inside; 1.97, −2.5 outside → 3/5.
        final double[] means = {0, 0, 0, 0, 0};
        final double[] actual = {0, 1.9, 1.97, -2.5, -1.0};
        assertThat(Metrics.intervalCoverage(means, new double[] {1, 1, 1, 1, 1}, actual, 0.95))
                .isCloseTo(0.6, offset(EPS));
        // sd 2 → ±3.92: all inside.
        assertThat(Metrics.intervalCoverage(means, new double[] {4, 4, 4, 4, 4}, actual, 0.95))
                .isCloseTo(1.0, offset(EPS));
        // level 0.5 → z = 0.6744897…: only 0 inside with sd 1.
        assertThat(Metrics.intervalCoverage(means, new double[] {1, 1, 1, 1, 1}, actual, 0.5))
                .isCloseTo(0.2, offset(EPS));
    }

    @Test
    void meanAndStandardError() {
        // Mean 5; squared deviations sum to 32; s = √(32/7); SE = s/√8 = √(4/7).
        final double[] x = {2, 4, 4, 4, 5, 5, 7, 9};
        assertThat(Metrics.mean(x)).isCloseTo(5.0, offset(EPS));
        assertThat(Metrics.standardError(x)).isCloseTo(Math.sqrt(4.0 / 7), offset(EPS));
        assertThat(Metrics.standardError(new double[] {3.5})).isEqualTo(0.0);
        assertThatThrownBy(() -> Metrics.mean(new double[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
