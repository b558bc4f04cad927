package io.balistreams.bali;

import org.ejml.data.DMatrixRMaj;

/**
 * The one implementation of the closed-form last-layer predictive (docs/method.md §5), shared by
 * {@link BaliModel#predict}/{@link BaliModel#classify} and {@link ServingPosterior}, so that a serving
 * posterior taken from a model predicts bit for bit like the model: the same floating-point operations
 * in the same order on the same numbers.
 *
 * <p>With the hidden layers at their means, the last layer's input is ā = [a_{L−1}; 1] and
 * <pre>
 *   z_L ~ N(M_L ā, h Σ_L),   h = āᵀ Λ_L⁻¹ ā = ‖W ā‖²   (Λ_L = L Lᵀ, W = L⁻¹ computed once per version).
 * </pre>
 * Regression: mean μ_y + s_y (M_L ā), aleatoric σ²_y s_y², epistemic h σ²_y s_y². Classification:
 * z_s = M_L ā + √h δ_s for the S fixed offsets δ_s = L_Σ ε_s of the model version, p̄ = avg_s softmax(z_s),
 * entropy H[p̄], mutual information H[p̄] − avg_s H[softmax z_s] (clipped at 0).
 *
 * <p>This object holds what does not change between versions of one model by reference (configuration,
 * activations, the per-layer Mᵀ matrices and the standardisers, which the model overwrites in place);
 * what a model swaps or recomputes per version (the inverse Cholesky factor W of Λ_L, σ²_y, the logit offsets)
 * is passed to each call. It keeps no mutable state of its own: all work space is the caller's
 * {@link PredictionScratch}, so one instance over immutable parts can be used by many threads at once.
 */
final class ClosedFormPredictive {
    private final BaliConfig config;
    private final Activation[] activations;
    /** Mᵀ_l, p_l × q_l, input to output; read-only. */
    private final DMatrixRMaj[] meansTransposed;
    /** Input standardiser (read-only); may be null when the configuration does not standardise inputs. */
    private final Standardizer inputStandardizer;
    /** Target standardiser (read-only); may be null unless a regression standardises targets. */
    private final Standardizer targetStandardizer;

    ClosedFormPredictive(final BaliConfig config, final DMatrixRMaj[] meansTransposed,
                         final Standardizer inputStandardizer, final Standardizer targetStandardizer) {
        this.config = config;
        this.activations = config.activations();
        this.meansTransposed = meansTransposed;
        this.inputStandardizer = inputStandardizer;
        this.targetStandardizer = targetStandardizer;
    }

    BaliConfig config() {
        return config;
    }

    /**
     * Closed-form regression predictive for one raw input (§5), in the target's original units.
     *
     * @param inverseFactor            W = L⁻¹ for the lower Cholesky factor L of the last layer's Λ (p_L × p_L)
     * @param noiseVarianceStandardised σ²_y in standardised target units
     */
    RegressionPrediction predict(final double[] features, final DMatrixRMaj inverseFactor,
                                 final double noiseVarianceStandardised, final boolean atPrior,
                                 final PredictionScratch scratch) {
        requireTask(config, Task.REGRESSION, "predict");
        checkFeatures(config, features, 0);
        final double[] feat = meanFeatures(features, scratch);
        outputMean(feat, atPrior, scratch.outputs);
        final double leverage = leverage(inverseFactor, feat, scratch.work);
        final double s = targetScale();
        final double sigma2 = noiseVarianceStandardised * s * s;
        return new RegressionPrediction(unstandardiseTarget(scratch.outputs[0]), sigma2, leverage * sigma2, leverage,
                null);
    }

    /**
     * Closed-form classification predictive (§5): logits z ~ N(M_L ā, h Σ_L), integrated with the S fixed
     * draws z_s = M_L ā + √h δ_s, each through softmax(θ z_s).
     *
     * @param inverseFactor W = L⁻¹ for the lower Cholesky factor L of the last layer's Λ (p_L × p_L)
     * @param logitOffsets δ_s = L_Σ ε_s of this model version, S × K row-major
     * @param logitScale   θ: each draw's probabilities are softmax(θ z_s) (§5, "Logit scale")
     */
    ClassificationPrediction classify(final double[] features, final DMatrixRMaj inverseFactor,
                                      final double[] logitOffsets, final double logitScale, final boolean atPrior,
                                      final PredictionScratch scratch) {
        requireTask(config, Task.CLASSIFICATION, "classify");
        checkFeatures(config, features, 0);
        final double[] feat = meanFeatures(features, scratch);
        final double[] outputs = scratch.outputs;
        final double[] work = scratch.work;
        outputMean(feat, atPrior, outputs);
        final double leverage = leverage(inverseFactor, feat, work);
        final double spread = Math.sqrt(leverage);
        final int k = config.numClasses();
        final int samples = config.monteCarloSamples();
        final double[] mean = new double[k];
        final double[] probabilities = feat; // the features are no longer needed
        double meanEntropy = 0;
        for (int s = 0; s < samples; s++) {
            final int off = s * k;
            for (int i = 0; i < k; i++) {
                work[i] = logitScale * (outputs[i] + spread * logitOffsets[off + i]);
            }
            meanEntropy += Kernels.softmaxWithEntropy(work, probabilities, k);
            for (int i = 0; i < k; i++) {
                mean[i] += probabilities[i];
            }
        }
        return summarise(mean, meanEntropy, samples, leverage);
    }

