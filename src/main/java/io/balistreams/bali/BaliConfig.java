package io.balistreams.bali;

import java.util.Arrays;
import java.util.Objects;

/**
 * Immutable configuration of one BALI model: architecture, task and every hyper-parameter of
 * docs/method.md §4 (the table), each with a default and a validation that names the knob.
 *
 * <p>Create with {@link #regression(int...)} or {@link #classification(int...)} and the builder:
 * <pre>{@code
 * BaliConfig cfg = BaliConfig.regression(8, 64, 64, 1).activation(Activation.TANH).beta(0.99).seed(7).build();
 * }</pre>
 *
 * <p><b>Data scale (§4).</b> With {@link Builder#dataScale(double)} = N the model trains offline on a
 * data set of N records: each batch's statistics are scaled by N/B and the EMA over batches with decay
 * β acts as a step size. Without it the model is streaming: N = N_eff = B/(1 − β), i.e. each record
 * enters the sums with weight one and the sums forget by β per nominal batch (a per-record factor
 * ρ = β^{1/B}; a batch of b records decays the sums by ρ^b).
 */
public final class BaliConfig {
    private final Task task;
    private final int[] layerSizes;
    private final Activation[] activations;
    private final int batchSize;
    private final double beta;
    private final double betaG;
    private final double eta;
    private final double priorPrecision;
    private final double outputGamma;
    private final double hiddenKappa;
    private final double hiddenGammaMin;
    private final Double dataScale;
    private final Double fixedNoiseVariance;
    private final double noiseVarianceFloor;
    private final int monteCarloSamples;
    private final boolean standardizeInputs;
    private final boolean standardizeTargets;
    private final double initScale;
    private final long seed;

    private BaliConfig(final Builder b) {
        this.task = b.task;
        this.layerSizes = b.layerSizes.clone();
        this.activations = b.resolvedActivations();
        this.batchSize = b.batchSize;
        this.beta = b.beta;
        this.betaG = Double.isNaN(b.betaG) ? b.beta : b.betaG;
        this.eta = b.eta;
        this.priorPrecision = b.priorPrecision;
        this.outputGamma = b.outputGamma;
        this.hiddenKappa = b.hiddenKappa;
        this.hiddenGammaMin = b.hiddenGammaMin;
        this.dataScale = b.dataScale;
        this.fixedNoiseVariance = b.fixedNoiseVariance;
        this.noiseVarianceFloor = b.noiseVarianceFloor;
        this.monteCarloSamples = b.monteCarloSamples;
        this.standardizeInputs = b.standardizeInputs;
        this.standardizeTargets = b.standardizeTargets;
        this.initScale = b.initScale;
        this.seed = b.seed;
        validate();
    }

    /** A regression network with the given widths d_0 (inputs), ..., d_L = 1. */
    public static Builder regression(final int... layerSizes) {
        return new Builder(Task.REGRESSION, layerSizes);
    }

    /** A classification network with the given widths d_0 (inputs), ..., d_L = K classes. */
    public static Builder classification(final int... layerSizes) {
        return new Builder(Task.CLASSIFICATION, layerSizes);
    }

    /** A builder initialised with this configuration, to derive a variant. */
    public Builder toBuilder() {
        final Builder b = new Builder(task, layerSizes);
        b.activations = activations.clone();
        b.batchSize = batchSize;
        b.beta = beta;
        b.betaG = betaG;
        b.eta = eta;
        b.priorPrecision = priorPrecision;
        b.outputGamma = outputGamma;
        b.hiddenKappa = hiddenKappa;
        b.hiddenGammaMin = hiddenGammaMin;
        b.dataScale = dataScale;
        b.fixedNoiseVariance = fixedNoiseVariance;
        b.noiseVarianceFloor = noiseVarianceFloor;
        b.monteCarloSamples = monteCarloSamples;
        b.standardizeInputs = standardizeInputs;
        b.standardizeTargets = standardizeTargets;
        b.initScale = initScale;
        b.seed = seed;
        return b;
    }

