package io.balistreams.bali;

import java.util.Arrays;

/**
 * A one-dimensional mixture of Gaussians Σ_k w_k N(μ_k, v_k): the regression predictive of a mixture over
 * memories, one component per expert (docs/method.md §11). Its density gives the log-likelihood of a target
 * and its quantiles the central 95% interval. The Gaussian of the same mean and variance has the wrong shape
 * whenever the experts differ: experts of different variances make a sharper peak and heavier tails, experts of
 * different means a flatter (even two-humped) middle.
 *
 * <p>Immutable; the arrays are copied in and never handed out.
 *
 * @param weights   w_k ≥ 0, summing to 1
 * @param means     μ_k
 * @param variances v_k &gt; 0 (each expert's total predictive variance)
 */
public record GaussianMixture(double[] weights, double[] means, double[] variances) {

    /** Beyond this many standard deviations Φ is 0 or 1 to double precision (Φ(−8.3) ≈ 5·10⁻¹⁷). */
    private static final double TAIL = 8.3;
    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

    public GaussianMixture {
        if (weights.length == 0 || weights.length != means.length || weights.length != variances.length) {
            throw new IllegalArgumentException("need as many weights, means and variances, at least one, got "
                    + weights.length + ", " + means.length + ", " + variances.length);
        }
        for (int k = 0; k < weights.length; k++) {
            if (!(weights[k] >= 0) || !Double.isFinite(means[k]) || !(variances[k] > 0)
                    || variances[k] == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("component " + k + ": weight " + weights[k] + ", mean " + means[k]
                        + ", variance " + variances[k]);
            }
        }
        weights = weights.clone();
        means = means.clone();
        variances = variances.clone();
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    @Override
    public double[] means() {
        return means.clone();
    }

    @Override
    public double[] variances() {
        return variances.clone();
    }

    public int size() {
        return weights.length;
    }

    /** log Σ_k w_k N(y; μ_k, v_k), summed in log space so that a far target does not underflow to −∞. */
    public double logDensity(final double y) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < weights.length; k++) {
            max = Math.max(max, logComponent(k, y));
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (int k = 0; k < weights.length; k++) {
            sum += Math.exp(logComponent(k, y) - max);
        }
        return max + Math.log(sum);
    }

    private double logComponent(final int k, final double y) {
        if (weights[k] == 0) {
            return Double.NEGATIVE_INFINITY;
        }
        final double r = y - means[k];
        return Math.log(weights[k]) - LOG_SQRT_2PI - 0.5 * Math.log(variances[k]) - 0.5 * r * r / variances[k];
    }

    /** The density Σ_k w_k N(y; μ_k, v_k). */
    public double density(final double y) {
        double sum = 0;
        for (int k = 0; k < weights.length; k++) {
            final double s = Math.sqrt(variances[k]);
            final double z = (y - means[k]) / s;
            sum += weights[k] * Math.exp(-0.5 * z * z - LOG_SQRT_2PI) / s;
        }
        return sum;
    }

    /** The distribution function F(y) = Σ_k w_k Φ((y − μ_k)/√v_k). */
    public double cdf(final double y) {
        double sum = 0;
        for (int k = 0; k < weights.length; k++) {
            sum += weights[k] * standardNormalCdf((y - means[k]) / Math.sqrt(variances[k]));
        }
        return Math.min(1.0, sum);
    }

    /** Whether y lies in the central 95% interval [F⁻¹(0.025), F⁻¹(0.975)], decided on F(y) itself. */
    public boolean covers95(final double y) {
        final double f = cdf(y);
        return f >= 0.025 && f <= 0.975;
    }

    /**
     * F⁻¹(p) for 0 &lt; p &lt; 1: Newton's method on F from {@code start}, kept inside a bracket that every step
     * narrows (a step that would leave it bisects instead), to |F(t) − p| ≤ 10⁻¹³ or a bracket of relative width
     * 10⁻¹⁵. F is continuous and strictly increasing, so the root is unique; a good start (the moment-matched
     * Gaussian's quantile) needs 3–6 steps.
     */
    public double quantile(final double p, final double start) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("p must be in (0, 1), got " + p);
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < weights.length; k++) {
            final double s = Math.sqrt(variances[k]);
            lo = Math.min(lo, means[k] - TAIL * s);
            hi = Math.max(hi, means[k] + TAIL * s);
        }
        double t = start >= lo && start <= hi ? start : 0.5 * (lo + hi);
        for (int iteration = 0; iteration < 200; iteration++) {
            final double gap = cdf(t) - p;
            if (Math.abs(gap) <= 1e-13) {
                return t;
            }
            if (gap < 0) {
                lo = t;
            } else {
                hi = t;
            }
            if (hi - lo <= 1e-15 * Math.max(1.0, Math.abs(t))) {
                return t;
            }
            final double f = density(t);
            final double newton = f > 0 ? t - gap / f : Double.NaN;
            t = newton > lo && newton < hi ? newton : 0.5 * (lo + hi);
        }
        return t;
    }

    /**
     * Φ(z), the standard normal distribution function, to about 10⁻¹⁵ absolute: Marsaglia's series
     * Φ(z) = ½ + φ(z)(z + z³/3 + z⁵/(3·5) + …) (J. Stat. Softw. 11(4), 2004) for |z| ≤ 8.3, 0 or 1 beyond (the
     * absolute error, not the relative one, is what an interval needs).
     */
    static double standardNormalCdf(final double z) {
        if (z < -TAIL) {
            return 0.0;
        }
        if (z > TAIL) {
            return 1.0;
        }
        final double q = z * z;
        double sum = z;
        double term = z;
        double previous = 0;
        for (int i = 3; sum != previous; i += 2) {
            previous = sum;
            term *= q / i;
            sum += term;
        }
        return Math.max(0.0, Math.min(1.0, 0.5 + sum * Math.exp(-0.5 * q - LOG_SQRT_2PI)));
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof GaussianMixture m && Arrays.equals(weights, m.weights) && Arrays.equals(means, m.means)
                && Arrays.equals(variances, m.variances);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(weights) + Arrays.hashCode(means)) + Arrays.hashCode(variances);
    }

    @Override
    public String toString() {
        return "GaussianMixture[weights=" + Arrays.toString(weights) + ", means=" + Arrays.toString(means)
                + ", variances=" + Arrays.toString(variances) + "]";
    }
}
