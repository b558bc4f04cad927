package io.balistreams.bali;

import java.util.List;
import java.util.Map;

/**
 * The serving form of a {@link BaliMixture} at one version (docs/method.md §11): each expert's
 * {@link ServingPosterior} and the weights, combined exactly as the mixture combines its experts, so that its
 * predictions equal the mixture's bit for bit at the version it was taken. Taken by
 * {@link BaliMixture#servingPosterior()}, stored by {@link ServingPosteriorCodec}.
 *
 * <p>Immutable and thread-safe; the experts share one architecture, so one {@link PredictionScratch} serves them
 * all in turn.
 */
public final class MixturePosterior implements ServingModel {
    private final BaliConfig config;
    private final List<BaliMixture.Expert> experts;
    private final double share;
    private final ServingPosterior[] posteriors;
    private final double[] weights;
    private final long version;
    private final Map<String, Double> memoryWeights;

    /** Takes ownership of the arrays (callers pass fresh ones). */
    MixturePosterior(final BaliConfig config, final List<BaliMixture.Expert> experts, final double share,
                     final ServingPosterior[] posteriors, final double[] weights, final long version) {
        if (posteriors.length != experts.size() || weights.length != experts.size()) {
            throw new IllegalArgumentException("a mixture of " + experts.size() + " experts has " + posteriors.length
                    + " posteriors and " + weights.length + " weights");
        }
        for (int k = 0; k < posteriors.length; k++) {
            if (posteriors[k].config().task() != config.task()
                    || !java.util.Arrays.equals(posteriors[k].config().layerSizes(), config.layerSizes())) {
                throw new IllegalArgumentException("expert " + experts.get(k) + " has the architecture "
                        + posteriors[k].config().describe() + ", the mixture " + config.describe());
            }
        }
        this.config = config;
        this.experts = List.copyOf(experts);
        this.share = share;
        this.posteriors = posteriors;
        this.weights = weights;
        this.version = version;
        this.memoryWeights = new MemoryWeights(BaliMixture.namesOf(this.experts), weights);
    }

    @Override
    public long version() {
        return version;
    }

    @Override
    public BaliConfig config() {
        return config;
    }

    public List<BaliMixture.Expert> experts() {
        return experts;
    }

    public double share() {
        return share;
    }

    /** Expert k's serving posterior. */
    public ServingPosterior expert(final int k) {
        return posteriors[k];
    }

    /** A copy of the weights. */
    public double[] weights() {
        return weights.clone();
    }

    /** The weights keyed by expert (MEMORYxBATCH), in the experts' order (one unmodifiable map, made once). */
    @Override
    public Map<String, Double> memoryWeights() {
        return memoryWeights;
    }

    @Override
    public PredictionScratch newScratch() {
        return posteriors[0].newScratch();
    }

    @Override
    public RegressionPrediction predict(final double[] features, final PredictionScratch scratch) {
        final RegressionPrediction[] q = new RegressionPrediction[posteriors.length];
        for (int k = 0; k < q.length; k++) {
            q[k] = posteriors[k].predict(features, scratch);
        }
        return BaliMixture.combine(q, weights);
    }

    @Override
    public ClassificationPrediction classify(final double[] features, final PredictionScratch scratch) {
        final ClassificationPrediction[] q = new ClassificationPrediction[posteriors.length];
        for (int k = 0; k < q.length; k++) {
            q[k] = posteriors[k].classify(features, scratch);
        }
        return BaliMixture.combine(q, weights);
    }
}
