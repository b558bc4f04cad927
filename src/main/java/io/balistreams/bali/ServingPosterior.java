package io.balistreams.bali;

import org.ejml.data.DMatrixRMaj;

/**
 * The serving form of a {@link BaliModel}'s posterior at one model version: exactly what the closed-form
 * predictive of docs/method.md §5 needs, and nothing that only learning needs. Taken by
 * {@link BaliModel#servingPosterior()}, stored by {@link ServingPosteriorCodec} (the Avro record
 * {@code ModelPosterior}, docs/state-format.md).
 *
 * <p><b>What it holds.</b> For a network with layers l = 1..L (p_l = d_{l−1} + 1, q_l = d_l):
 * <ul>
 *   <li>the posterior means M_l of every layer (held as Mᵀ_l, p_l × q_l, the layout the per-record
 *       affine map reads): the hidden layers run at their means, z_L has mean M_L ā;</li>
 *   <li>the lower Cholesky factor L of the last layer's input-side precision Λ_L = L Lᵀ (p_L × p_L): the
 *       leverage h = āᵀΛ_L⁻¹ā = ‖L⁻¹ā‖² is one forward substitution;</li>
 *   <li>regression: σ²_y in standardised target units, and the target standardiser's moments (μ_y, s_y²);</li>
 *   <li>classification: the S logit offsets δ_s = L_Σ ε_s of this version (S × K), the fixed draws with
 *       which z ~ N(M_L ā, h Σ_L) is integrated, z_s = M_L ā + √h δ_s. The model draws ε_s from the stream
 *       (seed ⊕ salt, t) and multiplies by L_Σ = R⁻ᵀ; the serving form stores the products, so it needs
 *       neither Σ_L nor the generator;</li>
 *   <li>the input standardiser's moments (when inputs are standardised), the configuration and the
 *       version t = {@link BaliModel#step()}.</li>
 * </ul>
 * Not held: the natural-parameter sums S_A, S_C, S_G, the bias weights, the noise EMA, Σ of the hidden
 * layers, the weight samples of Monte Carlo prediction. A serving posterior cannot learn and does not
 * offer Monte Carlo prediction.
 *
 * <p><b>Exactness.</b> {@link #predict} and {@link #classify} run the same code as {@link BaliModel#predict}
 * and {@link BaliModel#classify} ({@code ClosedFormPredictive}) on bit-identical copies of the same
 * numbers, so their results are equal bit for bit to the model's at the version the posterior was taken.
 *
 * <p><b>Threads.</b> Immutable: every field is final and no array is written after construction. Scoring
 * writes only into a {@link PredictionScratch}: {@link #predict(double[])} and {@link #classify(double[])}
 * allocate one per call (a few arrays of the widest layer's width) and are safe to call from any number
 * of threads at once; on a hot path, a thread keeps its own scratch ({@link #newScratch()}) and calls
 * {@link #predict(double[], PredictionScratch)} — never sharing one scratch between threads.
 */
public final class ServingPosterior implements ServingModel {
    private final BaliConfig config;
    private final long version;
    /** Mᵀ_l, p_l × q_l. */
    private final DMatrixRMaj[] meansTransposed;
    /** L of Λ_L = L Lᵀ, p_L × p_L, lower triangular (strict upper triangle zero). */
    private final DMatrixRMaj cholLambda;
    /** W = L⁻¹, for the leverage (derived from {@link #cholLambda} exactly as the model derives it). */
    private final DMatrixRMaj inverseFactor;
    /** σ²_y in standardised units (regression); NaN for a classifier. */
    private final double noiseVariance;
    /** δ_s = L_Σ ε_s, S × K row-major (classification); null for a regression. */
    private final double[] logitOffsets;
    /** θ of the classifier's predictive (§5, "Logit scale"); 1 for a regression. */
    private final double logitScale;
    /** Frozen input standardiser, or null when inputs are not standardised. */
    private final Standardizer inputStandardizer;
    /** Frozen target standardiser (regression with standardised targets), else null. */
    private final Standardizer targetStandardizer;
    private final ClosedFormPredictive closedForm;
    /** Width a scratch needs: max over layers of (width + 1). */
    private final int maxWidth;

