package io.balistreams.online;

import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.ModelMonitor;

/**
 * One event as its model scored it: the prediction that was served, with what the monitor said about
 * it. A label for the event is learned against this prediction ({@link OnlineLearner#label}), never a
 * re-score, so the prequential metrics and the drift detector count what the user was told.
 *
 * @param position       index of the event in its model's stream (0-based)
 * @param eventTime      the event's time, epoch milliseconds (0 where unknown)
 * @param modelVersion   the model version (accepted updates) that scored it
 * @param features       the raw features (not copied; the caller must not change them while the label is pending)
 * @param regression     the predictive of a regression model, else null
 * @param classification the predictive of a classifier, else null
 * @param oodScore       the out-of-distribution score ({@link LearnerSettings#oodScore()})
 * @param oodThreshold   the flag threshold at scoring time, null while it is not calibrated
 * @param oodFlag        whether the score exceeded the threshold
 * @param driftState     the monitor's state before this event, null if nothing watches the stream
 * @param alarm          the alarm this event raised (feature drift), or null
 * @param memoryWeights  a mixture over memories' weights per expert when it scored the event (docs/method.md §11),
 *                       or null for one model
 */
public record ScoredEvent(long position, long eventTime, long modelVersion, double[] features,
                          RegressionPrediction regression, ClassificationPrediction classification,
                          double oodScore, Double oodThreshold, boolean oodFlag, DriftLevel driftState,
                          ModelMonitor.Alarm alarm, java.util.Map<String, Double> memoryWeights) {

    /** An event scored by one model (no mixture weights). */
    public ScoredEvent(final long position, final long eventTime, final long modelVersion, final double[] features,
                       final RegressionPrediction regression, final ClassificationPrediction classification,
                       final double oodScore, final Double oodThreshold, final boolean oodFlag,
                       final DriftLevel driftState, final ModelMonitor.Alarm alarm) {
        this(position, eventTime, modelVersion, features, regression, classification, oodScore, oodThreshold, oodFlag,
                driftState, alarm, null);
    }

    public boolean isClassification() {
        return classification != null;
    }
}
