package io.balistreams.streams;

import io.balistreams.avro.DeadLetterReason;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The first step of an input topic (events, labels): decodes the raw bytes, resolves the model id (the
 * record's, or {@code bali.model.default.id}), and, when the topic is read without repartitioning
 * ({@code bali.events.keyed.by.model=true}), requires the record key to be that model id in UTF-8 — a
 * record on another model's partition could reach a task that does not hold its model. What fails becomes
 * a dead letter with the original bytes; what passes goes to {@link #accept}.
 *
 * @param <T> the decoded record type
 */
abstract class InputValidator<T> implements Processor<byte[], byte[], String, SpecificRecord> {
    private final Deserializer<T> deserializer;
    private final String defaultModelId;
    private final boolean requireModelKey;
    protected ProcessorContext<String, SpecificRecord> context;

    /** @param requireModelKey refuse records whose key is not their model id (read without a repartition topic) */
    InputValidator(final Deserializer<T> deserializer, final String defaultModelId, final boolean requireModelKey) {
        this.deserializer = deserializer;
        this.defaultModelId = defaultModelId;
        this.requireModelKey = requireModelKey;
    }

    /** The model id the record names, or null. */
    abstract String modelIdOf(T value);

    /** How messages name the record, e.g. {@code event e17}. */
    abstract String describe(T value);

    /** Further checks and the forward of a record that decoded and has its model id (keyed by it). */
    abstract void accept(Record<byte[], byte[]> record, T value, String modelId, DeadLetters.Source source);

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
    }

    @Override
    public final void process(final Record<byte[], byte[]> record) {
        final DeadLetters.Source source = source(context);
        final T value;
        try {
            if (record.value() == null) {
                throw new SerializationException("the record has no value (null)");
            }
            value = deserializer.deserialize(source.topic(), record.value());
        } catch (final SerializationException e) {
            reject(record, DeadLetterReason.UNDECODABLE, e.getMessage(), source, null);
            return;
        }
        final String given = modelIdOf(value);
        final String modelId = given != null ? given : defaultModelId;
        if (modelId == null || modelId.isEmpty()) {
            reject(record, DeadLetterReason.MISSING_MODEL_ID,
                    describe(value) + " names no model and bali.model.default.id is empty", source, null);
            return;
        }
        if (requireModelKey && !keyIs(record.key(), modelId)) {
            reject(record, DeadLetterReason.KEY_NOT_MODEL_ID, describe(value) + " is for model '" + modelId
                    + "' but its record key is " + (record.key() == null ? "null" : "'"
                    + new String(record.key(), StandardCharsets.UTF_8) + "'")
                    + "; with bali.events.keyed.by.model=true the key must be the model id", source, modelId);
            return;
        }
        accept(record, value, modelId, source);
    }

    private static boolean keyIs(final byte[] key, final String modelId) {
        return key != null && Arrays.equals(key, modelId.getBytes(StandardCharsets.UTF_8));
    }

    /** Forwards a dead letter of the record, with its original bytes and where it came from. */
    final void reject(final Record<byte[], byte[]> record, final DeadLetterReason reason, final String detail,
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
