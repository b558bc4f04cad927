package io.balistreams.bali;

/**
 * Predictive distribution of a classifier for one input (docs/method.md §5).
 *
 * @param probabilities      p̄ = avg_s softmax(f_s), length K
 * @param predictedClass     argmax p̄
 * @param entropy            H[p̄] (nats): total uncertainty
 * @param mutualInformation  H[p̄] − avg_s H[softmax f_s] (nats): epistemic uncertainty
 * @param leverage           āᵀ Λ_L⁻¹ ā of the last layer's features, an out-of-distribution score
 */
public record ClassificationPrediction(double[] probabilities, int predictedClass, double entropy,
                                       double mutualInformation, double leverage) {

    /**
     * The floor under a probability before its logarithm: a confident mistake costs at most
     * −log 1e-300 ≈ 690.8 nats instead of infinity (log-likelihoods, NLL metrics, the NLL drift loss).
     */
    public static final double PROBABILITY_FLOOR = 1e-300;


    /** 1 − max p̄. */
    public double oneMinusMaxProbability() {
        return 1.0 - probabilities[predictedClass];
    }

    /** log p̄_y, floored at log(1e-300) so that a confident mistake stays finite. */
    public double logLikelihood(final int label) {
        return Math.log(Math.max(probabilities[label], PROBABILITY_FLOOR));
    }
}
