package io.balistreams.online;

import io.balistreams.monitor.ModelMonitor;
import io.balistreams.monitor.OodScore;
import io.balistreams.monitor.PrequentialLoss;

import java.util.Objects;

/**
 * How an {@link OnlineLearner} watches its model; fixed for the learner's life and stored with its model.
 *
 * @param monitor       drift detectors, OOD threshold and adaptive forgetting ({@link ModelMonitor.Settings})
 * @param driftLoss     the per-event loss the drift detector watches
 * @param oodScore      the score compared with the OOD threshold
 * @param metricsWindow labels per prequential metrics window (&gt;= 1)
 */
public record LearnerSettings(ModelMonitor.Settings monitor, PrequentialLoss driftLoss, OodScore oodScore,
                              long metricsWindow) {

    public LearnerSettings {
        Objects.requireNonNull(monitor, "monitor");
        Objects.requireNonNull(driftLoss, "driftLoss");
        Objects.requireNonNull(oodScore, "oodScore");
        if (metricsWindow < 1) {
            throw new IllegalArgumentException("metricsWindow must be >= 1, got " + metricsWindow);
        }
    }

    /** The service's defaults: the default monitor, the 0/1 error (or standardised residual), leverage, 1,000 labels. */
    public static LearnerSettings defaults() {
        return new LearnerSettings(ModelMonitor.Settings.defaults(), PrequentialLoss.ERROR, OodScore.LEVERAGE, 1000);
    }

    /**
     * The same settings with the monitor switched off: no drift detector, no feature-drift detection, no
     * adaptive forgetting. The model then learns at its configured β whatever the stream does, as a plain
     * test-then-train loop would.
     */
    public LearnerSettings withoutMonitor() {
        return new LearnerSettings(monitor.with(ModelMonitor.Detector.NONE, null, false, null, null)
                .withFeatureDrift(false), driftLoss, oodScore, metricsWindow);
    }

    public LearnerSettings withDriftLoss(final PrequentialLoss loss) {
        return new LearnerSettings(monitor, loss, oodScore, metricsWindow);
    }

    public LearnerSettings withMetricsWindow(final long window) {
        return new LearnerSettings(monitor, driftLoss, oodScore, window);
    }
}