    /**
     * The output layer's mean M_L ā, or its prior mean M0 ā = 0 before the first update ({@code atPrior}, §5,
     * "Before the first update"): the random initial M_L exists only to give the first backward pass a
     * gradient, and the first update replaces it entirely.
     */
    private void outputMean(final double[] lastFeatures, final boolean atPrior, final double[] outputs) {
        if (atPrior) {
            java.util.Arrays.fill(outputs, 0, config.outputSize(), 0.0);
        } else {
            Kernels.affineTransposed(meansTransposed[meansTransposed.length - 1], lastFeatures, outputs);
        }
    }

    /**
     * p̄ = (Σ_s p_s)/S in place, its argmax, H[p̄] and the mutual information H[p̄] − (Σ_s H[p_s])/S
     * clipped at 0 (§5, classification summaries; both the closed form and Monte Carlo).
     */
    static ClassificationPrediction summarise(final double[] sumProbabilities, final double sumEntropy,
                                              final int samples, final double leverage) {
        final int k = sumProbabilities.length;
        int best = 0;
        for (int i = 0; i < k; i++) {
            sumProbabilities[i] /= samples;
            if (sumProbabilities[i] > sumProbabilities[best]) {
                best = i;
            }
        }
        final double entropy = Kernels.entropy(sumProbabilities, k);
        final double mutualInformation = Math.max(0.0, entropy - sumEntropy / samples);
        return new ClassificationPrediction(sumProbabilities, best, entropy, mutualInformation, leverage);
    }

    /**
     * Standardises the input and runs the hidden layers with their means: a_l = φ_l(M_l ā_{l−1}).
     *
     * @return the last layer's input features a_{L−1} (d_{L−1} entries, without the trailing 1): one of
     *         the scratch's feature buffers
     */
    double[] meanFeatures(final double[] features, final PredictionScratch scratch) {
        standardiseInput(features, scratch.featuresA);
        double[] in = scratch.featuresA;
        double[] out = scratch.featuresB;
        final int hidden = meansTransposed.length - 1;
        for (int l = 0; l < hidden; l++) {
            final DMatrixRMaj mt = meansTransposed[l];
            Kernels.affineTransposed(mt, in, out);
            activations[l].applyRange(out, 0, mt.numCols);
            final double[] t = in;
            in = out;
            out = t;
        }
        return in;
    }

    /**
     * h = āᵀ Λ_L⁻¹ ā = ‖W ā‖² for ā = [lastFeatures; 1] and W = L⁻¹ ({@link Kernels#quadraticFormWithInverseFactor}).
     *
     * @param work at least p_L entries, overwritten
     */
    static double leverage(final DMatrixRMaj inverseFactor, final double[] lastFeatures, final double[] work) {
        final int d = inverseFactor.numRows - 1;
        System.arraycopy(lastFeatures, 0, work, 0, d);
        work[d] = 1.0;
        return Kernels.quadraticFormWithInverseFactor(inverseFactor, work);
    }

    /** out[0..d_0) = the standardised input (or a copy when inputs are not standardised). */
    void standardiseInput(final double[] features, final double[] out) {
        if (config.standardizeInputs()) {
            inputStandardizer.transform(features, out);
        } else {
            System.arraycopy(features, 0, out, 0, features.length);
        }
    }

    /** s_y, or 1 when targets are not standardised. */
    double targetScale() {
        return config.standardizeTargets() ? targetStandardizer.scale(0) : 1.0;
    }

    /** μ_y + s_y z, or z when targets are not standardised. */
    double unstandardiseTarget(final double z) {
        return config.standardizeTargets() ? targetStandardizer.inverse(z) : z;
    }

    /** Refuses a null, wrongly sized or non-finite feature vector, naming the record and the feature. */
    static void checkFeatures(final BaliConfig config, final double[] x, final int row) {
        if (x == null) {
            throw new IllegalArgumentException("record " + row + ": feature vector is null");
        }
        if (x.length != config.inputSize()) {
            throw new IllegalArgumentException("record " + row + ": " + x.length + " features, the model expects "
                    + config.inputSize());
        }
        for (int j = 0; j < x.length; j++) {
            if (!Double.isFinite(x[j])) {
                throw new IllegalArgumentException("record " + row + ": feature " + j + " is " + x[j]);
            }
        }
    }

    static void requireTask(final BaliConfig config, final Task task, final String method) {
        if (config.task() != task) {
            throw new IllegalStateException(method + " needs a " + task + " model, this one is " + config.task());
        }
    }
}