    private void validate() {
        Objects.requireNonNull(task, "task");
        if (layerSizes.length < 2) {
            throw new IllegalArgumentException("layerSizes: need at least an input and an output width, got "
                    + Arrays.toString(layerSizes));
        }
        for (int i = 0; i < layerSizes.length; i++) {
            if (layerSizes[i] < 1) {
                throw new IllegalArgumentException("layerSizes[" + i + "] must be >= 1, got " + layerSizes[i]);
            }
        }
        final int out = layerSizes[layerSizes.length - 1];
        if (task == Task.REGRESSION && out != 1) {
            throw new IllegalArgumentException("layerSizes: a regression network has exactly 1 output, got " + out);
        }
        if (task == Task.CLASSIFICATION && out < 2) {
            throw new IllegalArgumentException("layerSizes: a classifier needs >= 2 classes (outputs), got " + out);
        }
        if (activations.length != layerSizes.length - 2) {
            throw new IllegalArgumentException("activations: need one per hidden layer (" + (layerSizes.length - 2)
                    + "), got " + activations.length);
        }
        for (final Activation a : activations) {
            Objects.requireNonNull(a, "activations must not contain null");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        requireOpenUnit("beta", beta);
        requireOpenUnit("betaG", betaG);
        requirePositive("eta", eta);
        requirePositive("priorPrecision", priorPrecision);
        requirePositive("outputGamma", outputGamma);
        requireNonNegative("hiddenKappa", hiddenKappa);
        requirePositive("hiddenGammaMin", hiddenGammaMin);
        if (dataScale != null) {
            requirePositive("dataScale", dataScale);
        }
        if (fixedNoiseVariance != null) {
            requirePositive("fixedNoiseVariance", fixedNoiseVariance);
        }
        requirePositive("noiseVarianceFloor", noiseVarianceFloor);
        if (monteCarloSamples < 1) {
            throw new IllegalArgumentException("monteCarloSamples must be >= 1, got " + monteCarloSamples);
        }
        requirePositive("initScale", initScale);
    }

    private static void requireOpenUnit(final String name, final double v) {
        if (!(v > 0.0 && v < 1.0)) {
            throw new IllegalArgumentException(name + " must be in (0, 1), got " + v);
        }
    }

    private static void requirePositive(final String name, final double v) {
        if (!(v > 0.0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
        }
    }

    private static void requireNonNegative(final String name, final double v) {
        if (!(v >= 0.0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0, got " + v);
        }
    }

    /** What the output means: regression (Gaussian likelihood) or classification (softmax), docs/method.md §1. */
    public Task task() { return task; }
    /** Widths d_0..d_L; a copy. */
    public int[] layerSizes() { return layerSizes.clone(); }
    /** Number of weight layers L (widths d_0..d_L). */
    public int numLayers() { return layerSizes.length - 1; }
    /** Number of input features d_0. */
    public int inputSize() { return layerSizes[0]; }
    /** Output width d_L: 1 for regression, K for classification. */
    public int outputSize() { return layerSizes[layerSizes.length - 1]; }
    /** Number of classes K for classification, 0 for regression. */
    public int numClasses() { return task == Task.CLASSIFICATION ? outputSize() : 0; }
    /** Activation of hidden layer l (1-based, l &lt; L). */
    public Activation activation(final int hiddenLayer) { return activations[hiddenLayer - 1]; }
    /** Hidden-layer activations, a copy. */
    public Activation[] activations() { return activations.clone(); }
    /** Nominal mini-batch size B; N_eff = B/(1 − β) when streaming (docs/method.md §4). */
    public int batchSize() { return batchSize; }
    /** EMA decay β per nominal batch of S_A, S_C and the noise variance; 1 − β is the step size (docs/method.md §4). */
    public double beta() { return beta; }
    /** EMA decay β_G per nominal batch of S_G, the gradient factor behind Σ (docs/method.md §3, §4). */
    public double betaG() { return betaG; }
    /** Pseudo-target step η in z̃ = z − η Σ g (docs/method.md §2). */
    public double eta() { return eta; }
    /** Prior precision λ of every layer, Λ₀ = λ I (docs/method.md §1). */
    public double priorPrecision() { return priorPrecision; }
    /** Fixed floor γ of a softmax output layer, Σ = (Ḡ + γ I)⁻¹ (docs/method.md §3). */
    public double outputGamma() { return outputGamma; }
    /** κ of the relative floor of hidden layers, γ = max(γ_min, κ tr(Ḡ)/q) (docs/method.md §3). */
    public double hiddenKappa() { return hiddenKappa; }
    /** γ_min, the absolute lower bound of the hidden layers' floor γ (docs/method.md §3). */
    public double hiddenGammaMin() { return hiddenGammaMin; }
    /** N for offline training, or null when streaming. */
    public Double dataScale() { return dataScale; }
    /** True when no data scale is set: N = N_eff = B/(1 − β) and the sums forget per record (docs/method.md §4). */
    public boolean streaming() { return dataScale == null; }
    /** Null when the noise variance is learned. */
    public Double fixedNoiseVariance() { return fixedNoiseVariance; }
    /** Lower bound of the learned noise variance σ²_y, in standardised target units (docs/method.md §3). */
    public double noiseVarianceFloor() { return noiseVarianceFloor; }
    /** S: weight samples (Monte Carlo) or logit draws (closed-form classification) per prediction (docs/method.md §5). */
    public int monteCarloSamples() { return monteCarloSamples; }
    /** Whether inputs are standardised online inside the model (docs/method.md §4). */
    public boolean standardizeInputs() { return standardizeInputs; }
    /** Whether regression targets are standardised online inside the model (docs/method.md §4). */
    public boolean standardizeTargets() { return standardizeTargets; }
    /** Scale s of the initial means: entries N(0, (s/√fan-in)²), bias 0 (docs/method.md §1). */
    public double initScale() { return initScale; }
    /** Seed of every random number the model draws; with the step it fixes all of them (docs/method.md §1). */
    public long seed() { return seed; }

    /** N_eff = B/(1 − β) when streaming, else the configured N (§4). */
    public double effectiveDataScale() {
        return dataScale != null ? dataScale : effectiveMemory();
    }

    /**
     * The effective memory N_eff = B/(1 − β) in records (§4): the weight of past data halves about every
     * 0.69 N_eff records. The memory of an online learner's OOD threshold as well as of its posterior.
     */
    public double effectiveMemory() {
        return batchSize / (1.0 - beta);
    }

    /** EMA decay for a batch of {@code b} records: β^{b/B} when streaming, β offline. */
    double decayForBatch(final double decayPerNominalBatch, final int b) {
        return streaming() ? Math.pow(decayPerNominalBatch, (double) b / batchSize) : decayPerNominalBatch;
    }

    /**
     * Per-record forgetting factor of the standardisers: ρ = β^{1/B} when streaming (the posterior's
     * rate), 1 (plain running averages) offline.
     */
    double standardizerForgetting() {
        return streaming() ? Math.pow(beta, 1.0 / batchSize) : 1.0;
    }

    /** Equal when every field is equal (doubles compared bit-wise, as {@link Double#compare} does). */
    @Override
    public boolean equals(final Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof BaliConfig)) {
            return false;
        }
        final BaliConfig c = (BaliConfig) o;
        return task == c.task && Arrays.equals(layerSizes, c.layerSizes) && Arrays.equals(activations, c.activations)
                && batchSize == c.batchSize && Double.compare(beta, c.beta) == 0 && Double.compare(betaG, c.betaG) == 0
                && Double.compare(eta, c.eta) == 0 && Double.compare(priorPrecision, c.priorPrecision) == 0
                && Double.compare(outputGamma, c.outputGamma) == 0 && Double.compare(hiddenKappa, c.hiddenKappa) == 0
                && Double.compare(hiddenGammaMin, c.hiddenGammaMin) == 0 && Objects.equals(dataScale, c.dataScale)
                && Objects.equals(fixedNoiseVariance, c.fixedNoiseVariance)
                && Double.compare(noiseVarianceFloor, c.noiseVarianceFloor) == 0
                && monteCarloSamples == c.monteCarloSamples && standardizeInputs == c.standardizeInputs
                && standardizeTargets == c.standardizeTargets && Double.compare(initScale, c.initScale) == 0
                && seed == c.seed;
    }

    /** Hash of every field, consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return Objects.hash(task, Arrays.hashCode(layerSizes), Arrays.hashCode(activations), batchSize, beta, betaG,
                eta, priorPrecision, outputGamma, hiddenKappa, hiddenGammaMin, dataScale, fixedNoiseVariance,
                noiseVarianceFloor, monteCarloSamples, standardizeInputs, standardizeTargets, initScale, seed);
    }

    /** Every field, for logs. */
    @Override
    public String toString() {
        return "BaliConfig{task=" + task + ", layers=" + Arrays.toString(layerSizes) + ", activations="
                + Arrays.toString(activations) + ", B=" + batchSize + ", beta=" + beta + ", betaG=" + betaG
                + ", eta=" + eta + ", lambda=" + priorPrecision + ", outputGamma=" + outputGamma + ", kappa="
                + hiddenKappa + ", gammaMin=" + hiddenGammaMin + ", N=" + (dataScale == null ? "streaming" : dataScale)
                + ", noise=" + (fixedNoiseVariance == null ? "learned" : fixedNoiseVariance) + ", noiseFloor="
                + noiseVarianceFloor + ", S=" + monteCarloSamples + ", standardize=" + standardizeInputs + "/"
                + standardizeTargets + ", initScale=" + initScale + ", seed=" + seed + "}";
    }

    /** The model in one line, as demo, eval and logs print it: e.g. {@code 3→32→32→2 tanh, batch 32, memory 2,000}. */
    public String describe() {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < layerSizes.length; i++) {
            sb.append(i == 0 ? "" : "→").append(layerSizes[i]);
        }
        final long kinds = Arrays.stream(activations).distinct().count(); // one name, or one per hidden layer if mixed
        for (int i = 0; i < (kinds > 1 ? activations.length : kinds); i++) {
            sb.append(i == 0 ? " " : "/").append(activations[i].name().toLowerCase(java.util.Locale.ROOT));
        }
        sb.append(", batch ").append(batchSize).append(dataScale == null
                ? String.format(java.util.Locale.ROOT, ", memory %,.0f", effectiveMemory())
                : String.format(java.util.Locale.ROOT, ", offline on %,.0f records", dataScale));
        if (hiddenKappa != 1.0) {
            sb.append(", kappa ").append(java.math.BigDecimal.valueOf(hiddenKappa).stripTrailingZeros().toPlainString());
        }
        return sb.toString();
    }

