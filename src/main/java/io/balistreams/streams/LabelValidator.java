package io.balistreams.streams;

import io.balistreams.avro.Label;
import io.balistreams.avro.internal.RoutedLabel;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.ByteBuffer;

/**
 * First step of the labels flow, like {@link EventValidator} for events: decodes a {@code labels} record,
 * resolves its model id, and forwards a {@link RoutedLabel} keyed by model id (to meet its scored event in
 * the model's learner task) or a dead letter with the original bytes. Whether the label fits the model, and
 * whether its event is waiting for it, is checked by the learner.
 */
final class LabelValidator extends InputValidator<Label> {

    /** @param requireModelKey refuse labels whose record key is not their model id (read without repartitioning) */
    LabelValidator(final Deserializer<Label> labels, final String defaultModelId, final boolean requireModelKey) {
        super(labels, defaultModelId, requireModelKey);
    }

    @Override
    String modelIdOf(final Label label) {
        return label.getModelId();
    }

    @Override
    String describe(final Label label) {
        return "label for event " + label.getEventId();
    }

    @Override
    void accept(final Record<byte[], byte[]> record, final Label label, final String modelId,
                final DeadLetters.Source source) {
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
}
