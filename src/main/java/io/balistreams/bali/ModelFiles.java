package io.balistreams.bali;

import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.TrustedAvroTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Model files: a {@link ModelSnapshot} in Avro's single-object encoding, the format of {@code bali model export},
 * {@code GET /models/{id}/snapshot} and {@code bali eval prequential --save-model}, and what {@code bali model import}
 * starts a model of the service from. Reading needs no Kafka; it registers the snapshot's types with Avro's
 * class-trust check first (docs/platform-notes.md §5), which the generated {@code ModelSnapshot.fromByteBuffer}
 * alone does not.
 */
public final class ModelFiles {
    static {
        TrustedAvroTypes.trust(ModelSnapshot.getClassSchema());
    }

    private ModelFiles() {
    }

    /** Reads a model file. */
    public static ModelSnapshot read(final Path file) throws IOException {
        return decode(Files.readAllBytes(file));
    }

    /**
     * Decodes a model file's bytes.
     *
     * @throws IllegalArgumentException if they are not a snapshot of a known schema version
     */
    public static ModelSnapshot decode(final byte[] bytes) {
        try {
            return ModelSnapshot.fromByteBuffer(ByteBuffer.wrap(bytes));
        } catch (final IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a model snapshot: " + e.getMessage(), e);
        }
    }

    /** Writes a snapshot to a file. */
    public static void write(final Path file, final ModelSnapshot snapshot) throws IOException {
        Files.write(file, encode(snapshot));
    }

    /** A snapshot's bytes. */
    public static byte[] encode(final ModelSnapshot snapshot) {
        try {
            final ByteBuffer buffer = snapshot.toByteBuffer();
            final byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The snapshot of a model trained with the engine: its state at its step; {@code classNames} (index = class) for
     * a classifier, or empty.
     */
    public static ModelSnapshot snapshot(final String modelId, final BaliModel model, final List<String> classNames) {
        return ModelSnapshot.newBuilder().setModelId(modelId).setModelVersion(model.step())
                .setClassNames(List.copyOf(classNames)).setState(ModelStateCodec.toRecord(model)).build();
    }

    /** The snapshot of a mixture over memories trained with the engine. */
    public static ModelSnapshot snapshot(final String modelId, final BaliMixture mixture, final List<String> classNames) {
        return ModelSnapshot.newBuilder().setModelId(modelId).setModelVersion(mixture.step())
                .setClassNames(List.copyOf(classNames)).setState(MixtureStateCodec.toRecord(mixture)).build();
    }
}
