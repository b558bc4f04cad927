package io.balistreams.bali;

/**
 * What a scorer needs of a model at one version: its closed-form predictive (docs/method.md §5) and nothing that
 * only learning needs. A single model's is a {@link ServingPosterior}, a mixture over memories' a
 * {@link MixturePosterior} (§11). Implementations are immutable and thread-safe; a {@link PredictionScratch}
 * from {@link #newScratch()} is used by one thread at a time.
 */
public interface ServingModel {

    /** The model version (accepted updates; summed over a mixture's experts) this was taken at. */
    long version();

    /** The configuration of the model (a mixture's own, {@link BaliMixture#config()}). */
    BaliConfig config();

    /** A scratch for this model's predictions, to be used by one thread at a time. */
    PredictionScratch newScratch();

    /** Closed-form regression predictive for one raw input, with the caller's scratch. */
    RegressionPrediction predict(double[] features, PredictionScratch scratch);

    /** Closed-form classification predictive for one raw input, with the caller's scratch. */
    ClassificationPrediction classify(double[] features, PredictionScratch scratch);

    /** A mixture's weights per expert (MEMORYxBATCH → weight, in the experts' order), or null for one model. */
    default java.util.Map<String, Double> memoryWeights() {
        return null;
    }
}