    /** Takes ownership of its arguments (callers pass fresh copies); shapes are the caller's to check. */
    ServingPosterior(final BaliConfig config, final long version, final DMatrixRMaj[] meansTransposed,
                     final DMatrixRMaj cholLambda, final double noiseVariance, final double[] logitOffsets,
                     final double logitScale, final Standardizer inputStandardizer,
                     final Standardizer targetStandardizer) {
        this.config = config;
        this.version = version;
        this.meansTransposed = meansTransposed;
        this.cholLambda = cholLambda;
        this.inverseFactor = new DMatrixRMaj(cholLambda.numRows, cholLambda.numRows);
        Kernels.invertLower(cholLambda, inverseFactor);
        this.noiseVariance = noiseVariance;
        this.logitOffsets = logitOffsets;
        this.logitScale = logitScale;
        this.inputStandardizer = inputStandardizer;
        this.targetStandardizer = targetStandardizer;
        this.closedForm = new ClosedFormPredictive(config, meansTransposed, inputStandardizer, targetStandardizer);
        this.maxWidth = PredictionScratch.maxWidth(config);
    }

    /** The model version t (number of accepted updates) this posterior was taken at. */
    @Override
    public long version() {
        return version;
    }

    /** The configuration of the model it was taken from. */
    @Override
    public BaliConfig config() {
        return config;
    }

    /** A scratch for this posterior's predictions, to be used by one thread at a time. */
    @Override
    public PredictionScratch newScratch() {
        return new PredictionScratch(maxWidth, config.outputSize());
    }

    /**
     * Closed-form regression predictive for one raw input (docs/method.md §5); equal bit for bit to
     * {@link BaliModel#predict} of the model at {@link #version()}. Thread-safe (allocates its scratch).
     *
     * @throws IllegalStateException    for a classifier
     * @throws IllegalArgumentException for a null, wrongly sized or non-finite feature vector
     */
    public RegressionPrediction predict(final double[] features) {
        return predict(features, newScratch());
    }

    /** {@link #predict(double[])} with the caller's scratch (one thread at a time per scratch). */
    @Override
    public RegressionPrediction predict(final double[] features, final PredictionScratch scratch) {
        requireScratch(scratch);
        return closedForm.predict(features, inverseFactor, noiseVariance, version == 0, scratch);
    }

    /**
     * Closed-form classification predictive for one raw input (docs/method.md §5): probabilities, predicted
     * class, entropy, mutual information and leverage, equal bit for bit to {@link BaliModel#classify} of
     * the model at {@link #version()}. Thread-safe (allocates its scratch).
     *
     * @throws IllegalStateException    for a regression model
     * @throws IllegalArgumentException for a null, wrongly sized or non-finite feature vector
     */
    public ClassificationPrediction classify(final double[] features) {
        return classify(features, newScratch());
    }

    /** {@link #classify(double[])} with the caller's scratch (one thread at a time per scratch). */
    @Override
    public ClassificationPrediction classify(final double[] features, final PredictionScratch scratch) {
        requireScratch(scratch);
        return closedForm.classify(features, inverseFactor, logitOffsets, logitScale, version == 0, scratch);
    }

    private void requireScratch(final PredictionScratch scratch) {
        if (scratch == null || !scratch.fits(maxWidth, config.outputSize())) {
            throw new IllegalArgumentException("the scratch does not fit this model; take one from newScratch()");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Package-private, read-only by contract: for ServingPosteriorCodec and the tests.

    int numLayers() {
        return meansTransposed.length;
    }

    DMatrixRMaj meanTransposed(final int l) {
        return meansTransposed[l];
    }

    DMatrixRMaj cholLambda() {
        return cholLambda;
    }

    double noiseVariance() {
        return noiseVariance;
    }

    double[] logitOffsets() {
        return logitOffsets;
    }

    double logitScale() {
        return logitScale;
    }

    Standardizer inputStandardizer() {
        return inputStandardizer;
    }

    Standardizer targetStandardizer() {
        return targetStandardizer;
    }
}
