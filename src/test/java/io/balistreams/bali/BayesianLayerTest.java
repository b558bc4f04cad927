package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/**
 * The identities of docs/method.md §7 at the level of one layer (the layer algebra of §3–§5), against
 * brute-force computations in the full pq-dimensional weight space.
 *
 * <p>Vectorisation convention here: row-major, w = vec_r(W) = [W_1,:, W_2,:, …]. In it a
 * matrix-normal MN(M, Σ, Λ⁻¹) (row covariance Σ, column covariance Λ⁻¹) has Cov(w) = Σ ⊗ Λ⁻¹; this is
 * the Λ⁻¹ ⊗ Σ of docs/method.md written for column-major vec.
 */
class BayesianLayerTest {
    private static final int INPUTS = 3;
    private static final int P = INPUTS + 1;
    private static final int Q = 3;
    private static final double LAMBDA = 0.7;
    private static final double GAMMA = 0.5;

    private static BayesianLayer softmaxOutputLayer() {
        final BaliConfig config = BaliConfig.classification(INPUTS, Q).priorPrecision(LAMBDA).outputGamma(GAMMA).build();
        final BayesianLayer layer = new BayesianLayer(INPUTS, Q, BayesianLayer.SigmaKind.KFAC_FIXED_FLOOR, config);
        layer.initialise(new DMatrixRMaj(Q, P));
        return layer;
    }

    /**
     * One update with β arbitrary and N = b reproduces the exact conjugate posterior given the
     * pseudo-targets: Λ = λI + Σ āāᵀ, M = Σ z̃āᵀ Λ⁻¹ (after bias correction, S/c = the batch's sum).
     */
    private static BayesianLayer layerAfterOneUpdate(final Rng rng, final DMatrixRMaj inputs, final DMatrixRMaj targets) {
        final BayesianLayer layer = softmaxOutputLayer();
        final int b = inputs.numRows;
        final DMatrixRMaj grads = TestMatrices.random(rng, b, Q);
        final double beta = 0.8;
        assertThat(layer.updateSigma(grads, beta, 1 - beta, Double.NaN)).isTrue();
        assertThat(layer.updatePosterior(inputs, targets, beta, b, 1 - beta)).isTrue();
        layer.commit();
        return layer;
    }

