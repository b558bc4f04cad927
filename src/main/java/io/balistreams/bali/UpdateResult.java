package io.balistreams.bali;

/**
 * Outcome of one BALI update. A rejected update left the model exactly as it was.
 *
 * @param accepted whether the update was applied
 * @param step     the model's step count after the call
 * @param meanLoss mean per-record loss of the batch under the pre-update means (regression: squared
 *                 error in original units; classification: cross-entropy in nats); NaN if rejected
 *                 before it could be computed
 * @param reason   why the update was rejected, or null
 */
public record UpdateResult(boolean accepted, long step, double meanLoss, String reason) {

    static UpdateResult accepted(final long step, final double meanLoss) {
        return new UpdateResult(true, step, meanLoss, null);
    }

    static UpdateResult rejected(final long step, final double meanLoss, final String reason) {
        return new UpdateResult(false, step, meanLoss, reason);
    }
}
