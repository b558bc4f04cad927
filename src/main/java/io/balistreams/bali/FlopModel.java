package io.balistreams.bali;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The floating-point operations of one BALI update and of one closed-form prediction, counted from what the
 * code does, kernel by kernel (docs/method.md §2–§5), for any widths, batch size b, activation and task. It is
 * the denominator of the engine's figure of merit: achieved GFLOP/s = (flops per update × updates per second)
 * against the machine's measured peak (the roofline benchmark in {@code src/jmh}).
 *
 * <p>Conventions. One flop is one double-precision +, −, ×, ÷, √, exp or log (a transcendental function
 * counts once, though it costs tens of cycles: the figure of merit then understates the work, never
 * overstates it). Comparisons, max, sign changes, copies, transposes and index arithmetic are free. Scalar
 * bookkeeping done once per update (β, the bias weights, the noise and logit-scale scalars: a few dozen
 * operations) is not counted. Kernels are counted as executed on dense data: {@link Kernels#dot} of n terms
 * is 2n + 3 (four accumulators and their sum), the Cholesky factorisation is counted for its first attempt
 * (no jitter), and the leverage's inverse factor W = L⁻¹ and the logit offsets δ_s, which the model derives
 * once per version, are counted in the update that makes the version. Random-number generation is free.
 *
 * <p>The update is that of a streaming model after its first step (the noise variance per leverage of a
 * regression, the logit-scale step of a classifier; docs/method.md §3, §5); the prediction is the
 * closed form after the first update (the output layer's mean is used). With layer l mapping p_l = d_l + 1
 * augmented inputs to q_l = d_{l+1} outputs, the terms that dominate are, per layer: the forward and backward
 * products 2 b p q and 2 b q q_{l+1}; the sums Σ āāᵀ (upper triangle), Σ z̃āᵀ and Σ ggᵀ, about b p², 2 b q p
 * and b q²; the factorisations p³/3 and q³/3; the mean solve 2 q p²; the pseudo-target solve 2 b q².
 *
 * <p>Immutable.
 */
public final class FlopModel {
    /** Phases of an update, in the order of {@link #update(int)}. */
    public static final String STANDARDISE = "standardise";
    public static final String FORWARD = "forward";
    public static final String OUTPUT = "output gradient and loss";
    public static final String CALIBRATION = "noise or logit scale";
    public static final String BACKWARD = "backward";
    public static final String SUMS = "natural-parameter sums";
    public static final String FACTORISATIONS = "factorisations";
    public static final String MEAN_SOLVES = "mean solves";
    public static final String PSEUDO_TARGETS = "pseudo-targets";
    public static final String PER_VERSION = "per version (W, logit offsets)";

    /** Phases of a prediction, in the order of {@link #score()}. */
    public static final String HIDDEN = "standardise and hidden layers";
    public static final String OUTPUT_LAYER = "output layer";
    public static final String LEVERAGE = "leverage";
    public static final String PREDICTIVE = "predictive";

    private final int[] widths;
    private final Task task;
    private final Activation[] activations;
    private final int samples;
    private final boolean standardizeInputs;
    private final boolean standardizeTargets;

    private FlopModel(final BaliConfig config) {
        this.widths = config.layerSizes();
        this.task = config.task();
        this.activations = config.activations();
        this.samples = config.monteCarloSamples();
        this.standardizeInputs = config.standardizeInputs();
        this.standardizeTargets = config.standardizeTargets();
    }

    /** The flop model of networks with this configuration. */
    public static FlopModel of(final BaliConfig config) {
        return new FlopModel(config);
    }

    /** Flops of one update from a mini-batch of {@code b} records, by phase (insertion-ordered, unmodifiable). */
    public Map<String, Long> update(final int b) {
        if (b < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + b);
        }
        final int layers = widths.length - 1;
        final int d = widths[0];
        final int pLast = widths[layers - 1] + 1;
        final int k = widths[layers];
        final Map<String, Long> m = new LinkedHashMap<>();

        long standardise = (long) b * observe(d) + (standardizeInputs ? 2L * b * d : 0);
        if (task == Task.REGRESSION) {
            standardise += (long) b * (observeScalar() + (standardizeTargets ? 2 : 0));
        }
        m.put(STANDARDISE, standardise);

        long forward = 0;
        for (int l = 0; l < layers; l++) {
            final int p = widths[l] + 1;
            final int q = widths[l + 1];
            forward += rowInnerProducts(b, q, p);
            if (l < layers - 1) {
                forward += (long) b * q * activationFlops(activations[l]);
            }
        }
        m.put(FORWARD, forward);

        if (task == Task.REGRESSION) {
            // r = z − y; Σ r²; Σ r²/(1 + h); g = r/σ²
            m.put(OUTPUT, (long) b * (1 + 2 + 4 + 1));
            m.put(CALIBRATION, (long) b * quadraticFormWithInverseFactor(pLast));
        } else {
            // softmax, loss += log Z − z_y, g_y −= 1
            m.put(OUTPUT, (long) b * (softmax(k) + 2 + 1));
            // per record: h, √h, per draw (u, θu, softmax, E[u], E[u²], three sums), two ratios
            final long perDraw = 3L * k + softmax(k) + 5L * k + 1 + 3 + 4;
            m.put(CALIBRATION, (long) b * (quadraticFormWithInverseFactor(pLast) + 1 + samples * perDraw + 4));
        }

        long backward = 0;
        for (int l = layers - 1; l >= 1; l--) {
            final int q = widths[l];
            final int qUp = widths[l + 1];
            backward += rowInnerProducts(b, q, qUp) + (long) b * q * derivativeFlops(activations[l - 1]);
        }
        m.put(BACKWARD, backward);

        long sums = 0;
        long factorisations = 0;
        long meanSolves = 0;
        long pseudo = 0;
        for (int l = 0; l < layers; l++) {
            final int p = widths[l] + 1;
            final int q = widths[l + 1];
            final boolean gaussianOutput = task == Task.REGRESSION && l == layers - 1;
            // Σ ā āᵀ (upper, mirrored) and its EMA; Σ z̃ āᵀ and its EMA
            sums += upperInnerProducts(p, b) + 3L * p * (p + 1) / 2 + rowInnerProducts(q, p, b) + 3L * q * p;
            // Λ = λI + S_A/c (scale, diagonal), its Cholesky (mean diagonal, factor)
            factorisations += (long) p * p + p + (p + 1) + cholesky(p);
            // M = (S_C/c) Λ⁻¹
            meanSolves += (long) q * p + solveCholeskyRows(p, q);
            if (gaussianOutput) {
                factorisations += (long) q * q; // Σ = σ²_y I
                pseudo += 2L * b * q;
            } else {
                sums += upperInnerProducts(q, b) + 3L * q * (q + 1) / 2;
                final boolean relativeFloor = l < layers - 1;
                // Σ⁻¹ = S_G/c_G + γ I: scale, trace (relative floor), diagonal, Cholesky
                factorisations += (long) q * q + (relativeFloor ? q : 0) + q + (q + 1) + cholesky(q);
                pseudo += solveCholeskyRows(q, b) + 2L * b * q;
            }
        }
        m.put(SUMS, sums);
        m.put(FACTORISATIONS, factorisations);
        m.put(MEAN_SOLVES, meanSolves);
        m.put(PSEUDO_TARGETS, pseudo);

        long perVersion = invertLower(pLast);
        if (task == Task.CLASSIFICATION) {
            perVersion += (long) samples * k * k; // δ_s = L_Σ ε_s: S back substitutions with the K × K factor
        }
        m.put(PER_VERSION, perVersion);
        return Collections.unmodifiableMap(m);
    }

    /** Total flops of one update from {@code b} records. */
    public long updateTotal(final int b) {
        return sum(update(b));
    }

    /** Flops of one closed-form prediction, by phase (insertion-ordered, unmodifiable). */
    public Map<String, Long> score() {
        final int layers = widths.length - 1;
        final int pLast = widths[layers - 1] + 1;
        final int k = widths[layers];
        final Map<String, Long> m = new LinkedHashMap<>();
        long hidden = standardizeInputs ? 2L * widths[0] : 0;
        for (int l = 0; l < layers - 1; l++) {
            hidden += 2L * widths[l] * widths[l + 1] + (long) widths[l + 1] * activationFlops(activations[l]);
        }
        m.put(HIDDEN, hidden);
        m.put(OUTPUT_LAYER, 2L * (pLast - 1) * k);
        m.put(LEVERAGE, quadraticFormWithInverseFactor(pLast));
        if (task == Task.REGRESSION) {
            // s_y = √var; σ² s²; μ + s z (with its √); h σ² s² (without standardised targets: σ²·1·1 and h σ²)
            m.put(PREDICTIVE, standardizeTargets ? 1L + 2 + 3 + 1 : 2L + 1);
        } else {
            // √h; per draw θ(z + √h δ), softmax with entropy, two sums; the average, H[p̄], the mutual information
            m.put(PREDICTIVE, 1L + samples * (3L * k + softmaxWithEntropy(k) + 1 + k) + k + 3L * k + 2);
        }
        return Collections.unmodifiableMap(m);
    }

    /** Total flops of one closed-form prediction. */
    public long scoreTotal() {
        return sum(score());
    }

    /** Flops per record of the test-then-train loop at batch size b: one prediction plus 1/b of an update. */
    public double perRecord(final int b) {
        return scoreTotal() + (double) updateTotal(b) / b;
    }

    // ---------------------------------------------------------------------------------------------
    // Kernel counts (package-private for the tests)

    /** {@link Kernels#dot} of n terms: n products and n additions into four accumulators, then 3 to combine. */
    static long dot(final long n) {
        return 2 * n + 3;
    }

    /** {@link Kernels#rowInnerProducts} without {@code upper}: n·m entries of 2·len flops. */
    static long rowInnerProducts(final long n, final long m, final long len) {
        return 2 * n * m * len;
    }

    /**
     * {@link Kernels#rowInnerProducts} with {@code upper} (a Gram matrix of n rows of length len): rows are taken in
     * pairs (i, i + 1) from column i on, 2(n − i) entries per pair, then a last odd row; 2·len flops per entry.
     */
    static long upperInnerProducts(final int n, final long len) {
        long entries = 0;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            entries += 2L * (n - i);
        }
        if (i < n) {
            entries += n - i;
        }
        return 2 * len * entries;
    }

    /** {@link Kernels#choleskyLower}: entry (i, j &lt; i) is a dot of j terms, a subtraction and a product; the pivot a dot of i terms, +jitter, −, √ and 1/·. */
    static long cholesky(final int n) {
        long flops = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                flops += dot(j) + 2;
            }
            flops += dot(i) + 4;
        }
        return flops;
    }

    /** {@link Kernels#solveCholeskyRows}: m right-hand sides, two substitutions of n² flops each, and 2n reciprocals. */
    static long solveCholeskyRows(final long n, final long m) {
        return 2 * m * n * n + 2 * n;
    }

    /**
     * {@link Kernels#invertLower}: for each block of eight columns starting at c0, row i ≥ c0 does i − c0 products and
     * subtractions per column, eight products by 1/L[i][i] and that reciprocal; each remaining column c, row i ≥ c,
     * does i − c of each, a reciprocal and a product.
     */
    static long invertLower(final int n) {
        long flops = 0;
        int c = 0;
        for (; c + 7 < n; c += 8) {
            for (long i = c; i < n; i++) {
                flops += 16 * (i - c) + 8 + 1;
            }
        }
        for (; c < n; c++) {
            for (long i = c; i < n; i++) {
                flops += 2 * (i - c) + 2;
            }
        }
        return flops;
    }

    /** {@link Kernels#quadraticFormWithInverseFactor}: per row i, i + 1 products and sums, its square and the sum. */
    static long quadraticFormWithInverseFactor(final int n) {
        long flops = 0;
        for (int i = 0; i < n; i++) {
            flops += 2L * (i + 1) + 2;
        }
        return flops;
    }

    /** {@link Kernels#softmaxInPlace}: per entry a subtraction, exp, sum and division; log and + at the end. */
    static long softmax(final long k) {
        return 4 * k + 2;
    }

    /** {@link Kernels#softmaxWithEntropy}: the softmax's 4 per entry, 3 more for Σ p (z − m); log and − at the end. */
    static long softmaxWithEntropy(final long k) {
        return 7 * k + 2;
    }

    /** {@link Standardizer#observe(double[])}: the weight (2), then per column 11 (mean, variance, 1/√var). */
    static long observe(final long d) {
        return 2 + 11 * d;
    }

    /** {@link Standardizer#observe(double)} of a target. */
    static long observeScalar() {
        return 13;
    }

    /** φ of one element: tanh = 1 − 2/(e^{2z} + 1) is 5 flops; ReLU and identity are free. */
    static long activationFlops(final Activation activation) {
        return activation == Activation.TANH ? 5 : 0;
    }

    /** φ'(z) times the back-propagated value: tanh 1 − a² (2) and the product; ReLU and identity the product. */
    static long derivativeFlops(final Activation activation) {
        return activation == Activation.TANH ? 3 : 1;
    }

    private static long sum(final Map<String, Long> phases) {
        long total = 0;
        for (final long v : phases.values()) {
            total += v;
        }
        return total;
    }
}
