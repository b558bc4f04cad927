package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/** Kernels, standardiser and random numbers against closed forms. */
class NumericsTest {

    /** Both the small (inner-product) and the large (blocked) factorisation paths. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {6, Kernels.Cholesky.BLOCK_MIN_SIZE + 7})
    void choleskyAndTriangularSolvesInvertTheMatrix(final int n) {
        final Rng rng = new Rng(3);
        final DMatrixRMaj a = TestMatrices.random(rng, n, n);
        final DMatrixRMaj spd = new DMatrixRMaj(n, n);
        CommonOps_DDRM.multInner(a, spd);
        for (int i = 0; i < n; i++) {
            spd.add(i, i, 1.0);
        }
        final DMatrixRMaj original = spd.copy();
        final DMatrixRMaj l = new DMatrixRMaj(n, n);
        assertThat(new Kernels.Cholesky(n).factor(spd, l)).isZero();
        assertThat(spd.data).as("input not modified").isEqualTo(original.data);
        final DMatrixRMaj llt = new DMatrixRMaj(n, n);
        CommonOps_DDRM.multTransB(l, l, llt);
        assertThat(TestMatrices.maxAbsDiff(llt, spd)).isLessThan(1e-9 * TestMatrices.maxAbs(spd));
        final double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            b[i] = rng.nextGaussian();
        }
        final double[] x = b.clone();
        Kernels.solveLower(l, x, 0);
        Kernels.solveLowerTransposed(l, x, 0);
        final DMatrixRMaj back = new DMatrixRMaj(n, 1);
        CommonOps_DDRM.mult(spd, new DMatrixRMaj(n, 1, true, x), back);
        for (int i = 0; i < n; i++) {
            assertThat(back.get(i, 0)).isCloseTo(b[i], within(1e-9));
        }
        final double[] w = b.clone();
        final double quad = Kernels.inverseQuadraticForm(l, w);
        double expected = 0;
        for (int i = 0; i < n; i++) {
            expected += b[i] * x[i];
        }
        assertThat(quad).isCloseTo(expected, within(1e-9 * Math.abs(expected)));
        final DMatrixRMaj inverse = new DMatrixRMaj(1, 1);
        Kernels.invertLower(l, inverse);
        final DMatrixRMaj product = new DMatrixRMaj(n, n);
        CommonOps_DDRM.mult(l, inverse, product);
        assertThat(TestMatrices.maxAbsDiff(product, CommonOps_DDRM.identity(n))).isLessThan(1e-10);
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                assertThat(inverse.get(i, j)).isZero();
            }
        }
        assertThat(Kernels.quadraticFormWithInverseFactor(inverse, b)).isCloseTo(expected, within(1e-9 * Math.abs(expected)));
    }

    /** Shapes that exercise the 2 × 4 tiles and every remainder (odd rows, columns not a multiple of 4). */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"5,7,3", "8,8,32", "1,3,2", "9,33,8"})
    void rowInnerProductsEqualTheNaiveSumsBitForBit(final int n, final int m, final int len) {
        final Rng rng = new Rng(21);
        final double[] u = new double[n * len];
        final double[] v = new double[m * len];
        rng.fillGaussian(u, u.length);
        rng.fillGaussian(v, v.length);
        final double[] out = new double[n * m];
        Kernels.rowInnerProducts(u, n, v, m, len, out, false);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int r = 0; r < len; r++) {
                    s += u[i * len + r] * v[j * len + r];
                }
                assertThat(out[i * m + j]).as("entry %d,%d", i, j).isEqualTo(s);
            }
        }
        final double[] upper = new double[m * m];
        Kernels.rowInnerProducts(v, m, v, m, len, upper, true);
        Kernels.mirrorUpper(upper, m);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int r = 0; r < len; r++) {
                    s += v[Math.min(i, j) * len + r] * v[Math.max(i, j) * len + r];
                }
                assertThat(upper[i * m + j]).as("gram entry %d,%d", i, j).isEqualTo(s);
            }
        }
    }

    @Test
    void emaEqualsEjmlsWeightedAddBitForBitAndKeepsSymmetry() {
        final Rng rng = new Rng(5);
        final DMatrixRMaj previous = new DMatrixRMaj(6, 6);
        CommonOps_DDRM.multInner(TestMatrices.random(rng, 4, 6), previous);
        final DMatrixRMaj batch = new DMatrixRMaj(6, 6);
        CommonOps_DDRM.multInner(TestMatrices.random(rng, 3, 6), batch);
        final DMatrixRMaj expected = new DMatrixRMaj(6, 6);
        CommonOps_DDRM.add(0.93, previous, 0.07 * 11.0, batch, expected);
        final DMatrixRMaj symmetric = new DMatrixRMaj(1, 1);
        Kernels.ema(0.93, previous, 0.07 * 11.0, batch.data, symmetric, true);
        final DMatrixRMaj general = new DMatrixRMaj(1, 1);
        Kernels.ema(0.93, previous, 0.07 * 11.0, batch.data, general, false);
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                assertThat(general.get(i, j)).isEqualTo(expected.get(i, j));
                assertThat(symmetric.get(i, j)).isEqualTo(expected.get(Math.min(i, j), Math.max(i, j)));
            }
        }
    }

    @Test
    void softmaxWithEntropyMatchesTheEntropyOfTheSoftmax() {
        final double[][] logits = {{0.3, -1.2}, {0, 800}, {-1000, 0, 3}, {2, 2, 2, 2}, {1e-3, 0, -7, 40, 39.5}};
        for (final double[] z : logits) {
            final int k = z.length;
            final double[] reference = z.clone();
            Kernels.softmaxInPlace(reference, k);
            final double expected = Kernels.entropy(reference, k);
            final double[] p = new double[k];
            final double[] zCopy = z.clone();
            final double h = Kernels.softmaxWithEntropy(zCopy, p, k);
            assertThat(zCopy).as("logits unchanged").isEqualTo(z);
            for (int i = 0; i < k; i++) {
                assertThat(p[i]).isCloseTo(reference[i], within(1e-15));
            }
            assertThat(h).as("entropy of %s", java.util.Arrays.toString(z)).isCloseTo(expected, within(1e-14));
            assertThat(h).isGreaterThanOrEqualTo(0.0);
        }
        assertThat(Kernels.softmaxWithEntropy(new double[] {2, 2, 2, 2}, new double[4], 4)).isCloseTo(Math.log(4), within(1e-15));
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
        final DMatrixRMaj l = new DMatrixRMaj(3, 3);
        final double jitter = new Kernels.Cholesky(3).factor(m, l);
        assertThat(jitter).isGreaterThan(0).isLessThan(1e-3);
        final DMatrixRMaj llt = new DMatrixRMaj(3, 3);
        CommonOps_DDRM.multTransB(l, l, llt);
        for (int i = 0; i < 3; i++) {
            m.add(i, i, jitter);
        }
        assertThat(TestMatrices.maxAbsDiff(llt, m)).isLessThan(1e-9);

        final DMatrixRMaj bad = CommonOps_DDRM.identity(3);
        bad.set(1, 1, Double.NaN);
        assertThat(new Kernels.Cholesky(3).factor(bad, new DMatrixRMaj(3, 3))).isNaN();
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
