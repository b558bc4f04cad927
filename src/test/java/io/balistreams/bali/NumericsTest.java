package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/** Kernels, standardiser and random numbers against closed forms. */
class NumericsTest {

    @Test
    void triangularSolvesInvertTheFactor() {
        final Rng rng = new Rng(3);
        final DMatrixRMaj a = TestMatrices.random(rng, 6, 6);
        final DMatrixRMaj spd = new DMatrixRMaj(6, 6);
        CommonOps_DDRM.multInner(a, spd);
        for (int i = 0; i < 6; i++) {
            spd.add(i, i, 1.0);
        }
        final DMatrixRMaj l = spd.copy();
        assertThat(Kernels.choleskyInPlace(Kernels.newCholesky(6), l, spd.copy())).isZero();
        final double[] b = {1, -2, 3, 0.5, 4, -1};
        final double[] x = b.clone();
        Kernels.solveLower(l, x, 0);
        Kernels.solveLowerTransposed(l, x, 0);
        final DMatrixRMaj back = new DMatrixRMaj(6, 1);
        CommonOps_DDRM.mult(spd, new DMatrixRMaj(6, 1, true, x), back);
        for (int i = 0; i < 6; i++) {
            assertThat(back.get(i, 0)).isCloseTo(b[i], within(1e-12));
        }
        final double[] w = b.clone();
        final double quad = Kernels.inverseQuadraticForm(l, w);
        double expected = 0;
        for (int i = 0; i < 6; i++) {
            expected += b[i] * x[i];
        }
        assertThat(quad).isCloseTo(expected, within(1e-12));
    }

    @Test
    void failedCholeskyEscalatesJitterAndNonFiniteInputFails() {
        // Rank one and indefinite by rounding: v vᵀ − tiny I.
        final DMatrixRMaj m = new DMatrixRMaj(3, 3);
        final double[] v = {1, 2, 3};
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                m.set(i, j, v[i] * v[j]);
            }
            m.add(i, i, -1e-9);
        }
        final DMatrixRMaj l = m.copy();
        final double jitter = Kernels.choleskyInPlace(Kernels.newCholesky(3), l, m.copy());
        assertThat(jitter).isGreaterThan(0).isLessThan(1e-3);
        final DMatrixRMaj llt = new DMatrixRMaj(3, 3);
        CommonOps_DDRM.multTransB(l, l, llt);
        for (int i = 0; i < 3; i++) {
            m.add(i, i, jitter);
        }
        assertThat(TestMatrices.maxAbsDiff(llt, m)).isLessThan(1e-9);

        final DMatrixRMaj bad = CommonOps_DDRM.identity(3);
        bad.set(1, 1, Double.NaN);
        assertThat(Kernels.choleskyInPlace(Kernels.newCholesky(3), bad.copy(), bad.copy())).isNaN();
    }

    @Test
    void standardiserMatchesExponentiallyWeightedMoments() {
        for (final double rho : new double[]{1.0, 0.9}) {
            final Standardizer s = new Standardizer(1, rho);
            final double[] xs = {3, -1, 4, 1, -5, 9, 2, 6};
            for (final double x : xs) {
                s.observe(new double[]{x});
            }
            double w = 0;
            double m = 0;
            for (int i = 0; i < xs.length; i++) {
                final double wi = Math.pow(rho, xs.length - 1 - i);
                w += wi;
                m += wi * xs[i];
            }
            m /= w;
            double v = 0;
            for (int i = 0; i < xs.length; i++) {
                v += Math.pow(rho, xs.length - 1 - i) * (xs[i] - m) * (xs[i] - m);
            }
            v /= w;
            assertThat(s.mean()[0]).as("mean, rho %s", rho).isCloseTo(m, within(1e-12));
            assertThat(s.variance()[0]).as("variance, rho %s", rho).isCloseTo(v, within(1e-12));
            assertThat(s.weight()).isCloseTo(w, within(1e-12));
            assertThat(s.transform(m + 2 * Math.sqrt(v))).isCloseTo(2.0, within(1e-12));
        }
        final Standardizer constant = new Standardizer(1, 1.0);
        constant.observe(5.0);
        constant.observe(5.0);
        assertThat(constant.transform(7.0)).isEqualTo(2.0);
    }

    @Test
    void randomStreamsAreReproducibleAndStandardNormal() {
        final Rng a = Rng.forStream(42, 7);
        final Rng b = Rng.forStream(42, 7);
        for (int i = 0; i < 100; i++) {
            assertThat(a.nextLong()).isEqualTo(b.nextLong());
        }
        assertThat(Rng.forStream(42, 8).nextLong()).isNotEqualTo(Rng.forStream(42, 7).nextLong());
        final Rng g = new Rng(1);
        final int n = 200_000;
        double sum = 0;
        double sumSq = 0;
        double sumFourth = 0;
        for (int i = 0; i < n; i++) {
            final double z = g.nextGaussian();
            sum += z;
            sumSq += z * z;
            sumFourth += z * z * z * z;
        }
        assertThat(sum / n).isCloseTo(0, within(5 / Math.sqrt(n)));
        assertThat(sumSq / n).isCloseTo(1, within(5 * Math.sqrt(2.0 / n)));
        assertThat(sumFourth / n).isCloseTo(3, within(5 * Math.sqrt(96.0 / n)));
    }
}