    /**
     * Builder with the defaults of docs/method.md §4 and §10 (the prototype's settings that worked across
     * data sets): β = β_G = 0.9, B = 32, η = 1, λ = 1, softmax γ = 1, hidden κ = 1, ReLU, S = 10.
     */
    public static final class Builder {
        private final Task task;
        private final int[] layerSizes;
        private Activation[] activations;
        private int batchSize = 32;
        private double beta = 0.9;
        private double betaG = Double.NaN;
        private double eta = 1.0;
        private double priorPrecision = 1.0;
        private double outputGamma = 1.0;
        private double hiddenKappa = 1.0;
        private double hiddenGammaMin = 1e-4;
        private Double dataScale;
        private Double fixedNoiseVariance;
        private double noiseVarianceFloor = 1e-4;
        private int monteCarloSamples = 10;
        private boolean standardizeInputs = true;
        private boolean standardizeTargets = true;
        private double initScale = 1.0;
        private long seed = 0L;

        private Builder(final Task task, final int[] layerSizes) {
            this.task = Objects.requireNonNull(task, "task");
            this.layerSizes = Objects.requireNonNull(layerSizes, "layerSizes").clone();
        }

        private Activation[] resolvedActivations() {
            if (activations != null) {
                return activations.clone();
            }
            final Activation[] all = new Activation[Math.max(0, layerSizes.length - 2)];
            Arrays.fill(all, Activation.RELU);
            return all;
        }

