package io.balistreams.streams.serde;

import io.balistreams.avro.BaliMixtureState;
import io.balistreams.avro.BaliModelState;
import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DriftAlert;
import io.balistreams.avro.Event;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.ModelPosterior;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.TrustedAvroTypes;
import io.balistreams.avro.Label;
import io.balistreams.avro.internal.AwaitingLabel;
import io.balistreams.avro.internal.LearnerModel;
import io.balistreams.avro.internal.RoutedLabel;
import io.balistreams.avro.internal.TrainingExample;
import io.balistreams.avro.internal.LearnerProgress;
import io.balistreams.avro.internal.OnlineLearnerState;
import io.balistreams.avro.internal.PendingLabel;
import io.balistreams.avro.internal.RoutedEvent;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.SchemaStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Every schema the service has ever written, so that a reader can decode a message written with an older
 * compatible version: the current generated classes plus the retired versions kept in
 * {@code schemas/history/} (on the class path under {@code /schemas/history/}). Single-object encoding
 * carries only the writer schema's CRC-64-AVRO fingerprint; this store maps fingerprints back to schemas.
 *
 * <p>Adding a version: copy the old {@code .avsc} into {@code schemas/history/} as {@code Name.vN.avsc}
 * before changing the current one, and list it in {@link #HISTORY}.
 */
public final class SchemaHistory {
    /** Retired schema versions, relative to {@code /schemas/history/}. */
    static final List<String> HISTORY = List.of("Event.v1.avsc", "ModelConfig.v1.avsc", "DeadLetter.v1.avsc",
            "DeadLetter.v2.avsc", "ModelMetrics.v1.avsc", "BaliModelState.v1.avsc", "ModelSnapshot.v1.avsc",
            "ModelPosterior.v1.avsc", "LearnerModel.v1.avsc", "OnlineLearnerState.v1.avsc", "ModelSnapshot.v2.avsc",
            "LearnerModel.v2.avsc", "OnlineLearnerState.v2.avsc", "ModelConfig.v2.avsc", "ModelMetrics.v2.avsc",
            "Prediction.v1.avsc", "ModelPosterior.v2.avsc", "AwaitingLabel.v1.avsc", "TrainingExample.v1.avsc",
            "ModelConfig.v3.avsc", "DeadLetter.v3.avsc", "LearnerProgress.v1.avsc", "OnlineLearnerState.v3.avsc");

    /** The current schema of every record the service reads or writes. */
    public static final List<Schema> CURRENT = List.of(
            Event.getClassSchema(), Prediction.getClassSchema(), DriftAlert.getClassSchema(),
            ModelMetrics.getClassSchema(), ModelSnapshot.getClassSchema(), ModelConfig.getClassSchema(),
            DeadLetter.getClassSchema(), BaliModelState.getClassSchema(), BaliMixtureState.getClassSchema(),
            ModelPosterior.getClassSchema(),
            RoutedEvent.getClassSchema(),
            LearnerProgress.getClassSchema(), PendingLabel.getClassSchema(), LearnerModel.getClassSchema(),
            OnlineLearnerState.getClassSchema(), Label.getClassSchema(), RoutedLabel.getClassSchema(),
            AwaitingLabel.getClassSchema(), TrainingExample.getClassSchema());

    private static final SchemaStore.Cache STORE = new SchemaStore.Cache();

    static {
        TrustedAvroTypes.trust(CURRENT.toArray(new Schema[0]));
        CURRENT.forEach(STORE::addSchema);
        for (final String name : HISTORY) {
            STORE.addSchema(load("/schemas/history/" + name));
        }
    }

    private SchemaHistory() {
    }

    /** The shared store of current and retired schemas (thread-safe). */
    public static SchemaStore store() {
        return STORE;
    }

    /** The schema with this fingerprint, or null if the service never knew it. */
    public static Schema find(final long fingerprint) {
        return STORE.findByFingerprint(fingerprint);
    }

    /** CRC-64-AVRO fingerprint of the parsing canonical form, as written in single-object headers. */
    public static long fingerprint(final Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    /** Parses a schema resource from the class path. */
    public static Schema load(final String resource) {
        try (InputStream in = SchemaHistory.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema resource " + resource + " is not on the class path");
            }
            return new Schema.Parser().parse(in);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read schema " + resource, e);
        }
    }
}