    @Test
    void posteriorMatchesBruteForceGaussianPosteriorInWeightSpace() {
        final Rng rng = new Rng(11);
        final int b = 7;
        final DMatrixRMaj inputs = TestMatrices.augmentedInputs(rng, b, INPUTS);
        final DMatrixRMaj targets = TestMatrices.random(rng, b, Q);
        final BayesianLayer layer = layerAfterOneUpdate(rng, inputs, targets);
        final DMatrixRMaj sigma = layer.sigma();
        final DMatrixRMaj sigmaInv = TestMatrices.inverse(sigma);

        // Prior w ~ N(0, Σ ⊗ Λ0⁻¹)  =>  precision Σ⁻¹ ⊗ Λ0.
        final DMatrixRMaj lambda0 = CommonOps_DDRM.identity(P);
        CommonOps_DDRM.scale(LAMBDA, lambda0);
        final DMatrixRMaj precision = TestMatrices.kron(sigmaInv, lambda0);
        final DMatrixRMaj linear = new DMatrixRMaj(Q * P, 1);
        // Likelihood z̃_n ~ N(X_n w, Σ) with X_n = I_q ⊗ ā_nᵀ (q × pq).
        for (int n = 0; n < b; n++) {
            final DMatrixRMaj x = new DMatrixRMaj(Q, Q * P);
            for (int i = 0; i < Q; i++) {
                for (int j = 0; j < P; j++) {
                    x.set(i, i * P + j, inputs.get(n, j));
                }
            }
            final DMatrixRMaj xtSigmaInv = new DMatrixRMaj(Q * P, Q);
            CommonOps_DDRM.multTransA(x, sigmaInv, xtSigmaInv);
            final DMatrixRMaj term = new DMatrixRMaj(Q * P, Q * P);
            CommonOps_DDRM.mult(xtSigmaInv, x, term);
            CommonOps_DDRM.addEquals(precision, term);
            final DMatrixRMaj z = new DMatrixRMaj(Q, 1);
            for (int i = 0; i < Q; i++) {
                z.set(i, 0, targets.get(n, i));
            }
            final DMatrixRMaj lin = new DMatrixRMaj(Q * P, 1);
            CommonOps_DDRM.mult(xtSigmaInv, z, lin);
            CommonOps_DDRM.addEquals(linear, lin);
        }
        final DMatrixRMaj covariance = TestMatrices.inverse(precision);
        final DMatrixRMaj mean = new DMatrixRMaj(Q * P, 1);
        CommonOps_DDRM.mult(covariance, linear, mean);

        final DMatrixRMaj layerMean = layer.current().mean.copy();
        layerMean.reshape(Q * P, 1);
        assertThat(TestMatrices.maxAbsDiff(layerMean, mean)).isLessThan(1e-10);
        final DMatrixRMaj layerCovariance = TestMatrices.kron(sigma, layer.lambdaInverse());
        assertThat(TestMatrices.maxAbsDiff(layerCovariance, covariance)).isLessThan(1e-10);

        // Σ is the damped G factor of the batch: (GᵀG/b + γI)⁻¹ was used; Λ = λI + ĀᵀĀ.
        final DMatrixRMaj lambda = new DMatrixRMaj(P, P);
        CommonOps_DDRM.multInner(inputs, lambda);
        CommonOps_DDRM.addEquals(lambda, lambda0);
        assertThat(TestMatrices.maxAbsDiff(layer.lambdaInverse(), TestMatrices.inverse(lambda))).isLessThan(1e-12);
    }

