package io.balistreams.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.balistreams.bali.Rng;
import org.junit.jupiter.api.Test;

class PageHinkleyTest {

    private static final int CHANGE_AT = 1_000;
    private static final double SHIFT = 1.0;
    private static final double SD = 0.5;
    private static final double DELTA = 0.25;
    private static final double LAMBDA = 50.0;
    private static final double WARNING_LAMBDA = 25.0;

    private static PageHinkley detector() {
        return new PageHinkley(DELTA, LAMBDA, WARNING_LAMBDA, PageHinkley.DEFAULT_ALPHA,
                PageHinkley.DEFAULT_MIN_INSTANCES);
    }

    /**
     * Gaussian noise (sd 0.5), mean 0 → 1 at t = 1,000. After the step PH grows by about shift − δ per
     * value, so the expected delay is λ/(shift − δ) = 50/0.75 ≈ 66.7, a little more because the running
     * mean follows the step (measured over 20 seeds: 63..79, mean 69.6). Every seed must detect within
     * 1.5× that bound and not before 0.5× it; the warning (λ_w = 25) comes strictly earlier.
     */
    @Test
    void detectsAnIncreaseOfTheMeanWithinTheTheoreticalDelay() {
        final double bound = LAMBDA / (SHIFT - DELTA);
        double delaySum = 0.0;
        final int seeds = 20;
        for (int seed = 0; seed < seeds; seed++) {
            final Rng rng = Rng.forStream(9, seed);
            final PageHinkley ph = detector();
            for (int t = 0; t < CHANGE_AT; t++) {
                assertThat(ph.add(SD * rng.nextGaussian())).isEqualTo(DriftLevel.STABLE);
            }
            int firstWarning = -1;
            int firstDrift = -1;
            for (int k = 1; k <= 1_000 && firstDrift < 0; k++) {
                final DriftLevel level = ph.add(SHIFT + SD * rng.nextGaussian());
                if (level == DriftLevel.WARNING && firstWarning < 0) {
                    firstWarning = k;
                    assertThat(ph.statistic()).isGreaterThan(WARNING_LAMBDA).isLessThanOrEqualTo(LAMBDA);
                    assertThat(ph.threshold()).isEqualTo(WARNING_LAMBDA);
                }
                if (level == DriftLevel.DRIFT) {
                    firstDrift = k;
                    assertThat(ph.statistic()).isGreaterThan(LAMBDA);
                    assertThat(ph.threshold()).isEqualTo(LAMBDA);
                    assertThat(ph.countSinceReset()).isZero();
                }
            }
            assertThat(firstDrift).as("seed %d: delay", seed).isBetween((int) (0.5 * bound), (int) (1.5 * bound));
            assertThat(firstWarning).as("seed %d: warning before drift", seed).isPositive().isLessThan(firstDrift);
            delaySum += firstDrift;
        }
        assertThat(delaySum / seeds).isBetween(0.95 * bound, 1.25 * bound);
    }

    /** 100,000 stationary values with the same settings: no WARNING, no DRIFT; PH stays far below λ_w. */
    @Test
    void raisesNoAlarmOnAStationaryStream() {
        final Rng rng = Rng.forStream(11, 0);
        final PageHinkley ph = detector();
        double maxStatistic = 0.0;
        for (int t = 0; t < 100_000; t++) {
            assertThat(ph.add(3.0 + SD * rng.nextGaussian())).isEqualTo(DriftLevel.STABLE);
            maxStatistic = Math.max(maxStatistic, ph.statistic());
        }
        assertThat(ph.driftCount()).isZero();
        assertThat(maxStatistic).isLessThan(WARNING_LAMBDA / 2);
        assertThat(ph.mean()).isCloseTo(3.0, within(0.02));
    }

    /** One-sided: a decrease 1 → 0 is never reported, while the mirrored increase is. */
    @Test
    void aDecreaseIsNotReported() {
        final Rng rng = Rng.forStream(13, 0);
        final PageHinkley down = detector();
        final PageHinkley up = detector();
        int upDelay = -1;
        for (int t = 0; t < 20_000; t++) {
            final double noise = SD * rng.nextGaussian();
            final double level = t < CHANGE_AT ? 1.0 : 0.0;
            assertThat(down.add(level + noise)).isEqualTo(DriftLevel.STABLE);
            if (up.add(-level - noise) == DriftLevel.DRIFT && upDelay < 0) {
                upDelay = t - CHANGE_AT + 1;
            }
        }
        assertThat(down.driftCount()).isZero();
        assertThat(down.statistic()).isLessThan(WARNING_LAMBDA);
        assertThat(upDelay).isBetween(1, 100);
    }

