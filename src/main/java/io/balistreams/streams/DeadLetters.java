package io.balistreams.streams;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;

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

    /** The remaining bytes of a buffer (not consumed), or null. */
    static byte[] bytes(final ByteBuffer b) {
        if (b == null) {
            return null;
        }
        final ByteBuffer d = b.duplicate();
        final byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
