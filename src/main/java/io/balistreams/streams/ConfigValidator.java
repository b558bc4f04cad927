package io.balistreams.streams;

import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.ModelConfig;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Validates {@code model-config} entries: the bytes decode, the record key equals the entry's model id, and
 * the application's model defaults with the entry applied form a valid {@link ModelSpec} and valid monitor
 * settings, and its lifecycle fields are consistent (an imported snapshot decodes and restores). Valid entries (and
 * tombstones) are forwarded to the validated topic that the learner reads as a global table; invalid ones
 * become dead letters with reason INVALID_MODEL_CONFIG (or UNDECODABLE) and are otherwise ignored, so a
 * model keeps its last valid configuration.
 */
final class ConfigValidator implements Processor<byte[], byte[], String, SpecificRecord> {
    private final Deserializer<ModelConfig> configs;
    private final ModelSpec defaults;
    private final ServiceConfig service;
    private final StringDeserializer keys = new StringDeserializer();
    private ProcessorContext<String, SpecificRecord> context;

    ConfigValidator(final Deserializer<ModelConfig> configs, final ServiceConfig service) {
        this.configs = configs;
        this.defaults = service.modelDefaults();
        this.service = service;
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        final DeadLetters.Source source = InputValidator.source(context);
        final String key = record.key() == null ? null : keys.deserialize(source.topic(), record.key());
        if (key == null || key.isEmpty()) {
            reject(record, DeadLetterReason.INVALID_MODEL_CONFIG, "a model-config record needs the model id as key",
                    source, null);
            return;
        }
        if (record.value() == null) {
            context.forward(record.withKey(key).withValue(null)); // tombstone: back to the defaults
            return;
        }
        final ModelConfig config;
        try {
            config = configs.deserialize(source.topic(), record.value());
        } catch (final SerializationException e) {
            reject(record, DeadLetterReason.UNDECODABLE, e.getMessage(), source, key);
            return;
        }
        if (!key.equals(config.getModelId())) {
            reject(record, DeadLetterReason.INVALID_MODEL_CONFIG, "record key '" + key
                    + "' differs from the entry's modelId '" + config.getModelId() + "'", source, key);
            return;
        }
        try {
            final ModelSpec spec = defaults.withOverrides(config);
            service.monitorSettings(config);
            checkLifecycle(config);
            if (spec.inputDimension() != null && !ImportedModels.imports(config)) {
                final long bytes = spec.stateBytes(spec.inputDimension());
                if (bytes > service.stateMaxBytes()) {
                    throw new IllegalArgumentException("the model would have a state of about "
                            + String.format(java.util.Locale.ROOT, "%,d", bytes) + " bytes, "
                            + String.format(java.util.Locale.ROOT, "%,d", bytes - service.stateMaxBytes())
                            + " more than bali.state.max.bytes = " + service.stateMaxBytes());
                }
            }
        } catch (final IllegalArgumentException e) {
            reject(record, DeadLetterReason.INVALID_MODEL_CONFIG, "model " + key + ": " + e.getMessage(), source, key);
            return;
        }
        context.forward(record.withKey(key).withValue(config));
    }

    /**
     * The lifecycle fields (ModelConfig v4): a generation is not negative; a delete has a generation of at least 1
     * (else it could not be told from the entry the model was created with) and no snapshot; an initial snapshot
     * decodes and restores, fits {@code bali.state.max.bytes}, and the entry leaves the fields it fixes null.
     */
    private void checkLifecycle(final ModelConfig config) {
        if (config.getGeneration() != null && config.getGeneration() < 0) {
            throw new IllegalArgumentException("generation must be 0 or more, got " + config.getGeneration());
        }
        if (ImportedModels.deleted(config)) {
            if (ImportedModels.generation(config) < 1) {
                throw new IllegalArgumentException("deleted=true needs a generation of at least 1, higher than the "
                        + "model's (bali model delete writes the current time in milliseconds)");
            }
            if (config.getInitialSnapshot() != null) {
                throw new IllegalArgumentException("deleted=true and an initialSnapshot: choose one");
            }
        }
        if (ImportedModels.imports(config)) {
            final int size = config.getInitialSnapshot().remaining();
            if (size > service.stateMaxBytes()) {
                throw new IllegalArgumentException("initialSnapshot has " + size + " bytes, "
                        + (size - service.stateMaxBytes()) + " more than bali.state.max.bytes = " + service.stateMaxBytes());
            }
            final java.util.List<String> fixed = ImportedModels.fixedBySnapshot(config);
            if (!fixed.isEmpty()) {
                throw new IllegalArgumentException("the initialSnapshot fixes " + String.join(", ", fixed)
                        + ": leave " + (fixed.size() == 1 ? "it" : "them") + " out of an entry that imports a model");
            }
            ImportedModels.decode(config);
        }
    }

    private void reject(final Record<byte[], byte[]> record, final DeadLetterReason reason, final String detail,
                        final DeadLetters.Source source, final String modelId) {
        context.forward(record.withKey(modelId).withValue(
                DeadLetters.of(reason, detail, source, record.key(), record.value(), modelId)));
    }
}