        /** The same activation on every hidden layer (default ReLU). */
        public Builder activation(final Activation activation) {
            final Activation[] all = new Activation[Math.max(0, layerSizes.length - 2)];
            Arrays.fill(all, Objects.requireNonNull(activation, "activation"));
            this.activations = all;
            return this;
        }

        /** One activation per hidden layer. */
        public Builder activations(final Activation... perHiddenLayer) {
            this.activations = perHiddenLayer.clone();
            return this;
        }

        /** Sets the nominal mini-batch size B (≥ 1; default 32). */
        public Builder batchSize(final int b) { this.batchSize = b; return this; }
        /** EMA decay per nominal batch; also sets β_G unless set explicitly. */
        public Builder beta(final double v) { this.beta = v; return this; }
        /** Sets β_G in (0, 1), the EMA decay of S_G (default: β). */
        public Builder betaG(final double v) { this.betaG = v; return this; }
        /** Sets the pseudo-target step η &gt; 0 (default 1). */
        public Builder eta(final double v) { this.eta = v; return this; }
        /** Sets the prior precision λ &gt; 0 of every layer (default 1). */
        public Builder priorPrecision(final double v) { this.priorPrecision = v; return this; }
        /** Sets the fixed floor γ &gt; 0 of a softmax output layer (default 1). */
        public Builder outputGamma(final double v) { this.outputGamma = v; return this; }
        /** Sets κ ≥ 0 of the hidden layers' relative floor γ = max(γ_min, κ tr(Ḡ)/q) (default 1). */
        public Builder hiddenKappa(final double v) { this.hiddenKappa = v; return this; }
        /** Sets γ_min &gt; 0, the lower bound of the hidden floor (default 1e-4). */
        public Builder hiddenGammaMin(final double v) { this.hiddenGammaMin = v; return this; }
        /** Offline training on N records. */
        public Builder dataScale(final double n) { this.dataScale = n; return this; }
        /** Streaming (the default): N = N_eff = B/(1 − β). */
        public Builder streaming() { this.dataScale = null; return this; }

