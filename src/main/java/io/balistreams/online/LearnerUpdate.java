package io.balistreams.online;

import io.balistreams.bali.UpdateResult;
import io.balistreams.monitor.ModelMonitor;

import java.util.List;

/**
 * The outcome of one {@link OnlineLearner#learn()}.
 *
 * @param examples the labelled events learned from (B, or fewer on a flush)
 * @param beta     the forgetting factor used (below the configured β while recovering from a drift alarm)
 * @param result   the engine's outcome; a rejected update left the model as it was
 * @param alarms   alarms the detectors raised while the batch's losses were fed to them, in order
 */
public record LearnerUpdate(int examples, double beta, UpdateResult result, List<ModelMonitor.Alarm> alarms) {

    public boolean accepted() {
        return result.accepted();
    }
}
