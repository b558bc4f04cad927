package io.balistreams.streams;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.internal.RoutedEvent;
import io.balistreams.avro.internal.RoutedLabel;
import io.balistreams.avro.internal.TrainingExample;

import java.nio.ByteBuffer;

/** Builds {@link DeadLetter} records: the refused bytes, unchanged, with where they came from and why. */
final class DeadLetters {
    private DeadLetters() {
    }

    /** Where a refused record was read from. */
    record Source(String topic, int partition, long offset) {
    }

    static DeadLetter of(final DeadLetterReason reason, final String detail, final Source source, final byte[] key,
                         final byte[] value, final String modelId) {
        return DeadLetter.newBuilder()
                .setReason(reason)
                .setDetail(detail)
                .setSourceTopic(source.topic())
                .setSourcePartition(source.partition())
                .setSourceOffset(source.offset())
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setPayload(value == null ? null : ByteBuffer.wrap(value))
                .setModelId(modelId)
                .setRejectedAt(java.time.Instant.now())
                .build();
    }

    /** A refused event, with where it was read and its original bytes (carried since validation). */
    static DeadLetter of(final DeadLetterReason reason, final String detail, final RoutedEvent r, final String modelId) {
        return of(reason, detail, new Source(r.getSourceTopic(), r.getSourcePartition(), r.getSourceOffset()),
                bytes(r.getOriginalKey()), bytes(r.getOriginalValue()), modelId);
    }

    /** A refused label, with where it was read and its original bytes. */
    static DeadLetter of(final DeadLetterReason reason, final String detail, final RoutedLabel r, final String modelId) {
        return of(reason, detail, new Source(r.getSourceTopic(), r.getSourcePartition(), r.getSourceOffset()),
                bytes(r.getOriginalKey()), bytes(r.getOriginalValue()), modelId);
    }

    /** A refused training example, as the record that completed it (its event, or its label). */
    static DeadLetter of(final DeadLetterReason reason, final String detail, final TrainingExample e,
                         final String modelId) {
        return of(reason, detail, new Source(e.getSourceTopic(), e.getSourcePartition(), e.getSourceOffset()),
                bytes(e.getOriginalKey()), bytes(e.getOriginalValue()), modelId);
    }

    /** The remaining bytes of a buffer (not consumed), or null. */
    private static byte[] bytes(final ByteBuffer b) {
        if (b == null) {
            return null;
        }
        final ByteBuffer d = b.duplicate();
        final byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
