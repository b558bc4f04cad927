package io.balistreams.bali;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A Bayesian mixture of BALI experts that differ only in their memory: expert k is a {@link BaliModel} with
 * the architecture of a base configuration, its own mini-batch size B_k and effective memory N_k (its β_k =
 * 1 − B_k/N_k), and seed + k (docs/method.md §11).
 *
 * <p><b>Weights.</b> Online Bayesian model averaging with a fixed share (Herbster and Warmuth 1998): every
 * labelled record (x, y), before any expert learns from it, updates the weights with each expert's current
 * predictive likelihood, then mixes a share α of the mass uniformly back in:
 * <pre>
 *   w_k ← w_k p_k(y | x) / Σ_j w_j p_j(y | x),        w_k ← (1 − α) w_k + α / K.
 * </pre>
 * The first step is Bayes' rule over "which memory generated the data"; the second is the exact posterior
 * update of a prior under which the best expert switches with probability α at every record. It bounds
 * every weight below by α/K, so the mixture can return to an expert within about log(K/α)/Δℓ records,
 * where Δℓ is the per-record log-likelihood advantage of that expert; the weights themselves have no other
 * decay. Start: uniform.
 *
 * <p><b>Predictive</b> (§11): the mixture of the experts' closed-form predictives.
 * <ul>
 *   <li>Classification: p̄ = Σ_k w_k p̄_k; entropy H[p̄]; mutual information H[p̄] − Σ_k w_k (H[p̄_k] −
 *       MI_k), the total minus the expected entropy of a single sample of a single expert, so the experts'
 *       disagreement counts as epistemic uncertainty.</li>
 *   <li>Regression: mean μ̄ = Σ_k w_k μ_k, total variance Σ_k w_k (v_k + μ_k²) − μ̄² (the mixture's own,
 *       served as a moment-matched Gaussian), aleatoric Σ_k w_k σ²_k and epistemic the rest.</li>
 *   <li>Leverage (the OOD score): the posterior-expected leverage Σ_k w_k h_k.</li>
 * </ul>
 *
 * <p><b>Learning.</b> {@link #learn} takes labelled records in order. Each is first scored by every expert for
 * the weight update, then appended to every expert's buffer; an expert makes one BALI update whenever its
 * buffer holds B_k records (so a short memory with a small B updates often, a long one rarely). A
 * {@code flush} makes every expert with a non-empty buffer update at once from what it holds (a partial
 * batch, as {@link BaliModel} allows). The monitor's adaptive forgetting reaches the experts as a factor on
 * their memories: a β for the update below the mixture's configured β shrinks every N_k by the same factor
 * (1 − β_config)/(1 − β). The experts' predictives of the last 2B inputs {@link #classify}'d or
 * {@link #predict}'d are kept, so an input learned as the same array before any expert has updated is not
 * scored again (the caller must not change a scored array before it is learned).
 *
 * <p><b>Serving and state.</b> {@link #servingPosterior()} is the serving form ({@link MixturePosterior});
 * {@link MixtureStateCodec} stores the whole state, from which a mixture continues bit-exactly.
 *
 * <p>Deterministic; not thread-safe.
 */
public final class BaliMixture {

    /**
     * One expert's memory.
     *
     * @param memory    effective memory N_eff in records (&gt; batchSize)
     * @param batchSize its mini-batch size B (&gt;= 1)
     */
    public record Expert(double memory, int batchSize) {
        public Expert {
            if (batchSize < 1) {
                throw new IllegalArgumentException("an expert's batch size must be >= 1, got " + batchSize);
            }
            if (!(memory > batchSize) || Double.isInfinite(memory)) {
                throw new IllegalArgumentException("an expert's memory must be finite and exceed its batch size "
                        + batchSize + ", got " + memory);
            }
        }

        /**
         * Parses "N×B" or "NxB" (memory, batch size), e.g. {@code 50x4}.
         *
         * @throws IllegalArgumentException with the offending text
         */
        public static Expert parse(final String text) {
            final String[] parts = text.trim().toLowerCase(java.util.Locale.ROOT).split("[x×]");
            if (parts.length != 2) {
                throw new IllegalArgumentException("an expert is MEMORYxBATCH (e.g. 50x4), got '" + text + "'");
            }
            try {
                return new Expert(Double.parseDouble(parts[0].trim()), Integer.parseInt(parts[1].trim()));
            } catch (final NumberFormatException e) {
                throw new IllegalArgumentException("an expert is MEMORYxBATCH (e.g. 50x4), got '" + text + "'");
            }
        }

        /**
         * Parses a list of experts ({@link #parse}); an empty list, or the one word {@code none}, is no mixture (one
         * model) and gives an empty list.
         */
        public static List<Expert> parseAll(final List<? extends CharSequence> texts) {
            if (texts.isEmpty() || texts.size() == 1 && "none".equalsIgnoreCase(texts.get(0).toString().trim())) {
                return List.of();
            }
            return texts.stream().map(t -> parse(t.toString())).toList();
        }

        @Override
        public String toString() {
            final long whole = (long) memory;
            return (whole == memory ? Long.toString(whole) : Double.toString(memory)) + "x" + batchSize;
        }
    }

    /** The default grid: a short, a middle and a long memory, each with the batch size its cost allows. */
    public static final List<Expert> DEFAULT_EXPERTS = List.of(new Expert(50, 4), new Expert(500, 8),
            new Expert(4000, 32));

    /** The default share α. */
    public static final double DEFAULT_SHARE = 0.01;

    private final BaliConfig base;
    private final BaliConfig config;
    private final List<Expert> experts;
    private final double share;
    private final BaliModel[] models;
    private final double[] weights;
    private final double[] scratchLikelihoods;
    private final String[] expertNames;

    // the experts' predictives of the last few scored inputs, so that learning them does not score them again
    private final double[][] cachedInputs;
    private final long[] cachedSteps;
    private final ClassificationPrediction[][] cachedClassifications;
    private final RegressionPrediction[][] cachedRegressions;
    private int cacheNext;

    private final double[][][] bufferFeatures;
    private final int[][] bufferLabels;
    private final double[][] bufferTargets;
    private final int[] bufferCounts;
    private final boolean classifier;

    /**
     * A mixture with the prior only.
     *
     * @param base    architecture, task and every other setting of the experts; its β is the mixture's configured
     *                β, against which an update's β is read as a memory factor
     * @param experts at least one memory; at most one expert per (memory, batch size)
     * @param share   α in [0, 1): the fixed share (0 for plain Bayesian model averaging)
     */
    public BaliMixture(final BaliConfig base, final List<Expert> experts, final double share) {
        this(base, experts, share, null);
    }

    /** With the experts' models given (a restore) or, for null, made from the base. */
    private BaliMixture(final BaliConfig base, final List<Expert> experts, final double share,
                        final BaliModel[] restoredModels) {
        check(base, experts, share);
        this.base = base;
        this.experts = List.copyOf(experts);
        this.share = share;
        final int k = experts.size();
        this.models = new BaliModel[k];
        this.classifier = base.task() == Task.CLASSIFICATION;
        this.bufferFeatures = new double[k][][];
        this.bufferLabels = new int[k][];
        this.bufferTargets = new double[k][];
        this.bufferCounts = new int[k];
        int smallestBatch = Integer.MAX_VALUE;
        for (int i = 0; i < k; i++) {
            final Expert e = experts.get(i);
            final BaliConfig expected = expertConfig(base, e, i);
            if (restoredModels == null) {
                models[i] = new BaliModel(expected);
            } else if (!restoredModels[i].config().equals(expected)) {
                throw new IllegalArgumentException("expert " + e + " has the configuration " + restoredModels[i].config()
                        + ", the mixture's base gives " + expected);
            } else {
                models[i] = restoredModels[i];
            }
            bufferFeatures[i] = new double[e.batchSize()][base.inputSize()];
            if (classifier) {
                bufferLabels[i] = new int[e.batchSize()];
            } else {
                bufferTargets[i] = new double[e.batchSize()];
            }
            smallestBatch = Math.min(smallestBatch, e.batchSize());
        }
        this.config = base.toBuilder().batchSize(smallestBatch)
                .effectiveMemory(Math.max(base.effectiveMemory(), smallestBatch + 1.0)).build();
        this.weights = new double[k];
        Arrays.fill(weights, 1.0 / k);
        this.scratchLikelihoods = new double[k];
        this.expertNames = namesOf(this.experts);
        final int cacheSize = 2 * smallestBatch;
        this.cachedInputs = new double[cacheSize][];
        this.cachedSteps = new long[cacheSize];
        this.cachedClassifications = classifier ? new ClassificationPrediction[cacheSize][k] : null;
        this.cachedRegressions = classifier ? null : new RegressionPrediction[cacheSize][k];
    }

    /**
     * A mixture continuing exactly from its parts ({@link MixtureStateCodec}).
     *
     * @param models          the experts' models, in the order of {@code experts}, each with the configuration
     *                        {@link #expertConfig} gives
     * @param weights         the weights (non-negative, finite, summing to 1)
     * @param bufferedFeatures per expert, the raw features of the records in its buffer (fewer than its B)
     * @param bufferedTargets per expert, their targets (class indices for a classifier)
     * @throws IllegalArgumentException if a part does not fit
     */
    static BaliMixture restore(final BaliConfig base, final List<Expert> experts, final double share,
                               final BaliModel[] models, final double[] weights, final double[][][] bufferedFeatures,
                               final double[][] bufferedTargets) {
        if (models.length != experts.size() || weights.length != experts.size()
                || bufferedFeatures.length != experts.size() || bufferedTargets.length != experts.size()) {
            throw new IllegalArgumentException("a mixture of " + experts.size() + " experts has " + models.length
                    + " models, " + weights.length + " weights and " + bufferedFeatures.length + " buffers");
        }
        final BaliMixture m = new BaliMixture(base, experts, share, models);
        double sum = 0;
        for (final double w : weights) {
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new IllegalArgumentException("a mixture weight is " + w);
            }
            sum += w;
        }
        if (Math.abs(sum - 1) > 1e-9) {
            throw new IllegalArgumentException("the mixture weights sum to " + sum + ", not 1");
        }
        System.arraycopy(weights, 0, m.weights, 0, weights.length);
        for (int k = 0; k < experts.size(); k++) {
            final double[][] x = bufferedFeatures[k];
            final double[] y = bufferedTargets[k];
            if (x.length != y.length || x.length >= experts.get(k).batchSize()) {
                throw new IllegalArgumentException("expert " + experts.get(k) + " holds " + x.length + " records and "
                        + y.length + " targets in its buffer (batch size " + experts.get(k).batchSize() + ")");
            }
            for (int n = 0; n < x.length; n++) {
                if (x[n].length != base.inputSize()) {
                    throw new IllegalArgumentException("expert " + experts.get(k) + ": a buffered record has "
                            + x[n].length + " features, the model takes " + base.inputSize());
                }
                System.arraycopy(x[n], 0, m.bufferFeatures[k][n], 0, x[n].length);
                if (m.classifier) {
                    final int label = (int) y[n];
                    if (label != y[n] || label < 0 || label >= base.numClasses()) {
                        throw new IllegalArgumentException("expert " + experts.get(k) + ": buffered class index " + y[n]);
                    }
                    m.bufferLabels[k][n] = label;
                } else {
                    if (!Double.isFinite(y[n])) {
                        throw new IllegalArgumentException("expert " + experts.get(k) + ": buffered target " + y[n]);
                    }
                    m.bufferTargets[k][n] = y[n];
                }
            }
            m.bufferCounts[k] = x.length;
        }
        return m;
    }

    /** The raw features in expert k's buffer, oldest first (copies). */
    double[][] bufferedFeatures(final int k) {
        final double[][] x = new double[bufferCounts[k]][];
        for (int n = 0; n < x.length; n++) {
            x[n] = bufferFeatures[k][n].clone();
        }
        return x;
    }

    /** The targets in expert k's buffer (class indices as doubles for a classifier), oldest first. */
    double[] bufferedTargets(final int k) {
        final double[] y = new double[bufferCounts[k]];
        for (int n = 0; n < y.length; n++) {
            y[n] = classifier ? bufferLabels[k][n] : bufferTargets[k][n];
        }
        return y;
    }

    /**
     * Checks that a mixture of these experts and share can be made from {@code base}, without making it: at least
     * one expert, all different, each fitting the base (memory above its batch), the share in [0, 1), a streaming
     * base.
     *
     * @throws IllegalArgumentException naming what does not fit
     */
    public static void check(final BaliConfig base, final List<Expert> experts, final double share) {
        Objects.requireNonNull(base, "base");
        if (experts == null || experts.isEmpty()) {
            throw new IllegalArgumentException("a mixture needs at least one expert");
        }
        if (experts.stream().distinct().count() != experts.size()) {
            throw new IllegalArgumentException("the experts must differ, got " + experts);
        }
        if (!(share >= 0 && share < 1)) {
            throw new IllegalArgumentException("the share must be in [0, 1), got " + share);
        }
        if (!base.streaming()) {
            throw new IllegalArgumentException("a mixture over memories needs a streaming configuration");
        }
        for (int i = 0; i < experts.size(); i++) {
            expertConfig(base, experts.get(i), i);
        }
    }

    /** Expert {@code index}'s configuration: the base with its batch size, its memory and seed + index. */
    static BaliConfig expertConfig(final BaliConfig base, final Expert e, final int index) {
        return base.toBuilder().batchSize(e.batchSize()).effectiveMemory(e.memory()).seed(base.seed() + index)
                .build();
    }

    // ---------------------------------------------------------------------------------------------
    // Read access

    /**
     * The mixture's own configuration: the base's, with the smallest expert batch size as B (labels are handed
     * over at least that often) and the base's memory as the reference memory of a monitor.
     */
    public BaliConfig config() {
        return config;
    }

    /** For people: "6→8→8→2 tanh over memories 50x4, 500x8, 4000x32 (share 0.01)". */
    public String describe() {
        return describe(base, experts, share);
    }

    /** {@link #describe()} of the mixture these arguments would make, without making it. */
    public static String describe(final BaliConfig base, final List<Expert> experts, final double share) {
        final String model = base.describe();
        final int cut = model.indexOf(", batch ");
        return (cut < 0 ? model : model.substring(0, cut)) + " over memories "
                + String.join(", ", experts.stream().map(Expert::toString).toList()) + " (share "
                + java.math.BigDecimal.valueOf(share).stripTrailingZeros().toPlainString() + ")";
    }

    /** The base configuration the experts were made from. */
    public BaliConfig baseConfig() {
        return base;
    }

    public List<Expert> experts() {
        return experts;
    }

    public double share() {
        return share;
    }

    /** Expert {@code k}'s model (read-only by contract). */
    public BaliModel expert(final int k) {
        return models[k];
    }

    /** A copy of the current weights, in the order of {@link #experts()}. */
    public double[] weights() {
        return weights.clone();
    }

    /** The version: accepted updates summed over the experts. */
    public long step() {
        long s = 0;
        for (final BaliModel m : models) {
            s += m.step();
        }
        return s;
    }

    /** Records waiting in expert {@code k}'s buffer for its next update. */
    public int buffered(final int k) {
        return bufferCounts[k];
    }

    // ---------------------------------------------------------------------------------------------
    // Prediction (§11)

    /** The mixture's predictive distribution of a classifier for one input. */
    public ClassificationPrediction classify(final double[] features) {
        requireTask(Task.CLASSIFICATION);
        final int slot = cacheSlot(features);
        final ClassificationPrediction[] q = new ClassificationPrediction[models.length];
        for (int k = 0; k < models.length; k++) {
            q[k] = models[k].classify(features);
            cachedClassifications[slot][k] = q[k];
        }
        return combine(q, weights);
    }

    /** The mixture's predictive distribution of a regression for one input (original units; §11). */
    public RegressionPrediction predict(final double[] features) {
        requireTask(Task.REGRESSION);
        final int slot = cacheSlot(features);
        final RegressionPrediction[] q = new RegressionPrediction[models.length];
        for (int k = 0; k < models.length; k++) {
            q[k] = models[k].predict(features);
            cachedRegressions[slot][k] = q[k];
        }
        return combine(q, weights);
    }

    /**
     * The serving form of the mixture at this version (§11): every expert's {@link ServingPosterior} and the
     * weights, which predict bit for bit as {@link #classify} and {@link #predict} do now.
     */
    public MixturePosterior servingPosterior() {
        final ServingPosterior[] posteriors = new ServingPosterior[models.length];
        for (int k = 0; k < models.length; k++) {
            posteriors[k] = models[k].servingPosterior();
        }
        return new MixturePosterior(config, experts, share, posteriors, weights.clone(), step());
    }

    /**
     * The mixture of the experts' classification predictives with weights w (§11): p̄ = Σ_k w_k p̄_k, its argmax
     * and entropy, the mutual information H[p̄] − Σ_k w_k (H[p̄_k] − MI_k) (≥ 0), the leverage Σ_k w_k h_k.
     */
    static ClassificationPrediction combine(final ClassificationPrediction[] q, final double[] w) {
        final int classes = q[0].probabilities().length;
        final double[] p = new double[classes];
        double expectedEntropy = 0;
        double leverage = 0;
        for (int k = 0; k < q.length; k++) {
            final double[] pk = q[k].probabilities();
            for (int c = 0; c < classes; c++) {
                p[c] += w[k] * pk[c];
            }
            expectedEntropy += w[k] * (q[k].entropy() - q[k].mutualInformation());
            leverage += w[k] * q[k].leverage();
        }
        int best = 0;
        double entropy = 0;
        for (int c = 0; c < classes; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
            if (p[c] > 0) {
                entropy -= p[c] * Math.log(p[c]);
            }
        }
        return new ClassificationPrediction(p, best, entropy, Math.max(0.0, entropy - expectedEntropy), leverage);
    }

    /**
     * The mixture of the experts' regression predictives with weights w (§11): the Gaussian mixture itself (its
     * density and quantiles), its mean Σ_k w_k μ_k and total variance Σ_k w_k (v_k + μ_k²) − μ̄² (at least the
     * aleatoric part), aleatoric Σ_k w_k σ²_k, leverage Σ_k w_k h_k.
     */
    static RegressionPrediction combine(final RegressionPrediction[] q, final double[] w) {
        double mean = 0;
        double secondMoment = 0;
        double aleatoric = 0;
        double leverage = 0;
        final double[] means = new double[q.length];
        final double[] variances = new double[q.length];
        for (int k = 0; k < q.length; k++) {
            means[k] = q[k].mean();
            variances[k] = q[k].totalVariance();
            mean += w[k] * means[k];
            secondMoment += w[k] * (variances[k] + means[k] * means[k]);
            aleatoric += w[k] * q[k].aleatoricVariance();
            leverage += w[k] * q[k].leverage();
        }
        final double total = Math.max(secondMoment - mean * mean, aleatoric);
        return new RegressionPrediction(mean, aleatoric, total - aleatoric, leverage, null,
                new GaussianMixture(w, means, variances));
    }

    /**
     * The current weights keyed by expert (MEMORYxBATCH), in the experts' order: an immutable snapshot (K doubles
     * copied), cheap enough to go with every prediction.
     */
    public java.util.Map<String, Double> memoryWeights() {
        return new MemoryWeights(expertNames, weights.clone());
    }

    /** The names MEMORYxBATCH of these experts, in order. */
    static String[] namesOf(final List<Expert> experts) {
        return experts.stream().map(Expert::toString).toArray(String[]::new);
    }

    // ---------------------------------------------------------------------------------------------
    // Learning

    /**
     * Learns labelled classification records in order: for each, the weight update with every expert's current
     * predictive, then into every expert's buffer (an expert updates when its buffer is full).
     *
     * @param beta  β for these updates: the mixture's configured β, or lower to shrink every memory for a while
     * @param flush whether every expert with a non-empty buffer updates now from what it holds
     * @return the outcome: accepted unless an expert refused its update (that expert is then left as it was); its
     *         step is the mixture's, its mean loss the mean of the accepted expert updates' (NaN if none ran)
     * @throws IllegalArgumentException for a record that does not fit (wrong width, a non-finite feature, a label
     *                                  out of range), before anything changes
     */
    public UpdateResult learn(final double[][] features, final int[] labels, final double beta, final boolean flush) {
        requireTask(Task.CLASSIFICATION);
        if (features == null || labels == null || features.length != labels.length) {
            throw new IllegalArgumentException("need as many labels as feature rows");
        }
        for (int n = 0; n < features.length; n++) {
            checkFeatures(features[n], n);
            if (labels[n] < 0 || labels[n] >= base.numClasses()) {
                throw new IllegalArgumentException("record " + n + ": class index " + labels[n] + " is not in 0.."
                        + (base.numClasses() - 1));
            }
        }
        for (int n = 0; n < features.length; n++) {
            final int y = labels[n];
            final int slot = cached(features[n]);
            for (int k = 0; k < models.length; k++) {
                final ClassificationPrediction q = slot >= 0 ? cachedClassifications[slot][k]
                        : models[k].classify(features[n]);
                scratchLikelihoods[k] = q.logLikelihood(y);
            }
            reweigh(scratchLikelihoods);
        }
        return distribute(features, labels, null, beta, flush);
    }

    /** Learns labelled regression records in order; see {@link #learn(double[][], int[], double, boolean)}. */
    public UpdateResult learn(final double[][] features, final double[] targets, final double beta,
                              final boolean flush) {
        requireTask(Task.REGRESSION);
        if (features == null || targets == null || features.length != targets.length) {
            throw new IllegalArgumentException("need as many targets as feature rows");
        }
        for (int n = 0; n < features.length; n++) {
            checkFeatures(features[n], n);
            if (!Double.isFinite(targets[n])) {
                throw new IllegalArgumentException("record " + n + ": target is " + targets[n]);
            }
        }
        for (int n = 0; n < features.length; n++) {
            final int slot = cached(features[n]);
            for (int k = 0; k < models.length; k++) {
                final RegressionPrediction q = slot >= 0 ? cachedRegressions[slot][k] : models[k].predict(features[n]);
                scratchLikelihoods[k] = q.logLikelihood(targets[n]);
            }
            reweigh(scratchLikelihoods);
        }
        return distribute(features, null, targets, beta, flush);
    }

    /** A record's features must fit the experts (checked before anything changes, so a bad batch changes nothing). */
    private void checkFeatures(final double[] x, final int n) {
        if (x == null || x.length != base.inputSize()) {
            throw new IllegalArgumentException("record " + n + ": " + (x == null ? "no" : Integer.toString(x.length))
                    + " features, the model takes " + base.inputSize());
        }
        for (final double v : x) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("record " + n + ": a feature is " + v);
            }
        }
    }

    /** Takes the next cache slot for the experts' predictives of {@code features} at the current step. */
    private int cacheSlot(final double[] features) {
        final int slot = cacheNext;
        cacheNext = (cacheNext + 1) % cachedInputs.length;
        cachedInputs[slot] = features;
        cachedSteps[slot] = step();
        return slot;
    }

    /**
     * The cache slot holding the experts' predictives of this very array (by identity) scored at the current
     * step, that is by the same posteriors, or −1: then the caller scores the input again.
     */
    private int cached(final double[] features) {
        final long step = step();
        for (int i = 0; i < cachedInputs.length; i++) {
            if (cachedInputs[i] == features && cachedSteps[i] == step) {
                return i;
            }
        }
        return -1;
    }

    /**
     * One Bayes step and one fixed-share step of the weights from the experts' log predictive likelihoods ℓ_k
     * of one labelled record: w_k ∝ w_k e^{ℓ_k}, then w_k ← (1 − α) w_k + α/K. A likelihood that is not a
     * number (a broken expert) counts as −∞; if every expert's is −∞ the Bayes step is skipped.
     */
    void reweigh(final double[] logLikelihoods) {
        double max = Double.NEGATIVE_INFINITY;
        for (final double l : logLikelihoods) {
            if (l > max) {
                max = l;
            }
        }
        final int k = weights.length;
        if (max > Double.NEGATIVE_INFINITY) {
            double sum = 0;
            for (int i = 0; i < k; i++) {
                final double l = logLikelihoods[i];
                weights[i] *= l > Double.NEGATIVE_INFINITY ? Math.exp(l - max) : 0.0;
                sum += weights[i];
            }
            for (int i = 0; i < k; i++) {
                weights[i] /= sum;
            }
        }
        final double floor = share / k;
        for (int i = 0; i < k; i++) {
            weights[i] = (1 - share) * weights[i] + floor;
        }
    }

    private UpdateResult distribute(final double[][] features, final int[] labels, final double[] targets,
                                    final double beta, final boolean flush) {
        if (!(beta > 0 && beta < 1)) {
            throw new IllegalArgumentException("beta must be in (0, 1), got " + beta);
        }
        final double memoryFactor = (1.0 - config.beta()) / (1.0 - beta);
        String rejection = null;
        double lossSum = 0;
        int lossCount = 0;
        for (int k = 0; k < models.length; k++) {
            final int b = experts.get(k).batchSize();
            for (int n = 0; n < features.length; n++) {
                final int at = bufferCounts[k];
                System.arraycopy(features[n], 0, bufferFeatures[k][at], 0, base.inputSize());
                if (labels != null) {
                    bufferLabels[k][at] = labels[n];
                } else {
                    bufferTargets[k][at] = targets[n];
                }
                bufferCounts[k] = at + 1;
                if (at + 1 == b) {
                    final UpdateResult r = update(k, memoryFactor);
                    if (!r.accepted() && rejection == null) {
                        rejection = "expert " + experts.get(k) + ": " + r.reason();
                    } else if (r.accepted()) {
                        lossSum += r.meanLoss();
                        lossCount++;
                    }
                }
            }
            if (flush && bufferCounts[k] > 0) {
                final UpdateResult r = update(k, memoryFactor);
                if (!r.accepted() && rejection == null) {
                    rejection = "expert " + experts.get(k) + ": " + r.reason();
                } else if (r.accepted()) {
                    lossSum += r.meanLoss();
                    lossCount++;
                }
            }
        }
        final double meanLoss = lossCount == 0 ? Double.NaN : lossSum / lossCount;
        return rejection == null ? UpdateResult.accepted(step(), meanLoss)
                : UpdateResult.rejected(step(), meanLoss, rejection);
    }

    /** Expert k learns its buffer (full or partial) and empties it. */
    private UpdateResult update(final int k, final double memoryFactor) {
        final int n = bufferCounts[k];
        final BaliModel m = models[k];
        final double beta = memoryFactor == 1.0 ? m.config().beta()
                : Math.max(0.05, 1.0 - (1.0 - m.config().beta()) / memoryFactor);
        bufferCounts[k] = 0;
        final boolean full = n == bufferFeatures[k].length;
        final double[][] x = full ? bufferFeatures[k] : Arrays.copyOf(bufferFeatures[k], n);
        if (classifier) {
            return m.learn(x, full ? bufferLabels[k] : Arrays.copyOf(bufferLabels[k], n), beta);
        }
        return m.learn(x, full ? bufferTargets[k] : Arrays.copyOf(bufferTargets[k], n), beta);
    }

    private void requireTask(final Task task) {
        if (base.task() != task) {
            throw new IllegalStateException("this mixture is a " + base.task().name().toLowerCase(java.util.Locale.ROOT)
                    + " model");
        }
    }
}
