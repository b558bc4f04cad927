package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** {@link GaussianMixture}: Φ, the density, the distribution function and its quantiles. */
class GaussianMixtureTest {

    @Test
    void standardNormalCdfMatchesTabulatedValuesToOneInAQuadrillion() {
        assertThat(GaussianMixture.standardNormalCdf(0)).isEqualTo(0.5);
        assertThat(GaussianMixture.standardNormalCdf(RegressionPrediction.Z95)).isCloseTo(0.975, within(1e-15));
        assertThat(GaussianMixture.standardNormalCdf(-RegressionPrediction.Z95)).isCloseTo(0.025, within(1e-15));
        // Φ(1) = 0.841344746068542948…, Φ(−3) = 0.001349898031630094…, Φ(5) = 1 − 2.866515718791939e-7
        assertThat(GaussianMixture.standardNormalCdf(1)).isCloseTo(0.8413447460685429, within(1e-15));
        assertThat(GaussianMixture.standardNormalCdf(-3)).isCloseTo(0.0013498980316300957, within(1e-15));
        assertThat(GaussianMixture.standardNormalCdf(5)).isCloseTo(1 - 2.866515718791939e-7, within(1e-15));
        assertThat(GaussianMixture.standardNormalCdf(-40)).isEqualTo(0.0);
        assertThat(GaussianMixture.standardNormalCdf(40)).isEqualTo(1.0);
        // symmetric: Φ(z) + Φ(−z) = 1
        for (double z = 0; z < 8; z += 0.37) {
            assertThat(GaussianMixture.standardNormalCdf(z) + GaussianMixture.standardNormalCdf(-z))
                    .isCloseTo(1.0, within(2e-15));
        }
    }

    @Test
    void oneComponentIsItsGaussian() {
        final GaussianMixture g = new GaussianMixture(new double[]{1}, new double[]{3}, new double[]{4});
        assertThat(g.logDensity(4)).isCloseTo(-0.5 * Math.log(2 * Math.PI * 4) - 0.125, within(1e-14));
        assertThat(Math.log(g.density(4))).isCloseTo(g.logDensity(4), within(1e-14));
        assertThat(g.cdf(3)).isCloseTo(0.5, within(1e-15));
        assertThat(g.quantile(0.975, 0)).isCloseTo(3 + 2 * RegressionPrediction.Z95, within(1e-12));
        assertThat(g.quantile(0.025, 100)).isCloseTo(3 - 2 * RegressionPrediction.Z95, within(1e-12));
        assertThat(g.covers95(3 + 2 * 1.95)).isTrue();
        assertThat(g.covers95(3 + 2 * 1.97)).isFalse();
    }

    @Test
    void quantilesInvertTheDistributionFunctionOfASkewedMixture() {
        final GaussianMixture g = new GaussianMixture(new double[]{0.7, 0.2, 0.1}, new double[]{0, 3, -10},
                new double[]{1, 0.25, 25});
        for (final double p : new double[]{1e-6, 0.025, 0.1, 0.5, 0.9, 0.975, 1 - 1e-6}) {
            final double t = g.quantile(p, 0);
            assertThat(g.cdf(t)).as("F(F⁻¹(%s))", p).isCloseTo(p, within(1e-12));
        }
        // a poor start (far outside every component) still lands on the quantile
        assertThat(g.quantile(0.5, 1e9)).isCloseTo(g.quantile(0.5, 0), within(1e-9));
        // F(y) by hand at y = 1: 0.7 Φ(1) + 0.2 Φ(−4) + 0.1 Φ(2.2)
        final double byHand = 0.7 * 0.8413447460685429 + 0.2 * 3.167124183311998e-5 + 0.1 * 0.9860965524865013;
        assertThat(g.cdf(1)).isCloseTo(byHand, within(1e-14));
        // log density = log of the weighted sum, and stays finite far out where every component underflows
        final double y = 1.3;
        double sum = 0;
        final double[] w = {0.7, 0.2, 0.1};
        final double[] m = {0, 3, -10};
        final double[] v = {1, 0.25, 25};
        for (int k = 0; k < 3; k++) {
            sum += w[k] * Math.exp(-0.5 * (y - m[k]) * (y - m[k]) / v[k]) / Math.sqrt(2 * Math.PI * v[k]);
        }
        assertThat(g.logDensity(y)).isCloseTo(Math.log(sum), within(1e-13));
        assertThat(g.logDensity(-300)).isCloseTo(Math.log(0.1) - 0.5 * Math.log(2 * Math.PI * 25)
                - 0.5 * 290 * 290 / 25.0, within(1e-9));
    }

    @Test
    void aScaleMixtureHasHeavierTailsThanItsMomentMatchedGaussian() {
        // ½N(0, 1) + ½N(0, 9) has variance 5: the moment-matched interval is ±1.96·√5 = ±4.383, while the mixture's
        // own 97.5% quantile solves ½Φ(t) + ½Φ(t/3) = 0.975, t = 4.934573 (bisection with erfc to 1e-15): the wide
        // component's tail holds more than 2.5% beyond ±4.383.
        final GaussianMixture g = new GaussianMixture(new double[]{0.5, 0.5}, new double[]{0, 0}, new double[]{1, 9});
        final double upper = g.quantile(0.975, 1.96 * Math.sqrt(5));
        assertThat(upper).isCloseTo(4.9345725635377855, within(1e-9));
        assertThat(g.quantile(0.025, 0)).isCloseTo(-upper, within(1e-9));
        assertThat(g.covers95(4.5)).isTrue();
        assertThat(Math.abs(4.5) <= RegressionPrediction.Z95 * Math.sqrt(5)).isFalse();
        // and a sharper peak: the density at 0 exceeds the moment-matched Gaussian's 1/√(2π·5)
        assertThat(g.density(0)).isCloseTo((1 + 1 / 3.0) / 2 / Math.sqrt(2 * Math.PI), within(1e-15));
        assertThat(g.density(0)).isGreaterThan(1 / Math.sqrt(2 * Math.PI * 5));
    }

    @Test
    void refusesComponentsThatAreNotADistribution() {
        assertThatThrownBy(() -> new GaussianMixture(new double[]{1}, new double[]{0, 1}, new double[]{1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("as many");
        assertThatThrownBy(() -> new GaussianMixture(new double[]{1}, new double[]{0}, new double[]{0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("variance 0.0");
        assertThatThrownBy(() -> new GaussianMixture(new double[]{-0.1}, new double[]{0}, new double[]{1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight");
        assertThatThrownBy(() -> new GaussianMixture(new double[]{1}, new double[]{0}, new double[]{1}).quantile(1, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
