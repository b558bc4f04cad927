package io.balistreams.monitor;

import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.RegressionPrediction;

/**
 * The out-of-distribution score of an event, which the monitor compares with its threshold (a high
 * quantile of recent training scores) and whose flag rate its feature-drift detector watches.
 */
public enum OodScore {
    /** The last-layer leverage āᵀΛ⁻¹ā of the input (docs/method.md §5). */
    LEVERAGE,
    /** The predictive uncertainty: the epistemic variance (regression) or the entropy (classification). */
    UNCERTAINTY;

    /** The score of a regression prediction. */
    public double of(final RegressionPrediction p) {
        return this == LEVERAGE ? p.leverage() : p.epistemicVariance();
    }

    /** The score of a classifier's prediction. */
    public double of(final ClassificationPrediction p) {
        return this == LEVERAGE ? p.leverage() : p.entropy();
    }
}
