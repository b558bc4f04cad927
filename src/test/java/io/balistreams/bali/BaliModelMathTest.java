package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/** docs/method.md §7 identities through the whole network API. */
class BaliModelMathTest {

    /**
     * §7.1 through the network: one layer, identity output, fixed noise σ², N = data size, one batch of
     * all data: the model is exact Bayesian linear regression, M = (λI + ĀᵀĀ)⁻¹Āᵀy and the predictive
     * variance is σ²(1 + āᵀΛ⁻¹ā).
     */
    @Test
    void oneLayerNetworkIsExactBayesianLinearRegression() {
        final int d = 4;
        final int n = 25;
        final double noise = 0.3;
        final double lambda = 2.0;
        final Rng rng = new Rng(17);
        final double[][] x = new double[n][d];
        final double[] y = new double[n];
        final DMatrixRMaj design = new DMatrixRMaj(n, d + 1);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = rng.nextGaussian() * (j + 1);
                design.set(i, j, x[i][j]);
            }
            design.set(i, d, 1.0);
            y[i] = 1.5 * x[i][0] - 0.5 * x[i][2] + 0.2 + 0.3 * rng.nextGaussian();
        }
        final BaliConfig config = BaliConfig.regression(d, 1).dataScale(n).priorPrecision(lambda)
                .fixedNoiseVariance(noise).standardizeInputs(false).standardizeTargets(false).beta(0.6).build();
        final BaliModel model = new BaliModel(config);
        assertThat(model.learn(x, y).accepted()).isTrue();

        final DMatrixRMaj precision = new DMatrixRMaj(d + 1, d + 1);
        CommonOps_DDRM.multInner(design, precision);
        for (int j = 0; j <= d; j++) {
            precision.add(j, j, lambda);
        }
        final DMatrixRMaj covariance = TestMatrices.inverse(precision);
        final DMatrixRMaj xty = new DMatrixRMaj(d + 1, 1);
        CommonOps_DDRM.multTransA(design, new DMatrixRMaj(n, 1, true, y), xty);
        final DMatrixRMaj weights = new DMatrixRMaj(d + 1, 1);
        CommonOps_DDRM.mult(covariance, xty, weights);

        final DMatrixRMaj mean = model.layer(0).current().mean;
        for (int j = 0; j <= d; j++) {
            assertThat(mean.get(0, j)).isCloseTo(weights.get(j, 0), within(1e-10));
        }
        final double[] probe = {0.3, -1.0, 2.0, 0.5};
        final DMatrixRMaj a = new DMatrixRMaj(d + 1, 1, true, 0.3, -1.0, 2.0, 0.5, 1.0);
        final DMatrixRMaj tmp = new DMatrixRMaj(d + 1, 1);
        CommonOps_DDRM.mult(covariance, a, tmp);
        final double leverage = CommonOps_DDRM.dot(a, tmp);
        final RegressionPrediction p = model.predict(probe);
        assertThat(p.mean()).isCloseTo(CommonOps_DDRM.dot(a, weights), within(1e-10));
        assertThat(p.leverage()).isCloseTo(leverage, within(1e-12));
        assertThat(p.aleatoricVariance()).isEqualTo(noise);
        assertThat(p.totalVariance()).isCloseTo(noise * (1 + leverage), within(1e-12));
    }

    /** §7.4: with a Gaussian output, Σ_L = σ²_y I and η = 1, the output pseudo-targets are the targets. */
    @Test
    void gaussianOutputPseudoTargetsEqualTheTargets() {
        final Rng rng = new Rng(2);
        final BaliConfig config = BaliConfig.regression(3, 16, 1).activation(Activation.TANH).batchSize(8).seed(4).build();
        final BaliModel model = new BaliModel(config);
        for (int step = 0; step < 5; step++) {
            final double[][] x = new double[8][3];
            final double[] y = new double[8];
            for (int n = 0; n < 8; n++) {
                for (int j = 0; j < 3; j++) {
                    x[n][j] = rng.nextGaussian();
                }
                y[n] = Math.sin(x[n][0]) + x[n][1] * x[n][2] + 0.1 * rng.nextGaussian();
            }
            assertThat(model.learn(x, y).accepted()).isTrue();
            final DMatrixRMaj pseudo = model.lastPseudoTargets();
            final Standardizer ys = model.targetStandardizer();
            for (int n = 0; n < 8; n++) {
                assertThat(pseudo.get(n, 0)).as("step %d record %d", step, n).isCloseTo(ys.transform(y[n]), within(1e-12));
            }
        }
    }

    /** The closed-form classifier's probabilities are a proper distribution and MI ≤ entropy ≤ log K. */
    @Test
    void classificationPredictiveIsAProperDistribution() {
        final Rng rng = new Rng(8);
        final BaliModel model = new BaliModel(BaliConfig.classification(2, 8, 4).batchSize(16).seed(1).build());
        final double[][] x = new double[16][2];
        final int[] labels = new int[16];
        for (int step = 0; step < 10; step++) {
            for (int n = 0; n < 16; n++) {
                x[n][0] = rng.nextGaussian();
                x[n][1] = rng.nextGaussian();
                labels[n] = (x[n][0] > 0 ? 1 : 0) + (x[n][1] > 0 ? 2 : 0);
            }
            model.learn(x, labels);
        }
        for (int i = 0; i < 50; i++) {
            final double[] probe = {3 * rng.nextGaussian(), 3 * rng.nextGaussian()};
            for (final ClassificationPrediction p : new ClassificationPrediction[]{model.classify(probe),
                    model.classifyMonteCarlo(probe)}) {
                double sum = 0;
                for (final double v : p.probabilities()) {
                    assertThat(v).isBetween(0.0, 1.0);
                    sum += v;
                }
                assertThat(sum).isCloseTo(1.0, within(1e-12));
                assertThat(p.mutualInformation()).isBetween(0.0, p.entropy() + 1e-12);
                assertThat(p.entropy()).isLessThanOrEqualTo(Math.log(4) + 1e-12);
                assertThat(p.probabilities()[p.predictedClass()]).isEqualTo(
                        java.util.Arrays.stream(p.probabilities()).max().orElseThrow());
            }
        }
    }

    /** Log evidence of Bayesian linear regression y ~ N(Φw, β⁻¹), w ~ N(0, α⁻¹ I). */
    private static double logEvidence(final DMatrixRMaj phi, final DMatrixRMaj y, final double alpha, final double beta) {
        final int n = phi.numRows;
        final int p = phi.numCols;
        final DMatrixRMaj a = new DMatrixRMaj(p, p);
        CommonOps_DDRM.multInner(phi, a);
        CommonOps_DDRM.scale(beta, a);
        for (int i = 0; i < p; i++) {
            a.add(i, i, alpha);
        }
        final DMatrixRMaj phiTy = new DMatrixRMaj(p, 1);
        CommonOps_DDRM.multTransA(phi, y, phiTy);
        final DMatrixRMaj m = new DMatrixRMaj(p, 1);
        CommonOps_DDRM.mult(TestMatrices.inverse(a), phiTy, m);
        CommonOps_DDRM.scale(beta, m);
        final DMatrixRMaj fit = new DMatrixRMaj(n, 1);
        CommonOps_DDRM.mult(phi, m, fit);
        double residual = 0;
        for (int i = 0; i < n; i++) {
            residual += (y.get(i) - fit.get(i)) * (y.get(i) - fit.get(i));
        }
        final double energy = 0.5 * beta * residual + 0.5 * alpha * CommonOps_DDRM.dot(m, m);
        return 0.5 * p * Math.log(alpha) + 0.5 * n * Math.log(beta) - energy - 0.5 * Math.log(CommonOps_DDRM.det(a))
                - 0.5 * n * Math.log(2 * Math.PI);
    }

    /**
     * The evidence refit (docs/method.md §10) of a one-layer model lands on the evidence maximum: the log
     * evidence at the chosen (α, β) is higher than at any nearby point, and the layer's mean is the
     * posterior mean of Bayesian linear regression with those hyper-parameters.
     */
    @Test
    void evidenceRefitMaximisesTheEvidenceOfTheLastLayer() {
        final int d = 3;
        final int n = 60;
        final Rng rng = new Rng(31);
        final double[][] x = new double[n][d];
        final double[] y = new double[n];
        final DMatrixRMaj phi = new DMatrixRMaj(n, d + 1);
        final DMatrixRMaj yv = new DMatrixRMaj(n, 1);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = rng.nextGaussian();
                phi.set(i, j, x[i][j]);
            }
            phi.set(i, d, 1.0);
            y[i] = 0.8 * x[i][0] - 0.3 * x[i][1] + 0.5 + 0.4 * rng.nextGaussian();
            yv.set(i, 0, y[i]);
        }
        final BaliModel model = new BaliModel(BaliConfig.regression(d, 1).dataScale(n).standardizeInputs(false)
                .standardizeTargets(false).build());
        model.learn(x, y);
        final UpdateResult refit = model.refitLastLayer(x, y);
        assertThat(refit.accepted()).as(refit.reason()).isTrue();

        final double beta = 1.0 / model.noiseVarianceStandardised();
        final double alpha = model.layer(0).priorPrecision() * beta;
        assertThat(Math.sqrt(1 / beta)).as("noise sd").isBetween(0.3, 0.5);
        final double best = logEvidence(phi, yv, alpha, beta);
        for (final double[] f : new double[][]{{1.05, 1}, {1 / 1.05, 1}, {1, 1.05}, {1, 1 / 1.05}}) {
            assertThat(logEvidence(phi, yv, alpha * f[0], beta * f[1])).as("evidence at alpha x%s, beta x%s", f[0], f[1])
                    .isLessThan(best);
        }
        final DMatrixRMaj precision = new DMatrixRMaj(d + 1, d + 1);
        CommonOps_DDRM.multInner(phi, precision);
        for (int j = 0; j <= d; j++) {
            precision.add(j, j, alpha / beta);
        }
        final DMatrixRMaj phiTy = new DMatrixRMaj(d + 1, 1);
        CommonOps_DDRM.multTransA(phi, yv, phiTy);
        final DMatrixRMaj mean = new DMatrixRMaj(d + 1, 1);
        CommonOps_DDRM.mult(TestMatrices.inverse(precision), phiTy, mean);
        for (int j = 0; j <= d; j++) {
            assertThat(model.layer(0).current().mean.get(0, j)).isCloseTo(mean.get(j, 0), within(1e-10));
        }

        // The refitted λ is part of the state: a restored model predicts and continues identically.
        final BaliModel restored = ModelStateCodec.decode(ModelStateCodec.encode(model));
        assertThat(restored.layer(0).priorPrecision()).isEqualTo(model.layer(0).priorPrecision());
        assertThat(restored.predict(x[0])).usingRecursiveComparison().isEqualTo(model.predict(x[0]));
        model.learn(x, y);
        restored.learn(x, y);
        assertThat(ModelStateCodec.encode(restored)).isEqualTo(ModelStateCodec.encode(model));
    }
}
