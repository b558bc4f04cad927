package io.balistreams.monitor;

import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.RegressionPrediction;

/**
 * The per-event loss a drift detector watches, computed from the prediction made before the label was
 * learned (test-then-train). The service ({@code bali.drift.loss}) and {@code eval drift} use the same
 * definitions.
 */
public enum PrequentialLoss {
    /** Classification: the 0/1 error. Regression: the standardised squared residual (y − μ)²/σ²_total. */
    ERROR,
    /** The negative log-likelihood of the label under the predictive: −log p̄_y, or −log N(y; μ, σ²_total). */
    NLL;

    /** The loss of a classifier's prediction {@code p} for the true class {@code label}. */
    public double of(final ClassificationPrediction p, final int label) {
        return this == NLL ? -p.logLikelihood(label) : (p.predictedClass() == label ? 0 : 1);
    }

    /** The loss of a regression prediction {@code p} for the target {@code y}. */
    public double of(final RegressionPrediction p, final double y) {
        if (this == NLL) {
            return -p.logLikelihood(y);
        }
        final double residual = y - p.mean();
        return residual * residual / p.totalVariance();
    }
}
