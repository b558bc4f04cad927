package io.balistreams.streams;

import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.Event;
import io.balistreams.avro.internal.RoutedEvent;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * First step of the topology: decodes the raw bytes of an {@code events} record, checks what can be checked
 * without the model (the bytes decode, a model id is known, every feature is finite), and forwards either a
 * {@link RoutedEvent} keyed by model id (to be repartitioned so that one model's events meet in one task)
 * or a {@link io.balistreams.avro.DeadLetter} with the original bytes. Checks that need the model
 * (dimension, label) happen in {@link LearnerProcessor}.
 *
 * <p>When events are read without repartitioning ({@code bali.events.keyed.by.model=true}), the partition
 * the producer chose is the one whose task owns the model, so the record key must be the model id in UTF-8
 * ({@link InputValidator}): an event keyed otherwise could start a second copy of its model in another task,
 * and is refused instead ({@code KEY_NOT_MODEL_ID}).
 */
final class EventValidator extends InputValidator<Event> {
    /**
     * The largest magnitude of a feature or a regression target the service accepts: beyond it, squares and the
     * products of a forward pass overflow (a bit-flipped double easily reaches 10³⁰⁰), and one such record would
     * make the model's predictions infinite.
     */
    static final double MAX_ABS_VALUE = 1e100;

    /**
     * @param requireModelKey refuse events whose record key is not their model id (events read without
     *                        a repartition topic)
     */
    EventValidator(final Deserializer<Event> events, final String defaultModelId, final boolean requireModelKey) {
        super(events, defaultModelId, requireModelKey);
    }

    @Override
    String modelIdOf(final Event event) {
        return event.getModelId();
    }

    @Override
    String describe(final Event event) {
        return "event " + event.getEventId();
    }

    @Override
    void accept(final Record<byte[], byte[]> record, final Event event, final String modelId,
                final DeadLetters.Source source) {
        final List<Double> features = event.getFeatures();
        for (int i = 0; i < features.size(); i++) {
            final double v = features.get(i);
            if (!Double.isFinite(v) || Math.abs(v) > MAX_ABS_VALUE) {
                reject(record, DeadLetterReason.NON_FINITE_FEATURE, "event " + event.getEventId() + ": feature " + i
                        + " is " + v + (Double.isFinite(v) ? ", beyond ±" + MAX_ABS_VALUE
                        + " (its square would overflow the model's arithmetic)" : ""), source, modelId);
                return;
            }
        }
        event.setModelId(modelId);
        final RoutedEvent routed = RoutedEvent.newBuilder()
                .setEvent(event)
                .setSourceTopic(source.topic())
                .setSourcePartition(source.partition())
                .setSourceOffset(source.offset())
                .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setOriginalValue(ByteBuffer.wrap(record.value()))
                .build();
        context.forward(record.withKey(modelId).withValue(routed));
    }
}
