package io.balistreams.bali;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * A multilayer perceptron learned by BALI, Bayesian layerwise inference (docs/method.md; Kurle et al.,
 * arXiv 2411.12102): each layer is a Bayesian linear regression of its pre-activation on pseudo-targets
 * (§2), with a matrix-normal posterior (§3) whose natural-parameter sums follow an exponential moving
 * average over mini-batches (§4).
 *
 * <p><b>Learning.</b> {@link #learn(double[][], double[])} (regression) and
 * {@link #learn(double[][], int[])} (classification) perform one update from one mini-batch: a forward
 * and backward pass with the posterior means, pseudo-targets z̃ = z − η Σ g for every layer, and the EMA
 * update of every layer's sums (all layers from the same pass); while the bias correction would make a
 * streaming model's hidden layers step further than max(0.1, 1 − β) of their Gauss-Newton step, their
 * pseudo-target step is scaled down to it (§4, "Start-up"). Inputs are raw: they are standardised
 * inside the model (and so are regression targets) by {@link Standardizer}s that forget at the
 * posterior's rate. An update that would put a non-finite number into the state is rejected; the model
 * then stays exactly as it was and the {@link UpdateResult} says why.
 *
 * <p><b>Prediction (§5).</b> {@link #predict(double[])} and {@link #classify(double[])} use the
 * closed-form last-layer predictive: hidden layers at their means, z_L ~ N(M_L ā, (āᵀΛ_L⁻¹ā) Σ_L).
 * For classification the logits' Gaussian is integrated with S fixed standard-normal draws per model
 * version. {@link #predictMonteCarlo(double[])} and {@link #classifyMonteCarlo(double[])} average S
 * full weight samples, drawn once per model version and cached. {@link #servingPosterior()} copies out
 * exactly what the closed form needs, for scoring on other threads while this model keeps learning.
 *
 * <p><b>Determinism.</b> All randomness comes from {@link Rng} streams that are pure functions of
 * (seed, step): the initial means from stream −1, the weight samples of version t from stream t, the
 * logit draws from a second family of streams. Same configuration, seed and data give bit-identical
 * state and predictions, whatever predictions were asked for in between.
 *
 * <p>Not thread-safe: one model is owned by one thread (in the service, one stream task).
 */
public final class BaliModel {
    private static final long INIT_STREAM = -1L;
    private static final long LOGIT_SEED_SALT = 0x5DEECE66DL;

    private final BaliConfig config;
    private final BayesianLayer[] layers;
    private final Activation[] activations;
    private final int numLayers;
    private final int maxWidth;

    private long step;
    private double biasWeight;
    private double biasWeightG;
    private double noiseSum;
    /** θ of a classifier's predictive, p_s = softmax(θ z_s) (§5, "Logit scale"); 1 until learned. */
    private double logitScale = 1.0;
    private final Standardizer inputStandardizer;
    private final Standardizer targetStandardizer;
    private final Standardizer nextInputStandardizer;
    private final Standardizer nextTargetStandardizer;

    // Work space of one update, resized to the batch.
    private final DMatrixRMaj[] batchInputs;
    private final DMatrixRMaj[] batchPre;
    private final DMatrixRMaj[] batchGrads;
    private final DMatrixRMaj batchPseudo = new DMatrixRMaj(1, 1);
    private double[] batchTargets = new double[0];

    // Work space of one prediction (the closed-form predictive's scratch, also used by the Monte Carlo
    // forward passes and by the softmax of an update).
    private final PredictionScratch scratch;
    private final double[] featuresA;
    private final double[] featuresB;
    private final double[] work;
    private final double[] outputs;
    /** The closed-form predictive of §5 over this model's live means and standardisers. */
    private final ClosedFormPredictive closedForm;

    // Caches of one model version.
    private DMatrixRMaj[][] weightSamples;
    private long weightSamplesStep = -1;
    private double[] logitOffsets;
    private long logitOffsetsStep = -1;

    /** A fresh model: zero sums, random initial means from the seed (never M = 0, §8). */
    public BaliModel(final BaliConfig config) {
        this(config, true);
    }

    private BaliModel(final BaliConfig config, final boolean initialise) {
        this.config = config;
        final int[] sizes = config.layerSizes();
        this.numLayers = sizes.length - 1;
        this.activations = config.activations();
        this.layers = new BayesianLayer[numLayers];
        int widest = 0;
        for (final int s : sizes) {
            widest = Math.max(widest, s + 1);
        }
        this.maxWidth = widest;
        for (int l = 0; l < numLayers; l++) {
            final BayesianLayer.SigmaKind kind;
            if (l < numLayers - 1) {
                kind = BayesianLayer.SigmaKind.KFAC_RELATIVE_FLOOR;
            } else if (config.task() == Task.REGRESSION) {
                kind = BayesianLayer.SigmaKind.GAUSSIAN_NOISE;
            } else {
                kind = BayesianLayer.SigmaKind.KFAC_FIXED_FLOOR;
            }
            layers[l] = new BayesianLayer(sizes[l], sizes[l + 1], kind, config);
        }
        final double rho = config.standardizerForgetting();
        this.inputStandardizer = new Standardizer(config.inputSize(), rho);
        this.nextInputStandardizer = new Standardizer(config.inputSize(), rho);
        this.targetStandardizer = new Standardizer(1, rho);
        this.nextTargetStandardizer = new Standardizer(1, rho);
        this.batchInputs = new DMatrixRMaj[numLayers];
        this.batchPre = new DMatrixRMaj[numLayers];
        this.batchGrads = new DMatrixRMaj[numLayers];
        for (int l = 0; l < numLayers; l++) {
            batchInputs[l] = new DMatrixRMaj(1, layers[l].p);
            batchPre[l] = new DMatrixRMaj(1, layers[l].q);
            batchGrads[l] = new DMatrixRMaj(1, layers[l].q);
        }
        this.scratch = new PredictionScratch(maxWidth, config.outputSize());
        this.featuresA = scratch.featuresA;
        this.featuresB = scratch.featuresB;
        this.work = scratch.work;
        this.outputs = scratch.outputs;
        final DMatrixRMaj[] meansTransposed = new DMatrixRMaj[numLayers];
        for (int l = 0; l < numLayers; l++) {
            meansTransposed[l] = layers[l].meanTransposed(); // overwritten in place on every commit
        }
        this.closedForm = new ClosedFormPredictive(config, meansTransposed, inputStandardizer, targetStandardizer);
        if (initialise) {
            final Rng rng = Rng.forStream(config.seed(), INIT_STREAM);
            for (int l = 0; l < numLayers; l++) {
                final int fanIn = sizes[l];
                final DMatrixRMaj m = new DMatrixRMaj(sizes[l + 1], fanIn + 1);
                final double sd = config.initScale() / Math.sqrt(fanIn);
                for (int i = 0; i < m.numRows; i++) {
                    for (int j = 0; j < fanIn; j++) {
                        m.set(i, j, sd * rng.nextGaussian());
                    }
                }
                layers[l].initialise(m);
            }
        }
    }

    /** An empty shell to be filled by {@link ModelStateCodec}. */
    static BaliModel uninitialised(final BaliConfig config) {
        return new BaliModel(config, false);
    }

    /** The model's immutable configuration (architecture and hyper-parameters, docs/method.md §4). */
    public BaliConfig config() {
        return config;
    }

    /** Number of accepted updates t (the model version). */
    public long step() {
        return step;
    }

    /** Number of records the model has learned from. */
    public long recordsSeen() {
        return inputStandardizer.count();
    }

    /**
     * σ²_y in standardised target units (docs/method.md §3): fixed, or the bias-corrected EMA of squared residuals
     * of the forward pass (≥ floor), each divided by 1 + its leverage in a streaming model after its first update;
     * 1 before any data.
     */
    public double noiseVarianceStandardised() {
        if (config.fixedNoiseVariance() != null) {
            return config.fixedNoiseVariance();
        }
        return biasWeight > 0 ? Math.max(config.noiseVarianceFloor(), noiseSum / biasWeight) : 1.0;
    }

    // ---------------------------------------------------------------------------------------------
    // Learning

    /**
     * One BALI update from a regression mini-batch.
     *
     * @param features b rows of raw features (d_0 each, finite)
     * @param targets  b finite targets
     * @throws IllegalArgumentException for a wrong shape, a non-finite value, or a classification model
     */
    public UpdateResult learn(final double[][] features, final double[] targets) {
        return learn(features, targets, config.beta());
    }

    /**
     * One BALI update from a regression mini-batch, forgetting at {@code beta} instead of the configured β
     * for this update only (adaptive forgetting after a drift alarm, docs/method.md §4): the EMA decay of S_A, S_C
     * and the noise is β_now = {@code beta}, that of S_G is min(β_G, β_now); the data scale N and the
     * standardisers keep their configured rates. {@code beta = config().beta()} is exactly
     * {@link #learn(double[][], double[])}.
     *
     * @throws IllegalArgumentException as {@link #learn(double[][], double[])}, or for β outside (0, 1)
     */
    public UpdateResult learn(final double[][] features, final double[] targets, final double beta) {
        requireTask(Task.REGRESSION, "learn(double[][], double[])");
        requireBeta(beta);
        if (targets == null || features == null || targets.length != features.length) {
            throw new IllegalArgumentException("need as many targets as feature rows, got "
                    + (targets == null ? "null" : targets.length) + " and "
                    + (features == null ? "null" : features.length));
        }
        for (int n = 0; n < targets.length; n++) {
            if (!Double.isFinite(targets[n])) {
                throw new IllegalArgumentException("record " + n + ": target is " + targets[n]);
            }
        }
        return learnBatch(features, targets, null, beta);
    }

    /**
     * One BALI update from a classification mini-batch.
     *
     * @param features b rows of raw features (d_0 each, finite)
     * @param labels   b class indices in [0, K)
     * @throws IllegalArgumentException for a wrong shape, a non-finite value, a label out of range, or a
     *                                  regression model
     */
    public UpdateResult learn(final double[][] features, final int[] labels) {
        return learn(features, labels, config.beta());
    }

    /**
     * One BALI update from a classification mini-batch, forgetting at {@code beta} for this update only
     * (see {@link #learn(double[][], double[], double)}).
     */
    public UpdateResult learn(final double[][] features, final int[] labels, final double beta) {
        requireTask(Task.CLASSIFICATION, "learn(double[][], int[])");
        requireBeta(beta);
        if (labels == null || features == null || labels.length != features.length) {
            throw new IllegalArgumentException("need as many labels as feature rows, got "
                    + (labels == null ? "null" : labels.length) + " and "
                    + (features == null ? "null" : features.length));
        }
        final int k = config.numClasses();
        for (int n = 0; n < labels.length; n++) {
            if (labels[n] < 0 || labels[n] >= k) {
                throw new IllegalArgumentException("record " + n + ": label " + labels[n] + " is outside [0, " + k + ")");
            }
        }
        return learnBatch(features, null, labels, beta);
    }

    private static void requireBeta(final double beta) {
        if (!(beta > 0 && beta < 1)) {
            throw new IllegalArgumentException("beta must be in (0, 1), got " + beta);
        }
    }

    private UpdateResult learnBatch(final double[][] x, final double[] y, final int[] labels, final double beta) {
        final int b = x.length;
        if (b == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        checkBatch(x);
        final double decay = config.decayForBatch(beta, b);
        final double decayG = config.decayForBatch(beta == config.beta() ? config.betaG() : Math.min(config.betaG(), beta), b);
        final double c = decay * biasWeight + (1.0 - decay);
        final double cG = decayG * biasWeightG + (1.0 - decayG);
        final double dataScale = config.effectiveDataScale();

        standardiseBatch(x, y);
        forwardBatch(b);

        // Output gradient g_L = ∂ℓ/∂z_L per record (not divided by b), and the noise EMA.
        final int last = numLayers - 1;
        final DMatrixRMaj outPre = batchPre[last];
        final DMatrixRMaj outGrad = batchGrads[last];
        outGrad.reshape(b, layers[last].q);
        final double nextNoiseSum;
        final double noiseVariance;
        double nextLogitScale = logitScale;
        final double meanLoss;
        if (config.task() == Task.REGRESSION) {
            final double sumNoise = residuals(outPre, outGrad, b, config.streaming() && step > 0);
            final double sumSq = Kernels.sumOfSquares(outGrad.data, b);
            nextNoiseSum = decay * noiseSum + (1.0 - decay) * sumNoise / b;
            noiseVariance = config.fixedNoiseVariance() != null ? config.fixedNoiseVariance()
                    : Math.max(config.noiseVarianceFloor(), nextNoiseSum / c);
            Kernels.divideInPlace(outGrad.data, b, noiseVariance);
            final double s = config.standardizeTargets() ? nextTargetStandardizer.scale(0) : 1.0;
            meanLoss = sumSq / b * s * s;
        } else {
            nextNoiseSum = 0;
            noiseVariance = Double.NaN;
            meanLoss = softmaxGradients(outPre, outGrad, labels, b) / b;
            if (config.streaming() && step > 0) {
                nextLogitScale = nextLogitScale(labels, b, (1.0 - decay) / c);
            }
        }
        if (!Double.isFinite(meanLoss)) {
            return UpdateResult.rejected(step, meanLoss, "non-finite loss in the forward pass (loss " + meanLoss + ")");
        }
        backwardBatch(b);

        for (int l = 0; l < numLayers; l++) {
            final BayesianLayer layer = layers[l];
            if (!layer.updateSigma(batchGrads[l], decayG, cG, noiseVariance)) {
                return UpdateResult.rejected(step, meanLoss, "layer " + (l + 1)
                        + ": output-side factor Sigma could not be factorised or is not finite");
            }
            layer.pseudoTargets(batchPre[l], batchGrads[l], pseudoTargetStep(l, decay, c), noiseVariance, batchPseudo);
            if (!layer.updatePosterior(batchInputs[l], batchPseudo, decay, dataScale, c)) {
                return UpdateResult.rejected(step, meanLoss, "layer " + (l + 1)
                        + ": posterior precision could not be factorised or a sum or mean is not finite");
            }
        }
        for (final BayesianLayer layer : layers) {
            layer.commit();
        }
        inputStandardizer.setTo(nextInputStandardizer);
        targetStandardizer.setTo(nextTargetStandardizer);
        biasWeight = c;
        biasWeightG = cG;
        noiseSum = nextNoiseSum;
        logitScale = nextLogitScale;
        step++;
        return UpdateResult.accepted(step, meanLoss);
    }

    /*
     * The per-record loops of an update live in their own small methods (here and in Kernels), so that learnBatch
     * itself has no hot loop: otherwise the JIT compiles it on-stack with every kernel inlined, which took half a
     * second of compiler time in a fresh JVM and delayed the compilation of everything else.
     */

    private void checkBatch(final double[][] x) {
        for (int n = 0; n < x.length; n++) {
            checkFeatures(x[n], n);
        }
    }

    /**
     * g_n = r_n = z_n − y_n (standardised) for the b records of the batch; returns Σ r_n²/(1 + h_n) with h_n the
     * leverage each prediction carried (§3, streaming models after their first update), else Σ r_n².
     */
    private double residuals(final DMatrixRMaj outPre, final DMatrixRMaj outGrad, final int b, final boolean perLeverage) {
        double sumNoise = 0;
        for (int n = 0; n < b; n++) {
            final double r = outPre.data[n] - batchTargets[n];
            outGrad.data[n] = r;
            sumNoise += perLeverage ? r * r / (1.0 + batchLeverage(n)) : r * r;
        }
        return sumNoise;
    }

    /** g_n = softmax(z_n) − e_{y_n} for the b records of the batch; returns the summed loss Σ (log Z_n − z_{n,y_n}). */
    private double softmaxGradients(final DMatrixRMaj outPre, final DMatrixRMaj outGrad, final int[] labels, final int b) {
        final int k = config.numClasses();
        double loss = 0;
        for (int n = 0; n < b; n++) {
            final int off = n * k;
            System.arraycopy(outPre.data, off, work, 0, k);
            final double logZ = Kernels.softmaxInPlace(work, k);
            loss += logZ - outPre.data[off + labels[n]];
            for (int i = 0; i < k; i++) {
                outGrad.data[off + i] = work[i];
            }
            outGrad.data[off + labels[n]] -= 1.0;
        }
        return loss;
    }

    /** Bounds of the logit scale θ (§5): a safeguard against a run of batches that are all right or all wrong. */
    static final double LOGIT_SCALE_MIN = 0.05;
    static final double LOGIT_SCALE_MAX = 20.0;

    /**
     * The logit scale after this batch (docs/method.md §5, "Logit scale"): one Newton step, taken at the rate
     * {@code rate} = ω_t of the posterior's EMA, on the batch's log-likelihood under the predictive before the
     * update, p̄_n = (1/S) Σ_s softmax(θ u_{n,s}) with u_{n,s} = M_L ā_n + √h_n δ_s. With a_s = u_{s,y} − E_{p_s}[u_s],
     * v_s = Var_{p_s}[u_s] and the responsibilities w_s = p_{s,y}/(S p̄_y), the gradient of log p̄_y in θ is
     * Σ_s w_s a_s and the curvature of the EM surrogate Σ_s w_s log p_{s,y} is −Σ_s w_s v_s; the step is the
     * ratio of their sums over the batch.
     */
    private double nextLogitScale(final int[] labels, final int b, final double rate) {
        ensureLogitOffsets();
        double gradient = 0;
        double curvature = 0;
        for (int n = 0; n < b; n++) {
            logitScaleTerms(n, labels[n]);
            gradient += logitScaleTerms[0];
            curvature += logitScaleTerms[1];
        }
        if (!(curvature > 1e-12) || !Double.isFinite(gradient)) {
            return logitScale;
        }
        final double next = logitScale + rate * gradient / curvature;
        return Math.max(LOGIT_SCALE_MIN, Math.min(LOGIT_SCALE_MAX, next));
    }

    /** Record n's terms of {@link #nextLogitScale}, written to {@link #logitScaleTerms}: gradient, curvature. */
    private final double[] logitScaleTerms = new double[2];

    /**
     * The gradient Σ_s w_s a_s and curvature Σ_s w_s v_s of record n with label y (see {@link #nextLogitScale}),
     * into {@link #logitScaleTerms} (zeros if no draw gives the label any probability). One invocation per record,
     * so that the JIT's optimising compile reaches it within a few updates of a new process.
     */
    private void logitScaleTerms(final int n, final int y) {
        final int k = config.numClasses();
        final int samples = config.monteCarloSamples();
        final double[] logits = batchPre[numLayers - 1].data;
        final double[] u = featuresA; // free during an update; batchLeverage uses work
        final double[] prob = featuresB;
        final double spread = Math.sqrt(batchLeverage(n));
        double sumPy = 0;
        double sumPyA = 0;
        double sumPyV = 0;
        for (int s = 0; s < samples; s++) {
            for (int i = 0; i < k; i++) {
                u[i] = logits[n * k + i] + spread * logitOffsets[s * k + i];
                prob[i] = logitScale * u[i];
            }
            Kernels.softmaxInPlace(prob, k);
            double mean = 0;
            double square = 0;
            for (int i = 0; i < k; i++) {
                mean += prob[i] * u[i];
                square += prob[i] * u[i] * u[i];
            }
            sumPy += prob[y];
            sumPyA += prob[y] * (u[y] - mean);
            sumPyV += prob[y] * Math.max(0.0, square - mean * mean);
        }
        logitScaleTerms[0] = sumPy > 0 ? sumPyA / sumPy : 0.0;
        logitScaleTerms[1] = sumPy > 0 ? sumPyV / sumPy : 0.0;
    }

    /**
     * h_n = ā_nᵀ Λ_L⁻¹ ā_n of record n of the batch in the forward pass, under the last layer's posterior before
     * this update: the leverage its prediction carried (§5).
     */
    private double batchLeverage(final int n) {
        final BayesianLayer last = layers[numLayers - 1];
        System.arraycopy(batchInputs[numLayers - 1].data, n * last.p, work, 0, last.p);
        return Kernels.quadraticFormWithInverseFactor(last.inverseCholLambda(), work);
    }

    /** Largest share ω of its own Gauss-Newton step a hidden layer of a streaming model takes in one update (§4, "Start-up"). */
    static final double HIDDEN_STEP_CAP = 0.1;

    /**
     * The pseudo-target step of layer {@code l} in an update with batch decay {@code decay} and bias weight
     * {@code c} after the batch (docs/method.md §4, "Start-up"). The output layer, and every layer of an
     * offline model, use η. A hidden layer of a streaming model uses η · min(1, max(ω_max, 1 − β_b)/ω_t),
     * with ω_t = (1 − β_b)/c the bias-corrected step and ω_max = {@value #HIDDEN_STEP_CAP}: the bias
     * correction's amplification 1/c of its gradient step is capped, so that the step is at most
     * max(ω_max, 1 − β_b) η Σ Ĥ Λ⁻¹. Without the cap, the first update (c = 1 − β_b, ω = 1) has every layer
     * take its full Gauss-Newton step on the same residual at once, which overshoots about L-fold; with ReLU
     * it blew the hidden features up and a new model predicted ten times outside the target's range. Once
     * c ≈ 1 the factor is 1 (also during adaptive forgetting, whose β_b is lower); for the default β = 0.9
     * the hidden layers move at their steady-state rate from the first update.
     */
    private double pseudoTargetStep(final int l, final double decay, final double c) {
        if (l == numLayers - 1 || !config.streaming()) {
            return config.eta();
        }
        final double rate = 1.0 - decay;
        return config.eta() * Math.min(1.0, Math.max(HIDDEN_STEP_CAP, rate) * c / rate);
    }

    private void standardiseBatch(final double[][] x, final double[] y) {
        final int b = x.length;
        final int d = config.inputSize();
        nextInputStandardizer.setTo(inputStandardizer);
        nextTargetStandardizer.setTo(targetStandardizer);
        for (int n = 0; n < b; n++) {
            nextInputStandardizer.observe(x[n]);
        }
        final DMatrixRMaj in = batchInputs[0];
        in.reshape(b, d + 1);
        for (int n = 0; n < b; n++) {
            final int off = n * (d + 1);
            if (config.standardizeInputs()) {
                nextInputStandardizer.transform(x[n], in.data, off);
            } else {
                System.arraycopy(x[n], 0, in.data, off, d);
            }
            in.data[off + d] = 1.0;
        }
        if (y != null) {
            if (batchTargets.length < b) {
                batchTargets = new double[b];
            }
            for (int n = 0; n < b; n++) {
                nextTargetStandardizer.observe(y[n]);
            }
            for (int n = 0; n < b; n++) {
                batchTargets[n] = config.standardizeTargets() ? nextTargetStandardizer.transform(y[n]) : y[n];
            }
        }
    }

    /** Forward pass of the batch with the posterior means: Z_l = Ā_l M_lᵀ, Ā_{l+1} = [φ(Z_l), 1]. */
    private void forwardBatch(final int b) {
        for (int l = 0; l < numLayers; l++) {
            final BayesianLayer layer = layers[l];
            final int p = layer.p;
            final int q = layer.q;
            final double[] m = layer.current().mean.data;
            final DMatrixRMaj in = batchInputs[l];
            final DMatrixRMaj pre = batchPre[l];
            pre.reshape(b, q);
            Kernels.rowInnerProducts(in.data, b, m, q, p, pre.data, false);
            if (l < numLayers - 1) {
                final DMatrixRMaj nextIn = batchInputs[l + 1];
                nextIn.reshape(b, q + 1);
                for (int n = 0; n < b; n++) {
                    System.arraycopy(pre.data, n * q, nextIn.data, n * (q + 1), q);
                    activations[l].applyRange(nextIn.data, n * (q + 1), q);
                    nextIn.data[n * (q + 1) + q] = 1.0;
                }
            }
        }
    }

    /**
     * Backward pass: g_l = φ'(z_l) ⊙ (M_{l+1}[:, :d_l]ᵀ g_{l+1}) per record, with the current means; the products
     * for the whole batch at once as inner products of the rows of G_{l+1} (b × q_{l+1}) with the first d_l rows
     * of M_{l+1}ᵀ (the bias row is not back-propagated).
     */
    private void backwardBatch(final int b) {
        for (int l = numLayers - 1; l >= 1; l--) {
            final BayesianLayer upper = layers[l];
            final int pUp = upper.p;
            final int qUp = upper.q;
            final int q = layers[l - 1].q;
            final DMatrixRMaj gUp = batchGrads[l];
            final DMatrixRMaj g = batchGrads[l - 1];
            final DMatrixRMaj pre = batchPre[l - 1];
            final DMatrixRMaj act = batchInputs[l];
            g.reshape(b, q);
            Kernels.rowInnerProducts(gUp.data, b, upper.meanTransposed().data, q, qUp, g.data, false);
            final Activation phi = activations[l - 1];
            for (int n = 0; n < b; n++) {
                phi.multiplyByDerivative(g.data, n * q, pre.data, act.data, n * pUp, q);
            }
        }
    }

    /** Iterations of MacKay's fixed point in {@link #refitLastLayer}; it converges in tens. */
    private static final int EVIDENCE_ITERATIONS = 200;

    /**
     * Evidence refit of the last layer (docs/method.md §10): with the hidden layers at their means, refits the
     * output layer exactly as Bayesian linear regression on these records' final hidden features, with
     * its prior precision and (unless fixed) the noise variance set by evidence maximisation — MacKay's
     * fixed-point updates, with A = αI + β ΦᵀΦ, m = β A⁻¹ Φᵀy, γ = p − α tr A⁻¹:
     * α ← γ / mᵀm, β ← (n − γ)/‖y − Φm‖². In BALI's parametrisation Cov(w) = σ² Λ⁻¹ this is
     * σ² = 1/β, λ = α/β, S_A/c = ΦᵀΦ, S_C/c = yᵀΦ. It helps because the last layer's running sums were
     * built from out-of-date hidden features. Standardisers are not updated.
     *
     * @return the refit's outcome (rejected, with the model unchanged, if the result is not finite)
     * @throws IllegalStateException    for a classifier, or before the first update
     * @throws IllegalArgumentException for bad records, as {@link #learn(double[][], double[])}
     */
    public UpdateResult refitLastLayer(final double[][] features, final double[] targets) {
        requireTask(Task.REGRESSION, "refitLastLayer");
        if (step == 0) {
            throw new IllegalStateException("refitLastLayer needs a model that has learned at least one batch");
        }
        if (features == null || targets == null || features.length != targets.length || features.length == 0) {
            throw new IllegalArgumentException("need as many targets as feature rows, and at least one");
        }
        for (int n = 0; n < features.length; n++) {
            checkFeatures(features[n], n);
            if (!Double.isFinite(targets[n])) {
                throw new IllegalArgumentException("record " + n + ": target is " + targets[n]);
            }
        }
        final BayesianLayer last = layers[numLayers - 1];
        final int p = last.p;
        final int n = features.length;
        final DMatrixRMaj phi = new DMatrixRMaj(n, p);
        final DMatrixRMaj y = new DMatrixRMaj(n, 1);
        for (int r = 0; r < n; r++) {
            final double[] feat = meanFeatures(features[r]);
            System.arraycopy(feat, 0, phi.data, r * p, p - 1);
            phi.data[r * p + p - 1] = 1.0;
            y.data[r] = config.standardizeTargets() ? targetStandardizer.transform(targets[r]) : targets[r];
        }
        final DMatrixRMaj gram = new DMatrixRMaj(p, p);
        CommonOps_DDRM.multInner(phi, gram);
        final DMatrixRMaj cross = new DMatrixRMaj(p, 1);
        CommonOps_DDRM.multTransA(phi, y, cross);
        final double yy = CommonOps_DDRM.dot(y, y);

        final boolean learnNoise = config.fixedNoiseVariance() == null;
        double alpha = last.priorPrecision() / noiseVarianceStandardised();
        double beta = 1.0 / noiseVarianceStandardised();
        final Kernels.Cholesky chol = new Kernels.Cholesky(p);
        final DMatrixRMaj a = new DMatrixRMaj(p, p);
        final DMatrixRMaj l = new DMatrixRMaj(p, p);
        final double[] m = new double[p];
        final double[] column = new double[p];
        for (int it = 0; it < EVIDENCE_ITERATIONS; it++) {
            for (int i = 0; i < p * p; i++) {
                a.data[i] = beta * gram.data[i];
            }
            for (int i = 0; i < p; i++) {
                a.data[i * p + i] += alpha;
            }
            if (Double.isNaN(chol.factor(a, l))) {
                return UpdateResult.rejected(step, Double.NaN, "refit: the evidence iteration lost positive definiteness");
            }
            for (int i = 0; i < p; i++) {
                m[i] = beta * cross.data[i];
            }
            Kernels.solveLower(l, m, 0);
            Kernels.solveLowerTransposed(l, m, 0);
            double traceInverse = 0;
            for (int j = 0; j < p; j++) {
                Arrays.fill(column, 0.0);
                column[j] = 1.0;
                traceInverse += Kernels.inverseQuadraticForm(l, column);
            }
            final double effective = p - alpha * traceInverse;
            double mm = 0;
            double mb = 0;
            double mgm = 0;
            for (int i = 0; i < p; i++) {
                mm += m[i] * m[i];
                mb += m[i] * cross.data[i];
                mgm += m[i] * Kernels.dot(gram.data, i * p, m, 0, p);
            }
            final double residual = Math.max(yy - 2 * mb + mgm, 1e-300);
            final double nextAlpha = effective / Math.max(mm, 1e-300);
            final double nextBeta = learnNoise ? Math.max(n - effective, 1e-3) / residual : beta;
            final boolean converged = Math.abs(nextAlpha - alpha) <= 1e-9 * alpha
                    && Math.abs(nextBeta - beta) <= 1e-9 * beta;
            alpha = nextAlpha;
            beta = Math.min(nextBeta, 1.0 / config.noiseVarianceFloor());
            if (!Double.isFinite(alpha) || !Double.isFinite(beta) || alpha <= 0) {
                return UpdateResult.rejected(step, Double.NaN, "refit: the evidence iteration diverged");
            }
            if (converged) {
                break;
            }
        }
        final double noiseVariance = 1.0 / beta;
        final DMatrixRMaj crossRow = new DMatrixRMaj(1, p, true, cross.data);
        if (!last.replacePosterior(gram, crossRow, alpha / beta, biasWeight, noiseVariance)) {
            return UpdateResult.rejected(step, Double.NaN, "refit: the refitted posterior is not positive definite");
        }
        if (learnNoise) {
            noiseSum = noiseVariance * biasWeight;
        }
        weightSamplesStep = -1;
        logitOffsetsStep = -1;
        return UpdateResult.accepted(step, residualMeanSquare(yy, cross, gram, last, n));
    }

    /** Mean squared residual of the refitted last layer in original target units, for the {@link UpdateResult}. */
    private double residualMeanSquare(final double yy, final DMatrixRMaj cross, final DMatrixRMaj gram,
                                      final BayesianLayer last, final int n) {
        final double[] m = last.current().mean.data;
        final int p = last.p;
        double mb = 0;
        double mgm = 0;
        for (int i = 0; i < p; i++) {
            mb += m[i] * cross.data[i];
            mgm += m[i] * Kernels.dot(gram.data, i * p, m, 0, p);
        }
        final double s = targetScale();
        return Math.max(0.0, yy - 2 * mb + mgm) / n * s * s;
    }

    // ---------------------------------------------------------------------------------------------
    // Prediction

    /**
     * Closed-form regression predictive for one raw input (§5): mean μ_y + s_y M_L ā, aleatoric σ²_y s_y²,
     * epistemic h σ²_y s_y² with h = āᵀΛ_L⁻¹ā. {@link #servingPosterior()} predicts bit for bit the same.
     */
    public RegressionPrediction predict(final double[] features) {
        return closedForm.predict(features, layers[numLayers - 1].inverseCholLambda(), noiseVarianceStandardised(),
                step == 0, scratch);
    }

    /** Monte Carlo regression predictive with the S cached weight samples of this version (§5). */
    public RegressionPrediction predictMonteCarlo(final double[] features) {
        requireTask(Task.REGRESSION, "predictMonteCarlo");
        checkFeatures(features, 0);
        ensureWeightSamples();
        final int samples = config.monteCarloSamples();
        final double[] f = new double[samples];
        double mean = 0;
        for (int s = 0; s < samples; s++) {
            f[s] = unstandardiseTarget(forwardSample(features, weightSamples[s])[0]);
            mean += f[s];
        }
        mean /= samples;
        double var = 0;
        for (int s = 0; s < samples; s++) {
            var += (f[s] - mean) * (f[s] - mean);
        }
        var /= samples;
        final double leverage = leverage(meanFeatures(features));
        final double scale = targetScale();
        final double sigma2 = noiseVarianceStandardised() * scale * scale;
        return new RegressionPrediction(mean, sigma2, var, leverage, f);
    }

    /**
     * Closed-form classification predictive (§5): logits z ~ N(M_L ā, (āᵀΛ_L⁻¹ā) Σ_L), integrated with
     * S fixed draws z_s = M_L ā + √h L_Σ ε_s (ε_s drawn once per model version).
     */
    public ClassificationPrediction classify(final double[] features) {
        requireTask(Task.CLASSIFICATION, "classify");
        ensureLogitOffsets();
        return closedForm.classify(features, layers[numLayers - 1].inverseCholLambda(), logitOffsets, logitScale,
                step == 0, scratch);
    }

    /**
     * An immutable copy of exactly what the closed-form predictive of this model version needs (§5): the
     * means M_l of every layer, the Cholesky factor of the last layer's Λ_L (for the leverage), σ²_y
     * (regression) or the S logit offsets δ_s of this version (classification), the standardisers'
     * moments, the configuration and the version t. Its {@link ServingPosterior#predict} and
     * {@link ServingPosterior#classify} equal this model's {@link #predict} and {@link #classify} at this
     * version bit for bit, and stay so however the model learns afterwards. Costs one copy of the means.
     */
    public ServingPosterior servingPosterior() {
        final DMatrixRMaj[] meansTransposed = new DMatrixRMaj[numLayers];
        for (int l = 0; l < numLayers; l++) {
            meansTransposed[l] = layers[l].meanTransposed().copy();
        }
        final DMatrixRMaj cholLambda = layers[numLayers - 1].current().cholLambda.copy();
        final double noiseVariance;
        final double[] offsets;
        if (config.task() == Task.REGRESSION) {
            noiseVariance = noiseVarianceStandardised();
            offsets = null;
        } else {
            noiseVariance = Double.NaN;
            ensureLogitOffsets();
            offsets = logitOffsets.clone();
        }
        final Standardizer inputs = config.standardizeInputs()
                ? Standardizer.ofMoments(inputStandardizer.mean(), inputStandardizer.variance()) : null;
        final Standardizer targets = config.task() == Task.REGRESSION && config.standardizeTargets()
                ? Standardizer.ofMoments(targetStandardizer.mean(), targetStandardizer.variance()) : null;
        return new ServingPosterior(config, step, meansTransposed, cholLambda, noiseVariance, offsets, logitScale, inputs,
                targets);
    }

    /** Monte Carlo classification predictive with the S cached weight samples of this version (§5). */
    public ClassificationPrediction classifyMonteCarlo(final double[] features) {
        requireTask(Task.CLASSIFICATION, "classifyMonteCarlo");
        checkFeatures(features, 0);
        ensureWeightSamples();
        final int k = config.numClasses();
        final int samples = config.monteCarloSamples();
        final double[] mean = new double[k];
        double meanEntropy = 0;
        for (int s = 0; s < samples; s++) {
            final double[] z = forwardSample(features, weightSamples[s]);
            for (int i = 0; i < k; i++) {
                work[i] = logitScale * z[i];
            }
            Kernels.softmaxInPlace(work, k);
            meanEntropy += Kernels.entropy(work, k);
            for (int i = 0; i < k; i++) {
                mean[i] += work[i];
            }
        }
        final double leverage = leverage(meanFeatures(features));
        return ClosedFormPredictive.summarise(mean, meanEntropy, samples, leverage);
    }

    /** Standardises the input and runs the hidden layers with the means; returns the last layer's input features. */
    private double[] meanFeatures(final double[] features) {
        return closedForm.meanFeatures(features, scratch);
    }

    /** Output pre-activation (standardised units) for one weight sample set; the returned array is reused. */
    private double[] forwardSample(final double[] features, final DMatrixRMaj[] weights) {
        standardiseInput(features, featuresA);
        double[] in = featuresA;
        double[] out = featuresB;
        for (int l = 0; l < numLayers; l++) {
            Kernels.affine(weights[l], in, out);
            if (l < numLayers - 1) {
                activations[l].applyRange(out, 0, layers[l].q);
            }
            final double[] t = in;
            in = out;
            out = t;
        }
        System.arraycopy(in, 0, outputs, 0, outputs.length);
        return outputs;
    }

    /** āᵀ Λ_L⁻¹ ā for the last layer's features (one triangular solve). */
    private double leverage(final double[] lastFeatures) {
        return ClosedFormPredictive.leverage(layers[numLayers - 1].inverseCholLambda(), lastFeatures, work);
    }

    private void standardiseInput(final double[] features, final double[] out) {
        closedForm.standardiseInput(features, out);
    }

    private double targetScale() {
        return closedForm.targetScale();
    }

    private double unstandardiseTarget(final double z) {
        return closedForm.unstandardiseTarget(z);
    }

    private void ensureWeightSamples() {
        if (weightSamplesStep == step && weightSamples != null) {
            return;
        }
        final int samples = config.monteCarloSamples();
        if (weightSamples == null) {
            weightSamples = new DMatrixRMaj[samples][numLayers];
            for (int s = 0; s < samples; s++) {
                for (int l = 0; l < numLayers; l++) {
                    weightSamples[s][l] = new DMatrixRMaj(layers[l].q, layers[l].p);
                }
            }
        }
        final Rng rng = Rng.forStream(config.seed(), step);
        for (int s = 0; s < samples; s++) {
            for (int l = 0; l < numLayers; l++) {
                layers[l].sample(rng, weightSamples[s][l]);
            }
        }
        weightSamplesStep = step;
    }

    private void ensureLogitOffsets() {
        if (logitOffsetsStep == step && logitOffsets != null) {
            return;
        }
        final int k = config.numClasses();
        final int samples = config.monteCarloSamples();
        if (logitOffsets == null) {
            logitOffsets = new double[samples * k];
        }
        final Rng rng = Rng.forStream(config.seed() ^ LOGIT_SEED_SALT, step);
        rng.fillGaussian(logitOffsets, samples * k);
        final BayesianLayer last = layers[numLayers - 1];
        for (int s = 0; s < samples; s++) {
            last.applySigmaSquareRoot(logitOffsets, s * k);
        }
        logitOffsetsStep = step;
    }

    private void checkFeatures(final double[] x, final int row) {
        ClosedFormPredictive.checkFeatures(config, x, row);
    }

    private void requireTask(final Task task, final String method) {
        ClosedFormPredictive.requireTask(config, task, method);
    }

    // ---------------------------------------------------------------------------------------------
    // Package-private access for the state codec and the tests.

    BayesianLayer layer(final int l) {
        return layers[l];
    }

    int numLayers() {
        return numLayers;
    }

    double biasWeight() { return biasWeight; }
    double biasWeightG() { return biasWeightG; }
    double noiseSum() { return noiseSum; }
    /** θ of the classifier's predictive (§5, "Logit scale"); 1 for a regression model. */
    public double logitScale() { return logitScale; }
    Standardizer inputStandardizer() { return inputStandardizer; }
    Standardizer targetStandardizer() { return targetStandardizer; }

    /** Pseudo-targets of the output layer from the last accepted update (b × q). */
    DMatrixRMaj lastPseudoTargets() {
        return batchPseudo;
    }

    void restoreScalars(final long step, final double biasWeight, final double biasWeightG, final double noiseSum,
                        final double logitScale) {
        this.logitScale = logitScale;
        this.step = step;
        this.biasWeight = biasWeight;
        this.biasWeightG = biasWeightG;
        this.noiseSum = noiseSum;
        this.weightSamplesStep = -1;
        this.logitOffsetsStep = -1;
    }
}
