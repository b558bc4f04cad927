package io.balistreams.streams;

import io.balistreams.avro.ClassificationOutput;
import io.balistreams.avro.DriftState;
import io.balistreams.avro.Event;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.RegressionOutput;
import io.balistreams.avro.internal.AwaitingLabel;
import io.balistreams.avro.internal.AwaitingState;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.GaussianMixture;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;

import java.time.Instant;
import java.util.List;

/**
 * The records of a served prediction, shared by the two places that score ({@link LearnerProcessor} and,
 * with distributed scoring, {@link ScorerProcessor}): the {@link Prediction} sent to the user, and the
 * {@link AwaitingLabel} that keeps what a later label must be learned against — the features and the
 * prediction as served, never a re-score.
 */
final class ServedPredictions {
    private ServedPredictions() {
    }

    /** What an unlabelled event must keep to be learned from when its label comes: features and the served prediction. */
    static AwaitingLabel awaitingEntry(final String modelId, final Event event, final ScoredEvent scored,
                                               final Prediction served) {
        final AwaitingLabel.Builder b = AwaitingLabel.newBuilder()
                .setState(AwaitingState.WAITING)
                .setModelId(modelId)
                .setEventTime(scored.eventTime())
                .setPosition(scored.position())
                .setModelVersion(scored.modelVersion())
                .setFeatures(event.getFeatures())
                .setOodScore(scored.oodScore());
        if (scored.isClassification()) {
            final ClassificationPrediction c = scored.classification();
            b.setProbabilities(served.getClassification().getProbabilities()).setPredictedClass(c.predictedClass()).setEntropy(c.entropy())
                    .setMutualInformation(c.mutualInformation()).setLeverage(c.leverage());
        } else {
            final RegressionPrediction r = scored.regression();
            b.setMean(r.mean()).setAleatoricVariance(r.aleatoricVariance()).setEpistemicVariance(r.epistemicVariance())
                    .setLeverage(r.leverage());
            if (r.mixture() != null) {
                b.setMixtureWeights(OnlineLearner.toList(r.mixture().weights()))
                        .setMixtureMeans(OnlineLearner.toList(r.mixture().means()))
                        .setMixtureVariances(OnlineLearner.toList(r.mixture().variances()));
            }
        }
        return b.build();
    }

    /** The scored event as it was served, rebuilt from its waiting entry. */
    static ScoredEvent servedEvent(final AwaitingLabel entry, final boolean classifier) {
        final double[] features = OnlineLearner.toArray(entry.getFeatures());
        return classifier
                ? new ScoredEvent(entry.getPosition(), entry.getEventTime(), entry.getModelVersion(), features, null,
                        new ClassificationPrediction(OnlineLearner.toArray(entry.getProbabilities()),
                                entry.getPredictedClass(), entry.getEntropy(), entry.getMutualInformation(),
                                entry.getLeverage()),
                        entry.getOodScore(), null, false, null, null)
                : new ScoredEvent(entry.getPosition(), entry.getEventTime(), entry.getModelVersion(), features,
                        new RegressionPrediction(entry.getMean(), entry.getAleatoricVariance(),
                                entry.getEpistemicVariance(), entry.getLeverage(), null, servedMixture(entry)),
                        null, entry.getOodScore(), null, false, null, null);
    }


    /** The Gaussian mixture a mixture over memories served for the entry's event, or null for one model. */
    private static GaussianMixture servedMixture(final AwaitingLabel entry) {
        return entry.getMixtureWeights().isEmpty() ? null
                : new GaussianMixture(OnlineLearner.toArray(entry.getMixtureWeights()),
                        OnlineLearner.toArray(entry.getMixtureMeans()), OnlineLearner.toArray(entry.getMixtureVariances()));
    }

    /** The prediction record of a scored event. */
    static Prediction prediction(final String modelId, final List<String> classNames, final Event event,
                                 final ScoredEvent scored, final boolean labelled) {
        final Prediction.Builder p = Prediction.newBuilder()
                .setEventId(event.getEventId())
                .setModelId(modelId)
                .setModelVersion(scored.modelVersion())
                .setEventTime(event.getEventTime())
                .setScoredAt(Instant.ofEpochMilli(System.currentTimeMillis()))
                .setLabelled(labelled);
        final double leverage;
        if (scored.isClassification()) {
            final ClassificationPrediction c = scored.classification();
            p.setClassification(ClassificationOutput.newBuilder()
                    .setProbabilities(OnlineLearner.toList(c.probabilities()))
                    .setPredictedClass(c.predictedClass())
                    .setPredictedClassName(classNames.isEmpty() ? null : classNames.get(c.predictedClass()))
                    .setEntropy(c.entropy())
                    .setMutualInformation(c.mutualInformation())
                    .build());
            leverage = c.leverage();
        } else {
            final RegressionPrediction r = scored.regression();
            p.setRegression(RegressionOutput.newBuilder()
                    .setMean(r.mean())
                    .setStdTotal(r.standardDeviation())
                    .setStdEpistemic(Math.sqrt(r.epistemicVariance()))
                    .setStdAleatoric(Math.sqrt(r.aleatoricVariance()))
                    .setLower95(r.lower95())
                    .setUpper95(r.upper95())
                    .build());
            leverage = r.leverage();
        }
        return p.setLeverage(leverage).setOodScore(scored.oodScore())
                .setOodThreshold(scored.oodThreshold())
                .setOodFlag(scored.oodFlag())
                .setDriftState(scored.driftState() == null ? null : DriftState.valueOf(scored.driftState().name()))
                .setMemoryWeights(scored.memoryWeights())
                .build();
    }
}
