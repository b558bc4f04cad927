package io.balistreams.bali;

/**
 * Online standardisation x ↦ (x − μ)/s per column, with exponentially weighted mean and variance that
 * forget at the per-record factor ρ (docs/method.md §4: the posterior's own rate, ρ = β^{1/B}; ρ = 1 gives
 * plain running averages). Weighted incremental form (West 1979):
 * <pre>
 *   W ← ρ W + 1,   δ = x − μ,   μ ← μ + δ / W,   S ← ρ S + δ (x − μ_new),   var = S / W.
 * </pre>
 * A column whose variance is still (numerically) zero is only centred (s = 1), so a constant feature
 * never divides by zero.
 *
 * <p>Not thread-safe.
 */
final class Standardizer {
    /** Below this variance a column is treated as constant. */
    static final double MIN_VARIANCE = 1e-12;

    private final int dimension;
    private final double forgetting;
    private final double[] mean;
    private final double[] variance;
    /** 1/s_j, kept in step with {@link #variance} (the per-record hot path multiplies by it). */
    private final double[] inverseScale;
    private double weight;
    private long count;

    Standardizer(final int dimension, final double forgetting) {
        this.dimension = dimension;
        this.forgetting = forgetting;
        this.mean = new double[dimension];
        this.variance = new double[dimension];
        this.inverseScale = new double[dimension];
        java.util.Arrays.fill(inverseScale, 1.0);
    }

    /**
     * A standardiser frozen at given moments, for scoring only ({@link ServingPosterior}): it transforms
     * exactly as a learning standardiser with the same means and variances (same 1/s_j), and is never
     * fed records. Weight and count are 0, the forgetting factor 1.
     */
    static Standardizer ofMoments(final double[] mean, final double[] variance) {
        final Standardizer s = new Standardizer(mean.length, 1.0);
        s.restore(0.0, 0L, mean, variance);
        return s;
    }

    int dimension() { return dimension; }
    double weight() { return weight; }
    long count() { return count; }
    double[] mean() { return mean; }
    double[] variance() { return variance; }

    void restore(final double weight, final long count, final double[] mean, final double[] variance) {
        if (mean.length != dimension || variance.length != dimension) {
            throw new IllegalArgumentException("standardiser dimension " + mean.length + "/" + variance.length
                    + ", expected " + dimension);
        }
        this.weight = weight;
        this.count = count;
        System.arraycopy(mean, 0, this.mean, 0, dimension);
        System.arraycopy(variance, 0, this.variance, 0, dimension);
        for (int j = 0; j < dimension; j++) {
            inverseScale[j] = 1.0 / scale(j);
        }
    }

    void setTo(final Standardizer o) {
        restore(o.weight, o.count, o.mean, o.variance);
    }

    /** Adds one record (the first {@code dimension} entries of {@code x}). */
    void observe(final double[] x) {
        final double previous = weight;
        weight = forgetting * weight + 1.0;
        count++;
        for (int j = 0; j < dimension; j++) {
            final double delta = x[j] - mean[j];
            mean[j] += delta / weight;
            final double s = forgetting * variance[j] * previous + delta * (x[j] - mean[j]);
            variance[j] = Math.max(0.0, s / weight);
            inverseScale[j] = 1.0 / scale(j);
        }
    }

    /** Adds one scalar record (dimension 1). */
    void observe(final double x) {
        final double previous = weight;
        weight = forgetting * weight + 1.0;
        count++;
        final double delta = x - mean[0];
        mean[0] += delta / weight;
        variance[0] = Math.max(0.0, (forgetting * variance[0] * previous + delta * (x - mean[0])) / weight);
        inverseScale[0] = 1.0 / scale(0);
    }

    /** Scale s_j of column j: √var_j, or 1 for a constant column. */
    double scale(final int j) {
        final double v = variance[j];
        return v > MIN_VARIANCE ? Math.sqrt(v) : 1.0;
    }

    /** out[j] = (x[j] − μ_j)/s_j for j &lt; dimension. */
    void transform(final double[] x, final double[] out) {
        transform(x, out, 0);
    }

    /** out[offset + j] = (x[j] − μ_j)/s_j for j &lt; dimension. */
    void transform(final double[] x, final double[] out, final int offset) {
        for (int j = 0; j < dimension; j++) {
            out[offset + j] = (x[j] - mean[j]) * inverseScale[j];
        }
    }

    double transform(final double x) {
        return (x - mean[0]) * inverseScale[0];
    }

    double inverse(final double standardised) {
        return standardised * scale(0) + mean[0];
    }
}