    /** Exact covariance of the sampler as a linear map of Z: Σ_k (W(e_k) − M)(W(e_k) − M)ᵀ. */
    private static DMatrixRMaj exactSamplerCovariance(final BayesianLayer layer, final boolean transposeTrap) {
        final int n = Q * P;
        final DMatrixRMaj cov = new DMatrixRMaj(n, n);
        for (int k = 0; k < n; k++) {
            final DMatrixRMaj z = new DMatrixRMaj(Q, P);
            z.data[k] = 1.0;
            if (transposeTrap) {
                // The wrong solve L Xᵀ = Zᵀ (x = L⁻¹ z), then the same output-side factor.
                final DMatrixRMaj x = z.copy();
                for (int i = 0; i < Q; i++) {
                    Kernels.solveLower(layer.current().cholLambda, x.data, i * P);
                }
                final DMatrixRMaj w = new DMatrixRMaj(Q, P);
                final DMatrixRMaj sigmaRoot = new DMatrixRMaj(Q, Q);
                for (int j = 0; j < Q; j++) {
                    final double[] e = new double[Q];
                    e[j] = 1;
                    layer.applySigmaSquareRoot(e, 0);
                    for (int i = 0; i < Q; i++) {
                        sigmaRoot.set(i, j, e[i]);
                    }
                }
                CommonOps_DDRM.mult(sigmaRoot, x, w);
                z.setTo(w);
            } else {
                layer.sampleFromStandardNormal(z);
                CommonOps_DDRM.subtractEquals(z, layer.current().mean);
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    cov.data[i * n + j] += z.data[i] * z.data[j];
                }
            }
        }
        return cov;
    }

    @Test
    void samplerHasExactlyTheKroneckerCovarianceAndTheTransposeTrapDoesNot() {
        final Rng rng = new Rng(5);
        final DMatrixRMaj inputs = TestMatrices.augmentedInputs(rng, 6, INPUTS);
        for (int n = 0; n < inputs.numRows; n++) {
            inputs.set(n, 0, 3 * inputs.get(n, 0) + inputs.get(n, 1)); // correlated, badly scaled columns
        }
        final BayesianLayer layer = layerAfterOneUpdate(rng, inputs, TestMatrices.random(rng, 6, Q));
        final DMatrixRMaj expected = TestMatrices.kron(layer.sigma(), layer.lambdaInverse());

        assertThat(TestMatrices.maxAbsDiff(exactSamplerCovariance(layer, false), expected))
                .isLessThan(1e-12 * Math.max(1, TestMatrices.maxAbs(expected)));
        // The trap gives a covariance off by far more than rounding: the check above can fail.
        assertThat(TestMatrices.maxAbsDiff(exactSamplerCovariance(layer, true), expected))
                .isGreaterThan(0.05 * TestMatrices.maxAbs(expected));
    }

    @Test
    void empiricalCovarianceOfSampledWeightsMatchesKroneckerFactorsWithinMonteCarloError() {
        final Rng rng = new Rng(7);
        final DMatrixRMaj inputs = TestMatrices.augmentedInputs(rng, 5, INPUTS);
        final BayesianLayer layer = layerAfterOneUpdate(rng, inputs, TestMatrices.random(rng, 5, Q));
        final DMatrixRMaj expected = TestMatrices.kron(layer.sigma(), layer.lambdaInverse());
        final DMatrixRMaj mean = layer.current().mean;
        final int n = Q * P;
        final int samples = 40_000;
        final double[] sum = new double[n];
        final DMatrixRMaj cross = new DMatrixRMaj(n, n);
        final DMatrixRMaj w = new DMatrixRMaj(Q, P);
        final Rng sampler = new Rng(99);
        for (int s = 0; s < samples; s++) {
            layer.sample(sampler, w);
            for (int i = 0; i < n; i++) {
                final double di = w.data[i] - mean.data[i];
                sum[i] += di;
                for (int j = 0; j < n; j++) {
                    cross.data[i * n + j] += di * (w.data[j] - mean.data[j]);
                }
            }
        }
        int outside = 0;
        for (int i = 0; i < n; i++) {
            // Mean: standard error √(C_ii / S).
            assertThat(Math.abs(sum[i] / samples)).isLessThan(5 * Math.sqrt(expected.get(i, i) / samples));
            for (int j = 0; j < n; j++) {
                final double empirical = cross.get(i, j) / samples;
                final double c = expected.get(i, j);
                final double se = Math.sqrt((expected.get(i, i) * expected.get(j, j) + c * c) / samples);
                if (Math.abs(empirical - c) > 4 * se) {
                    outside++;
                }
                assertThat(Math.abs(empirical - c)).as("cov[%d,%d]", i, j).isLessThan(6 * se);
            }
        }
        assertThat(outside).isLessThanOrEqualTo(2);
    }

    /**
     * §4: the EMA form equals the preconditioned step
     * M_t = M_{t−1} − ω_t [η Σ_t Ĥ_t + (M_{t−1} − M0) Λ0] Λ_t⁻¹, ω_t = (1−β)/(1−β^t), Ĥ_t = (N/B) Σ g āᵀ.
     */
    @Test
    void emaUpdateEqualsPreconditionedStep() {
        final Rng rng = new Rng(3);
        final BayesianLayer layer = softmaxOutputLayer();
        final DMatrixRMaj init = TestMatrices.random(rng, Q, P);
        layer.initialise(init);
        final double beta = 0.85;
        final double eta = 0.7;
        final double dataScale = 50;
        final int b = 6;
        double c = 0;
        for (int t = 1; t <= 6; t++) {
            final DMatrixRMaj previous = layer.current().mean.copy();
            final DMatrixRMaj inputs = TestMatrices.augmentedInputs(rng, b, INPUTS);
            final DMatrixRMaj grads = TestMatrices.random(rng, b, Q);
            final DMatrixRMaj pre = new DMatrixRMaj(b, Q);
            CommonOps_DDRM.multTransB(inputs, previous, pre);
            c = beta * c + (1 - beta);
            assertThat(layer.updateSigma(grads, beta, c, Double.NaN)).isTrue();
            final DMatrixRMaj pseudo = new DMatrixRMaj(b, Q);
            layer.pseudoTargets(pre, grads, eta, Double.NaN, pseudo);
            assertThat(layer.updatePosterior(inputs, pseudo, beta, dataScale, c)).isTrue();
            layer.commit();

            final double omega = (1 - beta) / c;
            assertThat(c).isCloseTo(1 - Math.pow(beta, t), org.assertj.core.data.Offset.offset(1e-15));
            final DMatrixRMaj h = new DMatrixRMaj(Q, P);
            CommonOps_DDRM.multTransA(grads, inputs, h);
            CommonOps_DDRM.scale(dataScale / b, h);
            final DMatrixRMaj step = new DMatrixRMaj(Q, P);
            CommonOps_DDRM.mult(layer.sigma(), h, step);
            CommonOps_DDRM.scale(eta, step);
            final DMatrixRMaj priorPull = previous.copy();
            CommonOps_DDRM.scale(LAMBDA, priorPull);
            CommonOps_DDRM.addEquals(step, priorPull);
            final DMatrixRMaj preconditioned = new DMatrixRMaj(Q, P);
            CommonOps_DDRM.mult(step, layer.lambdaInverse(), preconditioned);
            final DMatrixRMaj expected = previous.copy();
            CommonOps_DDRM.addEquals(expected, -omega, preconditioned);
            assertThat(TestMatrices.maxAbsDiff(layer.current().mean, expected)).as("step %d", t)
                    .isLessThan(1e-10 * Math.max(1, TestMatrices.maxAbs(expected)));
        }
    }

    @Test
    void relativeFloorOfHiddenLayerScalesWithTheGradients() {
        final BaliConfig config = BaliConfig.regression(INPUTS, Q, 1).hiddenKappa(2.0).hiddenGammaMin(1e-3).build();
        final BayesianLayer layer = new BayesianLayer(INPUTS, Q, BayesianLayer.SigmaKind.KFAC_RELATIVE_FLOOR, config);
        layer.initialise(new DMatrixRMaj(Q, P));
        final Rng rng = new Rng(1);
        final DMatrixRMaj grads = TestMatrices.random(rng, 8, Q);
        CommonOps_DDRM.scale(10.0, grads);
        assertThat(layer.updateSigma(grads, 0.9, 0.1, Double.NaN)).isTrue();
        layer.commit();
        final DMatrixRMaj g = new DMatrixRMaj(Q, Q);
        CommonOps_DDRM.multInner(grads, g);
        CommonOps_DDRM.scale(1.0 / 8, g);
        final double gamma = 2.0 * CommonOps_DDRM.trace(g) / Q;
        assertThat(layer.gamma()).isCloseTo(gamma, org.assertj.core.data.Offset.offset(1e-9 * gamma));
        final DMatrixRMaj expectedInverse = g.copy();
        for (int i = 0; i < Q; i++) {
            expectedInverse.add(i, i, gamma);
        }
        assertThat(TestMatrices.maxAbsDiff(layer.sigma(), TestMatrices.inverse(expectedInverse))).isLessThan(1e-12);

        // Vanishing gradients: the absolute minimum takes over, Σ = I/γ_min.
        final BayesianLayer quiet = new BayesianLayer(INPUTS, Q, BayesianLayer.SigmaKind.KFAC_RELATIVE_FLOOR, config);
        quiet.initialise(new DMatrixRMaj(Q, P));
        assertThat(quiet.updateSigma(new DMatrixRMaj(4, Q), 0.9, 0.1, Double.NaN)).isTrue();
        quiet.commit();
        assertThat(quiet.gamma()).isEqualTo(1e-3);
        assertThat(quiet.sigma().get(0, 0)).isCloseTo(1e3, org.assertj.core.data.Offset.offset(1e-9));
    }
}
