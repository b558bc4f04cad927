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
 */
public record RegressionPrediction(double mean, double aleatoricVariance, double epistemicVariance, double leverage,
                                   double[] sampleMeans) {

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

    /** Lower end of the central 95% predictive interval f̄ − z₀.₉₇₅ σ (Gaussian, total variance). */
    public double lower95() {
        return mean - Z95 * standardDeviation();
    }

    /** Upper end of the central 95% predictive interval f̄ + z₀.₉₇₅ σ. */
    public double upper95() {
        return mean + Z95 * standardDeviation();
    }

    /**
     * Log predictive density of {@code y}: N(y; f̄, total) in closed form; log-mean-exp_s N(y; f_s, σ²_y)
     * for Monte Carlo (§5).
     */
    public double logLikelihood(final double y) {
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