        /**
         * Streaming with a memory of about {@code records} records: β = 1 − B/N_eff (call after
         * {@link #batchSize(int)}).
         */
        public Builder effectiveMemory(final double records) {
            if (!(records > batchSize)) {
                throw new IllegalArgumentException("effective memory must exceed the batch size " + batchSize
                        + ", got " + records);
            }
            this.dataScale = null;
            this.beta = 1.0 - batchSize / records;
            return this;
        }

        /** Fixes σ²_y (standardised units) instead of learning it; null (the default) learns it. */
        public Builder fixedNoiseVariance(final Double v) { this.fixedNoiseVariance = v; return this; }
        /** Sets the lower bound &gt; 0 of the learned σ²_y in standardised units (default 1e-4). */
        public Builder noiseVarianceFloor(final double v) { this.noiseVarianceFloor = v; return this; }
        /** Sets S ≥ 1, the samples or logit draws per prediction (default 10). */
        public Builder monteCarloSamples(final int s) { this.monteCarloSamples = s; return this; }
        /** Whether inputs are standardised online (default true). */
        public Builder standardizeInputs(final boolean v) { this.standardizeInputs = v; return this; }
        /** Whether regression targets are standardised online (default true). */
        public Builder standardizeTargets(final boolean v) { this.standardizeTargets = v; return this; }
        /** Sets the scale s &gt; 0 of the initial means (default 1). */
        public Builder initScale(final double v) { this.initScale = v; return this; }
        /** Sets the seed (default 0). */
        public Builder seed(final long v) { this.seed = v; return this; }

        /** Validates and builds; throws {@link IllegalArgumentException} naming the offending knob. */
        public BaliConfig build() {
            return new BaliConfig(this);
        }
    }
}
