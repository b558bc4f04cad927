package io.balistreams.streams;

import io.balistreams.avro.ModelMetrics;

/**
 * What the service's processors tell an operator's instruments about each model as they work: one call per
 * scored event, per label learned from, per update, per alarm, per {@link ModelMetrics} record and per dead
 * letter. Calls come from the stream threads, for different models at once when there are several; an
 * implementation must be thread-safe and cheap (a counter increment), as it runs on the per-event path.
 * {@link #NONE} does nothing; {@code io.balistreams.streams.ops.ServiceMetrics} turns the calls into Prometheus
 * series.
 */
public interface ModelObserver {
    /** Observes nothing. */
    ModelObserver NONE = new ModelObserver() {
    };

    /** An event of the model was scored in {@code nanos}; {@code oodFlag}: its input was flagged out-of-distribution. */
    default void scored(final String modelId, final long nanos, final boolean oodFlag) {
    }

    /** A label (inside its event, joined from the labels topic, or a training example) was given to the model. */
    default void labelled(final String modelId) {
    }

    /** The model updated in {@code nanos} and is now at {@code version}; {@code accepted} false: it refused the batch. */
    default void updated(final String modelId, final long version, final long nanos, final boolean accepted) {
    }

    /** The model's monitor raised an alarm ({@code level}: WARNING or DRIFT; {@code kind}: what it watched). */
    default void alarm(final String modelId, final String level, final String kind) {
    }

    /** A metrics record of the model, and its monitor's state (STABLE, WARNING, DRIFT; null if nothing watches it). */
    default void metrics(final ModelMetrics metrics, final String driftState) {
    }

    /** The model's state was removed (deleted, or about to start again): its series end here. */
    default void removed(final String modelId) {
    }

    /** A record was dead-lettered for {@code reason}. */
    default void deadLetter(final String reason) {
    }
}
