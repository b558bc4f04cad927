package io.balistreams.streams;

import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.Label;
import io.balistreams.avro.internal.RoutedLabel;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * First step of the labels flow, like {@link EventValidator} for events: decodes a {@code labels} record,
 * resolves its model id, and forwards a {@link RoutedLabel} keyed by model id (to meet its scored event in
 * the model's learner task) or a dead letter with the original bytes. Whether the label fits the model, and
 * whether its event is waiting for it, is checked by the learner.
 */
final class LabelValidator implements Processor<byte[], byte[], String, SpecificRecord> {
    private final Deserializer<Label> labels;
    private final String defaultModelId;
    private final boolean requireModelKey;
    private ProcessorContext<String, SpecificRecord> context;

    /** @param requireModelKey refuse labels whose record key is not their model id (read without repartitioning) */
    LabelValidator(final Deserializer<Label> labels, final String defaultModelId, final boolean requireModelKey) {
        this.labels = labels;
        this.defaultModelId = defaultModelId;
        this.requireModelKey = requireModelKey;
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        final DeadLetters.Source source = EventValidator.source(context);
        final Label label;
        try {
            if (record.value() == null) {
                throw new SerializationException("the record has no value (null)");
            }
            label = labels.deserialize(source.topic(), record.value());
        } catch (final SerializationException e) {
            reject(record, DeadLetterReason.UNDECODABLE, e.getMessage(), source, null);
            return;
        }
        final String modelId = label.getModelId() != null ? label.getModelId() : defaultModelId;
        if (modelId == null || modelId.isEmpty()) {
            reject(record, DeadLetterReason.MISSING_MODEL_ID,
                    "label for event " + label.getEventId() + " names no model and bali.model.default.id is empty",
                    source, null);
            return;
        }
        if (requireModelKey && !EventValidator.keyIs(record.key(), modelId)) {
            reject(record, DeadLetterReason.KEY_NOT_MODEL_ID, "label for event " + label.getEventId()
                    + " is for model '" + modelId + "' but its record key is " + (record.key() == null ? "null"
                    : "'" + new String(record.key(), StandardCharsets.UTF_8) + "'")
                    + "; with bali.events.keyed.by.model=true the key must be the model id", source, modelId);
            return;
        }
        label.setModelId(modelId);
        context.forward(record.withKey(modelId).withValue(RoutedLabel.newBuilder()
                .setLabel(label)
                .setSourceTopic(source.topic())
                .setSourcePartition(source.partition())
                .setSourceOffset(source.offset())
                .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setOriginalValue(ByteBuffer.wrap(record.value()))
                .build()));
    }

    private void reject(final Record<byte[], byte[]> record, final DeadLetterReason reason, final String detail,
                        final DeadLetters.Source source, final String modelId) {
        context.forward(record.withKey(modelId).withValue(
                DeadLetters.of(reason, detail, source, record.key(), record.value(), modelId)));
    }
}