    /**
     * No alarm before minInstances values, however large the values; the drift then fires exactly at the
     * minInstances-th value, the detector restarts and learns the new level (no further alarm).
     */
    @Test
    void waitsForMinInstancesAndRestartsAfterADrift() {
        final PageHinkley ph = new PageHinkley();
        for (int t = 1; t <= 10; t++) {
            assertThat(ph.add(0.0)).isEqualTo(DriftLevel.STABLE);
        }
        for (int t = 11; t < PageHinkley.DEFAULT_MIN_INSTANCES; t++) {
            assertThat(ph.add(1_000.0)).as("t %d", t).isEqualTo(DriftLevel.STABLE);
        }
        assertThat(ph.statistic()).isGreaterThan(PageHinkley.DEFAULT_LAMBDA);
        assertThat(ph.add(1_000.0)).isEqualTo(DriftLevel.DRIFT);
        assertThat(ph.count()).isEqualTo(PageHinkley.DEFAULT_MIN_INSTANCES);
        assertThat(ph.countSinceReset()).isZero();
        assertThat(ph.mean()).isNaN();
        assertThat(ph.threshold()).isEqualTo(PageHinkley.DEFAULT_LAMBDA);
        // recorded before the reset: with x̄_t ≈ 1000 (t − 10)/t, PH_30 ≈ Σ_{t=11..30} 10000/t − 20δ ≈ 10,660
        double expected = 0.0;
        for (int t = 11; t <= 30; t++) {
            expected += 10_000.0 / t;
        }
        assertThat(ph.statistic()).isCloseTo(expected, within(0.01 * expected));
        for (int t = 0; t < 1_000; t++) {
            assertThat(ph.add(1_000.0)).isEqualTo(DriftLevel.STABLE);
        }
        assertThat(ph.statistic()).isZero();
        assertThat(ph.mean()).isEqualTo(1_000.0);
        assertThat(ph.driftCount()).isEqualTo(1);
        assertThat(ph.count()).isEqualTo(1_030);
    }

    /** The recursion PH_T = max(0, PH_{T−1} + x − x̄ − δ) equals m_T − min_{t≤T} m_t computed directly. */
    @Test
    void statisticEqualsCumulativeSumMinusItsMinimum() {
        final Rng rng = Rng.forStream(15, 0);
        final double alpha = 0.999;
        final PageHinkley ph = new PageHinkley(0.1, 1e9, 1e9, alpha, 1);
        double weight = 0.0;
        double mean = 0.0;
        double m = 0.0;
        double min = 0.0;
        double max = 0.0;
        for (int t = 0; t < 5_000; t++) {
            final double x = (t < 2_500 ? 0.0 : 0.5) + rng.nextGaussian();
            ph.add(x);
            weight = alpha * weight + 1.0;
            mean += (x - mean) / weight;
            m += x - mean - 0.1;
            min = Math.min(min, m);
            assertThat(ph.statistic()).as("t %d", t).isCloseTo(m - min, within(1e-9));
            assertThat(ph.mean()).isEqualTo(mean);
            max = Math.max(max, ph.statistic());
        }
        assertThat(max).isGreaterThan(100.0);
    }

    @Test
    void defaults() {
        final PageHinkley ph = new PageHinkley();
        assertThat(ph.delta()).isEqualTo(0.005);
        assertThat(ph.lambda()).isEqualTo(50.0);
        assertThat(ph.warningLambda()).isEqualTo(25.0);
        assertThat(ph.alpha()).isEqualTo(0.9999);
        assertThat(ph.minInstances()).isEqualTo(30);
        assertThat(ph.statistic()).isNaN();
        assertThat(ph.threshold()).isNaN();
        assertThat(ph.mean()).isNaN();
        assertThat(ph.name()).isEqualTo("PAGE_HINKLEY");
    }

    @Test
    void validatesParametersAndValues() {
        assertThatThrownBy(() -> new PageHinkley(-0.1, 50, 25, 0.9999, 30)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("delta");
        assertThatThrownBy(() -> new PageHinkley(Double.NaN, 50, 25, 0.9999, 30))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delta");
        assertThatThrownBy(() -> new PageHinkley(0.005, 0, 0, 0.9999, 30)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lambda");
        assertThatThrownBy(() -> new PageHinkley(0.005, Double.POSITIVE_INFINITY, 25, 0.9999, 30))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lambda");
        assertThatThrownBy(() -> new PageHinkley(0.005, 50, 60, 0.9999, 30)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("warningLambda");
        assertThatThrownBy(() -> new PageHinkley(0.005, 50, 0, 0.9999, 30)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("warningLambda");
        assertThatThrownBy(() -> new PageHinkley(0.005, 50, 25, 0.0, 30)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alpha");
        assertThatThrownBy(() -> new PageHinkley(0.005, 50, 25, 1.01, 30)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alpha");
        assertThatThrownBy(() -> new PageHinkley(0.005, 50, 25, 0.9999, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minInstances");
        final PageHinkley ph = new PageHinkley();
        assertThatThrownBy(() -> ph.add(Double.NaN)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("value");
        assertThatThrownBy(() -> ph.add(Double.NEGATIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ph.count()).isZero();
    }
}
