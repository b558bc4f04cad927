package io.balistreams.online;

/**
 * A labelled event queued for the next update, as a caller that persists the pending mini-batch must
 * store it (with the event's features) to rebuild the learner later.
 *
 * @param sequence  the label's sequence number in its model (0, 1, 2, ...): pending labels are the
 *                  {@code pendingCount} sequences before {@link OnlineLearner#nextPendingSequence()}
 * @param target    regression target or class index
 * @param loss      the prequential loss of the served prediction (fed to the drift detector at the update)
 * @param oodScore  the event's OOD score (fed to the threshold's sketch at the update)
 * @param position  the event's index in its model's stream
 * @param eventTime the event's time, epoch milliseconds
 */
public record QueuedLabel(long sequence, double target, double loss, double oodScore, long position, long eventTime) {
}
