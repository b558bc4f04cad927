package io.balistreams.bali;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * One layer of a BALI network: a Bayesian multivariate linear regression of the pre-activation on the
 * augmented input ā = [a; 1] (docs/method.md §1, §3), with the EMA over natural-parameter terms of §4.
 *
 * <p>Shapes: p = d_in + 1 (bias absorbed as the last column), q = d_out. The posterior is
 * W ~ MN(M, Σ, Λ⁻¹), Cov(vec W) = Λ⁻¹ ⊗ Σ, with
 * <ul>
 *   <li>Λ = λ I + S_A / c (input side, p × p), held as its Cholesky factor L (Λ = L Lᵀ);</li>
 *   <li>M = (S_C / c) Λ⁻¹ (prior mean M0 = 0), solved row by row with L, never forming Λ⁻¹;</li>
 *   <li>Σ (output side, q × q), held through the Cholesky factor R of its inverse, Σ⁻¹ = R Rᵀ:
 *       hidden layers Σ = (Ḡ + γ I)⁻¹ with the relative floor γ = max(γ_min, κ tr(Ḡ)/q); a softmax
 *       output Σ = (Ḡ + γ I)⁻¹ with a fixed γ; a Gaussian output Σ = σ²_y I (§3).</li>
 * </ul>
 * The sums S_A, S_C, S_G and the mean M are the state; L and R are derived. Every quantity that an update
 * changes lives in a {@link Parameters} object; an update writes a second one and {@link #commit()}
 * swaps them, so a rejected update leaves the layer exactly as it was.
 *
 * <p>Not thread-safe.
 */
final class BayesianLayer {

    /** How the output-side factor Σ is obtained (§3). */
    enum SigmaKind {
        /** Hidden layer: (Ḡ + γ I)⁻¹, γ = max(γ_min, κ tr(Ḡ)/q). */
        KFAC_RELATIVE_FLOOR,
        /** Softmax output layer: (Ḡ + γ I)⁻¹ with a fixed γ. */
        KFAC_FIXED_FLOOR,
        /** Gaussian output layer: σ²_y I. */
        GAUSSIAN_NOISE
    }

    /** Everything an update changes. */
    static final class Parameters {
        final DMatrixRMaj sumA;
        final DMatrixRMaj sumC;
        final DMatrixRMaj sumG;
        final DMatrixRMaj mean;
        /** Lower Cholesky factor L of Λ. */
        final DMatrixRMaj cholLambda;
        /** Lower Cholesky factor R of Σ⁻¹. */
        final DMatrixRMaj sigmaInvChol;

        Parameters(final int p, final int q, final boolean hasG) {
            sumA = new DMatrixRMaj(p, p);
            sumC = new DMatrixRMaj(q, p);
            sumG = hasG ? new DMatrixRMaj(q, q) : new DMatrixRMaj(0, 0);
            mean = new DMatrixRMaj(q, p);
            cholLambda = new DMatrixRMaj(p, p);
            sigmaInvChol = new DMatrixRMaj(q, q);
        }

        void setTo(final Parameters o) {
            sumA.setTo(o.sumA);
            sumC.setTo(o.sumC);
            sumG.setTo(o.sumG);
            mean.setTo(o.mean);
            cholLambda.setTo(o.cholLambda);
            sigmaInvChol.setTo(o.sigmaInvChol);
        }
    }

    final int p;
    final int q;
    final SigmaKind sigmaKind;
    /** λ of this layer's prior Λ0 = λ I: the configured value, or the evidence-optimal one after {@link #replacePosterior}. */
    private double priorPrecision;
    private final double gammaFixed;
    private final double kappa;
    private final double gammaMin;

    private Parameters current;
    private Parameters next;
    /** Mᵀ of the committed mean (p × q): the per-record affine map walks its rows contiguously. */
    private final DMatrixRMaj meanTransposed;
    /** W = L⁻¹ of the committed Λ (p × p), derived on first use after each change ({@link #inverseCholLambda}). */
    private final DMatrixRMaj inverseCholLambda;
    private boolean inverseCholLambdaValid;

    private final DMatrixRMaj batchStat;
    /** Σ_n z̃_n ā_nᵀ of the batch (q × p), before the EMA weight. */
    private final DMatrixRMaj crossStat;
    /** The batch's inputs, pseudo-targets and gradients transposed (p × b, q × b, q × b) for the inner products. */
    private final DMatrixRMaj inputsTransposed = new DMatrixRMaj(1, 1);
    private final DMatrixRMaj pseudoTransposed = new DMatrixRMaj(1, 1);
    private final DMatrixRMaj gradsTransposed = new DMatrixRMaj(1, 1);
    private final DMatrixRMaj lambda;
    private final DMatrixRMaj sigmaStat;
    private final DMatrixRMaj sigmaInverse;
    private final Kernels.Cholesky cholP;
    private final Kernels.Cholesky cholQ;
    private final double[] rowWork;
    /** Scratch of {@link Kernels#solveCholeskyRows}: p × q for the mean solve, q × b for pseudo-targets. */
    private final DMatrixRMaj solveWork = new DMatrixRMaj(1, 1);

    /** Floor γ used for the Σ of {@link #next}; for diagnostics. */
    private double nextGamma;
    private double gamma;

    BayesianLayer(final int inputs, final int outputs, final SigmaKind sigmaKind, final BaliConfig config) {
        this.p = inputs + 1;
        this.q = outputs;
        this.sigmaKind = sigmaKind;
        this.priorPrecision = config.priorPrecision();
        this.gammaFixed = config.outputGamma();
        this.kappa = config.hiddenKappa();
        this.gammaMin = config.hiddenGammaMin();
        final boolean hasG = sigmaKind != SigmaKind.GAUSSIAN_NOISE;
        this.current = new Parameters(p, q, hasG);
        this.next = new Parameters(p, q, hasG);
        this.meanTransposed = new DMatrixRMaj(p, q);
        this.inverseCholLambda = new DMatrixRMaj(p, p);
        this.batchStat = new DMatrixRMaj(p, p);
        this.crossStat = new DMatrixRMaj(q, p);
        this.lambda = new DMatrixRMaj(p, p);
        this.sigmaStat = new DMatrixRMaj(q, q);
        this.sigmaInverse = new DMatrixRMaj(q, q);
        this.cholP = new Kernels.Cholesky(p);
        this.cholQ = new Kernels.Cholesky(q);
        this.rowWork = new double[Math.max(p, q)];
    }

    /**
     * Sets the state before any data: sums zero, mean {@code initialMean}, Λ = λ I, and Σ = I (a
     * standard-normal output side; in standardised units also σ²_y = 1 for a Gaussian output).
     */
    void initialise(final DMatrixRMaj initialMean) {
        current.sumA.zero();
        current.sumC.zero();
        current.sumG.zero();
        current.mean.setTo(initialMean);
        CommonOps_DDRM.transpose(current.mean, meanTransposed);
        CommonOps_DDRM.setIdentity(current.cholLambda);
        CommonOps_DDRM.scale(Math.sqrt(priorPrecision), current.cholLambda);
        CommonOps_DDRM.setIdentity(current.sigmaInvChol);
        gamma = Double.NaN;
        inverseCholLambdaValid = false;
    }

    double priorPrecision() {
        return priorPrecision;
    }

    /** Sets λ before {@link #restore} (a state that was refitted carries its own λ). */
    void setPriorPrecision(final double lambda) {
        this.priorPrecision = lambda;
    }

    /** Mᵀ of the committed mean (read-only by contract). */
    DMatrixRMaj meanTransposed() {
        return meanTransposed;
    }

    /**
     * W = L⁻¹ for the lower Cholesky factor L of the committed Λ (read-only by contract): the leverage
     * h = ‖W ā‖² of the closed-form predictive (§5). Computed once per committed version, when first asked.
     */
    DMatrixRMaj inverseCholLambda() {
        if (!inverseCholLambdaValid) {
            Kernels.invertLower(current.cholLambda, inverseCholLambda);
            inverseCholLambdaValid = true;
        }
        return inverseCholLambda;
    }

    /** The committed parameters (read-only by contract). */
    Parameters current() {
        return current;
    }

    /** Floor γ of the committed Σ (NaN for a Gaussian output or before the first update). */
    double gamma() {
        return gamma;
    }

    /**
     * Restores the committed state from its sums and mean (derived factors are recomputed exactly as an
     * update computes them). For a Gaussian output, {@code noiseVariance} is σ²_y.
     *
     * @return false if a factorisation failed (the state is not usable)
     */
    boolean restore(final DMatrixRMaj sumA, final DMatrixRMaj sumC, final DMatrixRMaj sumG, final DMatrixRMaj mean,
                    final double biasWeight, final double biasWeightG, final double noiseVariance) {
        if (biasWeight == 0) {
            initialise(mean);
            if (sigmaKind == SigmaKind.GAUSSIAN_NOISE) {
                setGaussianSigma(current, noiseVariance);
            }
            return true;
        }
        next.sumA.setTo(sumA);
        next.sumC.setTo(sumC);
        next.sumG.setTo(sumG);
        if (!factorSigma(biasWeightG, noiseVariance) || !factorLambda(biasWeight)) {
            return false;
        }
        next.mean.setTo(mean);
        commit();
        return true;
    }

    // ---------------------------------------------------------------------------------------------
    // Update, in three phases on the `next` parameters, then commit (docs/method.md §2–§4).

    /**
     * Phase 1: S_G ← β_G S_G + (1 − β_G) Ĝ with Ĝ = (1/b) Σ_n g_n g_nᵀ, and the factor R of
     * Σ⁻¹ = S_G/c_G + γ I (or σ²_y I for a Gaussian output).
     *
     * @param grads b × q per-record gradients g_n = ∂ℓ_n/∂z_n
     * @return false if the factorisation failed or produced a non-finite number
     */
    boolean updateSigma(final DMatrixRMaj grads, final double decayG, final double biasWeightG,
                        final double noiseVariance) {
        if (sigmaKind != SigmaKind.GAUSSIAN_NOISE) {
            Kernels.transpose(grads, gradsTransposed);
            Kernels.rowInnerProducts(gradsTransposed.data, q, gradsTransposed.data, q, grads.numRows, sigmaStat.data, true);
            Kernels.ema(decayG, current.sumG, (1.0 - decayG) / grads.numRows, sigmaStat.data, next.sumG, true);
        }
        return factorSigma(biasWeightG, noiseVariance);
    }

    private boolean factorSigma(final double biasWeightG, final double noiseVariance) {
        if (sigmaKind == SigmaKind.GAUSSIAN_NOISE) {
            setGaussianSigma(next, noiseVariance);
            nextGamma = Double.NaN;
            return Double.isFinite(noiseVariance) && noiseVariance > 0;
        }
        CommonOps_DDRM.scale(1.0 / biasWeightG, next.sumG, sigmaInverse);
        final double g;
        if (sigmaKind == SigmaKind.KFAC_FIXED_FLOOR) {
            g = gammaFixed;
        } else {
            g = Math.max(gammaMin, kappa * CommonOps_DDRM.trace(sigmaInverse) / q);
        }
        for (int i = 0; i < q; i++) {
            sigmaInverse.data[i * q + i] += g;
        }
        nextGamma = g;
        return !Double.isNaN(cholQ.factor(sigmaInverse, next.sigmaInvChol));
    }

    private static void setGaussianSigma(final Parameters target, final double noiseVariance) {
        CommonOps_DDRM.setIdentity(target.sigmaInvChol);
        CommonOps_DDRM.scale(1.0 / Math.sqrt(noiseVariance), target.sigmaInvChol);
    }

    /**
     * Phase 2: pseudo-targets z̃_n = z_n − η Σ g_n (§2), with the Σ of phase 1.
     *
     * @param pre       b × q pre-activations from the forward pass with the current means
     * @param grads     b × q gradients
     * @param pseudo    b × q output
     */
    void pseudoTargets(final DMatrixRMaj pre, final DMatrixRMaj grads, final double eta, final double noiseVariance,
                       final DMatrixRMaj pseudo) {
        final int b = pre.numRows;
        pseudo.reshape(b, q);
        if (sigmaKind == SigmaKind.GAUSSIAN_NOISE) {
            final double step = eta * noiseVariance;
            for (int n = 0; n < b; n++) {
                Kernels.subtractScaled(pre.data, step, grads.data, pseudo.data, n * q, q);
            }
            return;
        }
        // Σ g_n for all rows at once: Σ = (R Rᵀ)⁻¹ with R the Cholesky factor of Σ⁻¹
        pseudo.setTo(grads);
        Kernels.solveCholeskyRows(next.sigmaInvChol, pseudo, solveWork);
        for (int n = 0; n < b; n++) {
            Kernels.subtractScaled(pre.data, eta, pseudo.data, pseudo.data, n * q, q);
        }
    }

    /**
     * Phase 3: S_A ← β S_A + (1 − β) (N/b) Σ ā āᵀ, S_C ← β S_C + (1 − β) (N/b) Σ z̃ āᵀ, then
     * Λ = λ I + S_A/c and M = (S_C/c) Λ⁻¹ (§3, §4).
     *
     * @param inputs b × p augmented inputs ā_n (last column 1)
     * @param pseudo b × q pseudo-targets
     * @param decay  β for this batch
     * @param dataScale N (or N_eff)
     * @param biasWeight c after this batch
     * @return false if Λ could not be factorised or a non-finite number appeared
     */
    boolean updatePosterior(final DMatrixRMaj inputs, final DMatrixRMaj pseudo, final double decay,
                            final double dataScale, final double biasWeight) {
        final int b = inputs.numRows;
        final double weight = (1.0 - decay) * dataScale / b;
        Kernels.transpose(inputs, inputsTransposed);
        Kernels.rowInnerProducts(inputsTransposed.data, p, inputsTransposed.data, p, b, batchStat.data, true);
        Kernels.ema(decay, current.sumA, weight, batchStat.data, next.sumA, true);
        Kernels.transpose(pseudo, pseudoTransposed);
        Kernels.rowInnerProducts(pseudoTransposed.data, q, inputsTransposed.data, p, b, crossStat.data, false);
        Kernels.ema(decay, current.sumC, weight, crossStat.data, next.sumC, false);
        return solvePosterior(biasWeight);
    }

    /** Λ = λI + S_A/c and M = (S_C/c) Λ⁻¹ from the sums in {@link #next}; false if not factorisable or not finite. */
    private boolean solvePosterior(final double biasWeight) {
        if (!factorLambda(biasWeight)) {
            return false;
        }
        final DMatrixRMaj m = next.mean;
        CommonOps_DDRM.scale(1.0 / biasWeight, next.sumC, m);
        Kernels.solveCholeskyRows(next.cholLambda, m, solveWork);
        return Kernels.allFinite(next.sumA) && Kernels.allFinite(next.sumC) && Kernels.allFinite(next.sumG)
                && Kernels.allFinite(m);
    }

    /**
     * Replaces a Gaussian output layer's posterior by the exact Bayesian linear regression on given
     * statistics (docs/method.md §10, evidence refit): S_A/c = Σ ā āᵀ ({@code gram}), S_C/c = Σ z āᵀ
     * ({@code cross}, q × p), prior precision λ = {@code lambda}, Σ = σ² I. The bias weight c is kept,
     * so later EMA updates continue from these sums.
     *
     * @return false (and no change) if the new posterior cannot be factorised or is not finite
     */
    boolean replacePosterior(final DMatrixRMaj gram, final DMatrixRMaj cross, final double lambda,
                             final double biasWeight, final double noiseVariance) {
        if (sigmaKind != SigmaKind.GAUSSIAN_NOISE) {
            throw new IllegalStateException("only a Gaussian output layer can be refitted");
        }
        final double previousLambda = priorPrecision;
        priorPrecision = lambda;
        CommonOps_DDRM.scale(biasWeight, gram, next.sumA);
        CommonOps_DDRM.scale(biasWeight, cross, next.sumC);
        if (!factorSigma(biasWeight, noiseVariance) || !solvePosterior(biasWeight)) {
            priorPrecision = previousLambda;
            return false;
        }
        commit();
        return true;
    }

    private boolean factorLambda(final double biasWeight) {
        CommonOps_DDRM.scale(1.0 / biasWeight, next.sumA, lambda);
        for (int i = 0; i < p; i++) {
            lambda.data[i * p + i] += priorPrecision;
        }
        return !Double.isNaN(cholP.factor(lambda, next.cholLambda));
    }

    /** Makes the parameters computed by the three phases the committed ones. */
    void commit() {
        final Parameters t = current;
        current = next;
        next = t;
        CommonOps_DDRM.transpose(current.mean, meanTransposed);
        gamma = nextGamma;
        inverseCholLambdaValid = false;
    }

    // ---------------------------------------------------------------------------------------------
    // Sampling (docs/method.md §5).

    /**
     * Turns a q × p matrix of independent standard normals Z into a posterior sample, in place:
     * X = Z L⁻¹ (each row x solves Lᵀ xᵀ = zᵀ, an upper-triangular system), then W = M + L_Σ X with
     * L_Σ = R⁻ᵀ, so that L_Σ L_Σᵀ = (R Rᵀ)⁻¹ = Σ and Cov(vec W) = Λ⁻¹ ⊗ Σ. Solving the lower system
     * L Xᵀ = Zᵀ instead would give rows with covariance L⁻¹ L⁻ᵀ ≠ Λ⁻¹: the transpose trap of §5.
     */
    void sampleFromStandardNormal(final DMatrixRMaj z) {
        final DMatrixRMaj l = current.cholLambda;
        final double[] d = z.data;
        for (int i = 0; i < q; i++) {
            Kernels.solveLowerTransposed(l, d, i * p);
        }
        // Y = R^{-T} X: back substitution with Rᵀ applied to whole rows of X.
        final DMatrixRMaj r = current.sigmaInvChol;
        final double[] rd = r.data;
        for (int i = q - 1; i >= 0; i--) {
            final double inv = 1.0 / rd[i * q + i];
            final int rowI = i * p;
            for (int j = 0; j < p; j++) {
                d[rowI + j] *= inv;
            }
            for (int k = 0; k < i; k++) {
                final double f = rd[i * q + k];
                if (f != 0.0) {
                    final int rowK = k * p;
                    for (int j = 0; j < p; j++) {
                        d[rowK + j] -= f * d[rowI + j];
                    }
                }
            }
        }
        CommonOps_DDRM.addEquals(z, current.mean);
    }

    /** Draws one posterior weight sample into {@code out} (q × p). */
    void sample(final Rng rng, final DMatrixRMaj out) {
        out.reshape(q, p);
        rng.fillGaussian(out.data, q * p);
        sampleFromStandardNormal(out);
    }

    /** δ = L_Σ ε = R⁻ᵀ ε in place, for a q-vector of standard normals (closed-form logit samples). */
    void applySigmaSquareRoot(final double[] epsilon, final int offset) {
        Kernels.solveLowerTransposed(current.sigmaInvChol, epsilon, offset);
    }

    /** The explicit Σ = (R Rᵀ)⁻¹ (q × q), for tests and inspection; not used on any hot path. */
    DMatrixRMaj sigma() {
        return inverseFromFactor(current.sigmaInvChol);
    }

    /** The explicit Λ⁻¹ (p × p), for tests and inspection. */
    DMatrixRMaj lambdaInverse() {
        return inverseFromFactor(current.cholLambda);
    }

    /** (L Lᵀ)⁻¹ column by column from the lower factor L. */
    private static DMatrixRMaj inverseFromFactor(final DMatrixRMaj lower) {
        final int n = lower.numRows;
        final DMatrixRMaj inverse = new DMatrixRMaj(n, n);
        final double[] column = new double[n];
        for (int j = 0; j < n; j++) {
            java.util.Arrays.fill(column, 0.0);
            column[j] = 1;
            Kernels.solveLower(lower, column, 0);
            Kernels.solveLowerTransposed(lower, column, 0);
            for (int i = 0; i < n; i++) {
                inverse.data[i * n + j] = column[i];
            }
        }
        return inverse;
    }
}
