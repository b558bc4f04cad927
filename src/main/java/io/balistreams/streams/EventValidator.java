package io.balistreams.streams;

import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.Event;
import io.balistreams.avro.internal.RoutedEvent;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * First step of the topology: decodes the raw bytes of an {@code events} record, checks what can be checked
 * without the model (the bytes decode, a model id is known, every feature is finite), and forwards either a
 * {@link RoutedEvent} keyed by model id (to be repartitioned so that one model's events meet in one task)
 * or a {@link io.balistreams.avro.DeadLetter} with the original bytes. Checks that need the model
 * (dimension, label) happen in {@link LearnerProcessor}.
 *
 * <p>When events are read without repartitioning ({@code bali.events.keyed.by.model=true}), the partition
 * the producer chose is the one whose task owns the model, so the validator also requires the record key
 * to be the model id in UTF-8: an event keyed otherwise could reach a task that does not hold its model
 * and start a second copy of it there, and is refused instead ({@code KEY_NOT_MODEL_ID}).
 */
final class EventValidator implements Processor<byte[], byte[], String, SpecificRecord> {
    private final Deserializer<Event> events;
    private final String defaultModelId;
    private final boolean requireModelKey;
    private ProcessorContext<String, SpecificRecord> context;

    /**
     * @param requireModelKey refuse events whose record key is not their model id (events read without
     *                        a repartition topic)
     */
    EventValidator(final Deserializer<Event> events, final String defaultModelId, final boolean requireModelKey) {
        this.events = events;
        this.defaultModelId = defaultModelId;
        this.requireModelKey = requireModelKey;
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        final DeadLetters.Source source = source(context);
        final Event event;
        try {
            if (record.value() == null) {
                throw new SerializationException("the record has no value (null)");
            }
            event = events.deserialize(source.topic(), record.value());
        } catch (final SerializationException e) {
            reject(record, DeadLetterReason.UNDECODABLE, e.getMessage(), source, null);
            return;
        }
        final String modelId = event.getModelId() != null ? event.getModelId() : defaultModelId;
        if (modelId == null || modelId.isEmpty()) {
            reject(record, DeadLetterReason.MISSING_MODEL_ID,
                    "event " + event.getEventId() + " names no model and bali.model.default.id is empty", source, null);
            return;
        }
        if (requireModelKey && !keyIs(record.key(), modelId)) {
            reject(record, DeadLetterReason.KEY_NOT_MODEL_ID, "event " + event.getEventId() + " is for model '" + modelId
                    + "' but its record key is " + (record.key() == null ? "null" : "'"
                    + new String(record.key(), StandardCharsets.UTF_8) + "'")
                    + "; with bali.events.keyed.by.model=true the key must be the model id", source, modelId);
            return;
        }
        final List<Double> features = event.getFeatures();
        for (int i = 0; i < features.size(); i++) {
            final double v = features.get(i);
            if (!Double.isFinite(v)) {
                reject(record, DeadLetterReason.NON_FINITE_FEATURE,
                        "event " + event.getEventId() + ": feature " + i + " is " + v, source, modelId);
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

    static boolean keyIs(final byte[] key, final String modelId) {
        return key != null && Arrays.equals(key, modelId.getBytes(StandardCharsets.UTF_8));
    }

    private void reject(final Record<byte[], byte[]> record, final DeadLetterReason reason, final String detail,
                        final DeadLetters.Source source, final String modelId) {
        context.forward(record.withKey(modelId).withValue(
                DeadLetters.of(reason, detail, source, record.key(), record.value(), modelId)));
    }

    /** Topic, partition and offset of the record being processed (punctuations have none). */
    static DeadLetters.Source source(final ProcessorContext<?, ?> context) {
        final RecordMetadata m = context.recordMetadata().orElse(null);
        return m == null ? new DeadLetters.Source("", -1, -1) : new DeadLetters.Source(m.topic(), m.partition(), m.offset());
    }
}
