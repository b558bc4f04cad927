package io.balistreams.bali;

/**
 * Predictive distribution of a regression model for one input, in the target's original units
 * (docs/method.md §5).
 *
 * @param mean              predictive mean f̄
 * @param aleatoricVariance σ²_y, the learned (or fixed) observation noise
 * @param epistemicVariance weight uncertainty: (āᵀΛ⁻¹ā) σ²_y in closed form, Var_s f_s by Monte Carlo
 * @param leverage          āᵀ Λ_L⁻¹ ā of the last layer's features (standardised units), an
 *                          out-of-distribution score
 * @param sampleMeans       the S Monte Carlo means f_s (original units), or null in closed form
 * @param mixture           for a mixture over memories (§11), its experts' Gaussians weighted by the mixture's
 *                          weights: the predictive itself, of which {@code mean} and the variances are the
 *                          moments; null for one model
 */
public record RegressionPrediction(double mean, double aleatoricVariance, double epistemicVariance, double leverage,
                                   double[] sampleMeans, GaussianMixture mixture) {

    /** The predictive of one model (no mixture). */
    public RegressionPrediction(final double mean, final double aleatoricVariance, final double epistemicVariance,
                                final double leverage, final double[] sampleMeans) {
        this(mean, aleatoricVariance, epistemicVariance, leverage, sampleMeans, null);
    }

    /** z₀.₉₇₅ = Φ⁻¹(0.975), the half-width of a central 95% Gaussian interval in standard deviations. */
    public static final double Z95 = 1.959963984540054;

    /** Total predictive variance: aleatoric + epistemic. */
    public double totalVariance() {
        return aleatoricVariance + epistemicVariance;
    }

    /** Predictive standard deviation √(aleatoric + epistemic), original target units (docs/method.md §5). */
    public double standardDeviation() {
        return Math.sqrt(totalVariance());
    }

    /**
     * Lower end of the central 95% predictive interval: f̄ − z₀.₉₇₅ σ (Gaussian, total variance); for a mixture,
     * its own 2.5% quantile.
     */
    public double lower95() {
        final double gaussian = mean - Z95 * standardDeviation();
        return mixture == null ? gaussian : mixture.quantile(0.025, gaussian);
    }

    /** Upper end of the central 95% predictive interval: f̄ + z₀.₉₇₅ σ; for a mixture, its 97.5% quantile. */
    public double upper95() {
        final double gaussian = mean + Z95 * standardDeviation();
        return mixture == null ? gaussian : mixture.quantile(0.975, gaussian);
    }

    /** Whether {@code y} lies in the central 95% interval [{@link #lower95()}, {@link #upper95()}]. */
    public boolean covers95(final double y) {
        if (mixture != null) {
            return mixture.covers95(y);
        }
        return Math.abs(y - mean) <= Z95 * standardDeviation();
    }

    /**
     * Log predictive density of {@code y}: N(y; f̄, total) in closed form; log-mean-exp_s N(y; f_s, σ²_y)
     * for Monte Carlo (§5); log Σ_k w_k N(y; μ_k, v_k) for a mixture (§11).
     */
    public double logLikelihood(final double y) {
        if (mixture != null) {
            return mixture.logDensity(y);
        }
        if (sampleMeans == null) {
            return gaussianLogDensity(y, mean, totalVariance());
        }
        double max = Double.NEGATIVE_INFINITY;
        final double[] logs = new double[sampleMeans.length];
        for (int s = 0; s < sampleMeans.length; s++) {
            logs[s] = gaussianLogDensity(y, sampleMeans[s], aleatoricVariance);
            max = Math.max(max, logs[s]);
        }
        double sum = 0;
        for (final double l : logs) {
            sum += Math.exp(l - max);
        }
        return max + Math.log(sum / sampleMeans.length);
    }

    static double gaussianLogDensity(final double y, final double mean, final double variance) {
        final double r = y - mean;
        return -0.5 * (Math.log(2 * Math.PI * variance) + r * r / variance);
    }
}
