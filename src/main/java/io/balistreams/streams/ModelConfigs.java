package io.balistreams.streams;

import io.balistreams.avro.ModelConfig;
import io.balistreams.streams.serde.AvroSerde;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The validated {@code model-config} entries of the global store {@value LearnerProcessor#CONFIG_STORE}, each decoded
 * once per version: the in-memory global store hands back the same byte array until its entry is replaced, so a
 * lookup costs one store read and one identity comparison, whatever the entry's size (an imported model's snapshot
 * rides in it). Not thread-safe: one instance per processor.
 */
final class ModelConfigs {
    private static final AvroSerde<ModelConfig> SERDE = AvroSerde.of(ModelConfig.class);

    private record Decoded(byte[] raw, ModelConfig config) {
    }

    private final ReadOnlyKeyValueStore<String, byte[]> store;
    private final Map<String, Decoded> decoded = new HashMap<>();

    ModelConfigs(final ReadOnlyKeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    /** The model's entry, or null if it has none. */
    ModelConfig get(final String modelId) {
        final byte[] raw = store.get(modelId);
        if (raw == null) {
            decoded.remove(modelId);
            return null;
        }
        final Decoded cached = decoded.get(modelId);
        if (cached != null && cached.raw() == raw) {
            return cached.config();
        }
        final ModelConfig config = decode(raw);
        decoded.put(modelId, new Decoded(raw, config));
        return config;
    }

    /** An entry of the validated topic, as the validator wrote it. */
    static ModelConfig decode(final byte[] raw) {
        return SERDE.decode(raw);
    }
}
