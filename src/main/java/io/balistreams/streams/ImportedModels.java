package io.balistreams.streams;

import io.balistreams.avro.BaliMixtureState;
import io.balistreams.avro.BaliModelState;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.MixtureStateCodec;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.ServingModel;
import io.balistreams.streams.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The lifecycle fields of a {@code model-config} entry (ModelConfig v4; docs/architecture.md §9): its generation, the
 * delete mark, and the initial snapshot of an imported model, decoded and checked.
 */
public final class ImportedModels {
    private static final AvroSerde<ModelSnapshot> SNAPSHOTS = AvroSerde.of(ModelSnapshot.class);

    private ImportedModels() {
    }

    /** The entry's generation; 0 for no entry or none set. */
    static long generation(final ModelConfig entry) {
        return entry == null || entry.getGeneration() == null ? 0 : entry.getGeneration();
    }

    /** True if the entry deletes its model. */
    static boolean deleted(final ModelConfig entry) {
        return entry != null && Boolean.TRUE.equals(entry.getDeleted());
    }

    /** True if the entry starts its model from a snapshot. */
    static boolean imports(final ModelConfig entry) {
        return entry != null && entry.getInitialSnapshot() != null;
    }

    /** A snapshot decoded, with the engine configuration its state restores to. */
    record Imported(ModelSnapshot snapshot, BaliConfig config) {
        /** The posterior the imported state serves with (what scores before the learner publishes one). */
        ServingModel servingPosterior() {
            return snapshot.getState() instanceof BaliMixtureState m ? MixtureStateCodec.fromRecord(m).servingPosterior()
                    : ModelStateCodec.fromRecord((BaliModelState) snapshot.getState()).servingPosterior();
        }
    }

    /**
     * Decodes the entry's initial snapshot and restores its engine once, which checks every shape. A model trained
     * offline (a data scale N, docs/method.md §4) becomes a streaming one: its posterior keeps the evidence of its N
     * records, which then fades with every update as a streaming model's does.
     *
     * @throws IllegalArgumentException naming what is wrong with it
     */
    static Imported decode(final ModelConfig entry) {
        final ByteBuffer buffer = entry.getInitialSnapshot().duplicate();
        final byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        final ModelSnapshot snapshot;
        try {
            snapshot = SNAPSHOTS.decode(bytes);
        } catch (final SerializationException e) {
            throw new IllegalArgumentException("initialSnapshot is not a ModelSnapshot (the file of bali model export): "
                    + e.getMessage(), e);
        }
        try {
            if (snapshot.getState() instanceof BaliModelState state && state.getConfig().getDataScale() != null) {
                // trained offline on N records: its natural parameters hold their evidence, which from here on
                // fades as a streaming model's does (memory N_eff = B/(1 − β), docs/method.md §4)
                state.getConfig().setDataScale(null);
            }
            final BaliConfig config = snapshot.getState() instanceof BaliMixtureState m
                    ? MixtureStateCodec.fromRecord(m).config()
                    : ModelStateCodec.fromRecord((BaliModelState) snapshot.getState()).config();
            if (config.numClasses() > 0 && !snapshot.getClassNames().isEmpty()
                    && snapshot.getClassNames().size() != config.numClasses()) {
                throw new IllegalArgumentException("it has " + config.numClasses() + " classes but "
                        + snapshot.getClassNames().size() + " class names");
            }
            return new Imported(snapshot, config);
        } catch (final RuntimeException e) {
            throw new IllegalArgumentException("initialSnapshot cannot be restored: " + e.getMessage(), e);
        }
    }

    /**
     * The fields of a {@code model-config} entry that a snapshot fixes (architecture and learning settings): an
     * entry that imports a model must leave them null, and {@code bali model import} clears them.
     */
    public static final List<String> FIXED_BY_SNAPSHOT = List.of("task", "inputDimension", "hiddenLayers",
            "activation", "numClasses", "classNames", "batchSize", "beta", "betaG", "priorPrecision", "seed",
            "experts", "share");

    /** The fields of {@link #FIXED_BY_SNAPSHOT} that this entry sets. */
    static List<String> fixedBySnapshot(final ModelConfig entry) {
        return FIXED_BY_SNAPSHOT.stream().filter(name -> entry.get(name) != null).toList();
    }
}
