package io.balistreams.monitor;

/**
 * One-sided Page–Hinkley test for an <em>increase</em> of the mean of a stream (a loss going up).
 *
 * <p><b>Test.</b> With x̄_t the running mean of the values since the last reset (forgetting: weight
 * W_t = α W_{t−1} + 1 and x̄_t = x̄_{t−1} + (x_t − x̄_{t−1}) / W_t, so α is the weight of the past in
 * the mean as in MOA; α = 1 is the plain mean),
 * <pre>
 *   m_T = Σ_{t ≤ T} (x_t − x̄_t − δ),   M_T = min_{0 ≤ t ≤ T} m_t  (m_0 = 0),   PH_T = m_T − M_T ≥ 0.
 * </pre>
 * PH_T is computed by the equivalent, numerically stable recursion PH_T = max(0, PH_{T−1} + x_T − x̄_T − δ)
 * (m_T itself drifts by −δ per value and would grow without bound). δ is the magnitude of change that
 * is tolerated (in units of the values; about half the smallest increase worth detecting); after an
 * increase of the mean by s &gt; δ, PH grows by about s − δ per value, so the detection delay is about
 * λ/(s − δ). A decrease makes the increments negative and is never reported (one-sided).
 *
 * <p><b>Levels.</b> Once at least {@code minInstances} values have been seen since the last reset:
 * DRIFT when PH_T &gt; λ, else WARNING when PH_T &gt; λ_w, else STABLE; before that, STABLE. After a DRIFT
 * the detector restarts (count since reset, weight, mean and PH set to zero), so it learns the new
 * level. {@link #statistic()} is PH_T of the last value (before the reset for a DRIFT);
 * {@link #threshold()} is λ for DRIFT and λ_w otherwise.
 *
 * <p><b>State</b> ({@link #exportState()}): {@code [tag, delta, lambda, warningLambda, alpha,
 * minInstances, count, countSinceReset, weight, mean, ph, statistic, threshold, level, driftCount]}.
 *
 * <p>Not thread-safe.
 */
public final class PageHinkley implements DriftDetector {
    /** Tolerated change δ (MOA / River default). */
    public static final double DEFAULT_DELTA = 0.005;
    /** Drift threshold λ (MOA / River default). */
    public static final double DEFAULT_LAMBDA = 50.0;
    /** Warning threshold λ_w. */
    public static final double DEFAULT_WARNING_LAMBDA = 25.0;
    /** Weight α of the past in the running mean (MOA default 1 − 10⁻⁴). */
    public static final double DEFAULT_ALPHA = 0.9999;
    /** Values after a (re)start before any alarm (MOA / River default). */
    public static final int DEFAULT_MIN_INSTANCES = 30;
    /** Element 0 of {@link #exportState()}. */
    public static final double FORMAT_TAG = 0x9401;

    private static final int LENGTH = 15;

    private final double delta;
    private final double lambda;
    private final double warningLambda;
    private final double alpha;
    private final int minInstances;

    private long count;
    private long sinceReset;
    private double weight;
    private double mean;
    private double ph;

    private double lastStatistic = Double.NaN;
    private double lastThreshold = Double.NaN;
    private DriftLevel lastLevel = DriftLevel.STABLE;
    private long drifts;

    /** Page–Hinkley with the defaults δ = 0.005, λ = 50, λ_w = 25, α = 0.9999, minInstances = 30. */
    public PageHinkley() {
        this(DEFAULT_DELTA, DEFAULT_LAMBDA, DEFAULT_WARNING_LAMBDA, DEFAULT_ALPHA, DEFAULT_MIN_INSTANCES);
    }

    /**
     * @param delta         tolerated change δ, finite and ≥ 0
     * @param lambda        drift threshold λ, finite and &gt; 0
     * @param warningLambda warning threshold λ_w, in (0, λ]
     * @param alpha         weight of the past in the running mean, in (0, 1]
     * @param minInstances  values after a (re)start before any alarm, ≥ 1
     * @throws IllegalArgumentException naming the offending parameter
     */
    public PageHinkley(final double delta, final double lambda, final double warningLambda, final double alpha,
                       final int minInstances) {
        if (!(delta >= 0.0) || Double.isInfinite(delta)) {
            throw new IllegalArgumentException("delta must be finite and >= 0, got " + delta);
        }
        if (!(lambda > 0.0) || Double.isInfinite(lambda)) {
            throw new IllegalArgumentException("lambda must be finite and > 0, got " + lambda);
        }
        if (!(warningLambda > 0.0 && warningLambda <= lambda)) {
            throw new IllegalArgumentException("warningLambda must be in (0, lambda] = (0, " + lambda + "], got "
                    + warningLambda);
        }
        if (!(alpha > 0.0 && alpha <= 1.0)) {
            throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
        }
        if (minInstances < 1) {
            throw new IllegalArgumentException("minInstances must be >= 1, got " + minInstances);
        }
        this.delta = delta;
        this.lambda = lambda;
        this.warningLambda = warningLambda;
        this.alpha = alpha;
        this.minInstances = minInstances;
    }

    public double delta() { return delta; }
    public double lambda() { return lambda; }
    public double warningLambda() { return warningLambda; }
    public double alpha() { return alpha; }
    public int minInstances() { return minInstances; }

    /** Running (forgetting) mean x̄ since the last reset; NaN right after a reset. */
    public double mean() { return sinceReset == 0 ? Double.NaN : mean; }

    /** Values seen since the last reset (construction or DRIFT). */
    public long countSinceReset() { return sinceReset; }

    @Override public DriftLevel level() { return lastLevel; }
    @Override public double statistic() { return lastStatistic; }
    @Override public double threshold() { return lastThreshold; }
    @Override public long count() { return count; }
    @Override public long driftCount() { return drifts; }
    @Override public String name() { return "PAGE_HINKLEY"; }

    @Override
    public DriftLevel add(final double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("value must be finite, got " + value);
        }
        count++;
        sinceReset++;
        weight = alpha * weight + 1.0;
        mean += (value - mean) / weight;
        ph = Math.max(0.0, ph + (value - mean - delta));
        lastStatistic = ph;
        if (sinceReset >= minInstances && ph > lambda) {
            lastThreshold = lambda;
            lastLevel = DriftLevel.DRIFT;
            drifts++;
            sinceReset = 0;
            weight = 0.0;
            mean = 0.0;
            ph = 0.0;
        } else {
            lastThreshold = warningLambda;
            lastLevel = sinceReset >= minInstances && ph > warningLambda ? DriftLevel.WARNING : DriftLevel.STABLE;
        }
        return lastLevel;
    }

    @Override
    public double[] exportState() {
        return new double[] {FORMAT_TAG, delta, lambda, warningLambda, alpha, minInstances, count, sinceReset,
            weight, mean, ph, lastStatistic, lastThreshold, lastLevel.ordinal(), drifts};
    }

    /**
     * Rebuilds a detector from {@link #exportState()}; it continues bit-identically.
     *
     * @throws IllegalArgumentException if the array is not a consistent Page–Hinkley state
     */
    public static PageHinkley restore(final double[] state) {
        if (state == null || state.length != LENGTH) {
            throw new IllegalArgumentException("state: a Page-Hinkley state has " + LENGTH + " elements");
        }
        if (state[0] != FORMAT_TAG) {
            throw new IllegalArgumentException("state: not a Page-Hinkley state (format tag " + state[0] + ")");
        }
        final PageHinkley p = new PageHinkley(state[1], state[2], state[3], state[4],
                StateChecks.toInt("minInstances", state[5], 1, Integer.MAX_VALUE));
        p.count = StateChecks.toLong("count", state[6], 0);
        p.sinceReset = StateChecks.toLong("countSinceReset", state[7], 0);
        if (p.sinceReset > p.count) {
            throw new IllegalArgumentException("state: countSinceReset " + p.sinceReset + " exceeds count " + p.count);
        }
        p.weight = StateChecks.finite("weight", state[8]);
        p.mean = StateChecks.finite("mean", state[9]);
        p.ph = StateChecks.finite("ph", state[10]);
        if (p.weight < 0.0 || p.ph < 0.0) {
            throw new IllegalArgumentException("state: weight and ph must be >= 0, got " + p.weight + ", " + p.ph);
        }
        p.lastStatistic = state[11];
        p.lastThreshold = state[12];
        p.lastLevel = DriftLevel.values()[StateChecks.toInt("level", state[13], 0, DriftLevel.values().length - 1)];
        p.drifts = StateChecks.toLong("driftCount", state[14], 0);
        return p;
    }

    @Override
    public String toString() {
        return "PageHinkley[delta=" + delta + ", lambda=" + lambda + ", warningLambda=" + warningLambda + ", alpha="
                + alpha + ", minInstances=" + minInstances + ", count=" + count + ", ph=" + ph + ", level="
                + lastLevel + "]";
    }
}
