package io.balistreams.streams.serde;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Kafka serde for one generated Avro record type using Avro's single-object encoding: two marker bytes
 * {@code C3 01}, the writer schema's 8-byte CRC-64-AVRO fingerprint, then the binary body. Needs no
 * registry: the reader resolves the fingerprint in {@link SchemaHistory}, which holds the current and
 * retired schema versions, so a message written with an older compatible schema decodes into the current
 * class (missing fields take their defaults).
 *
 * <p>Before decoding, every length the message claims (strings, bytes, arrays, maps) is checked against the bytes
 * there ({@link LengthCheck}), so a forged length cannot make the decoder allocate gigabytes.
 *
 * <p>Every failure to decode (bad header, unknown fingerprint, truncated or garbage body, and Avro
 * 1.12.2's class-trust {@link SecurityException}) surfaces as Kafka's {@link SerializationException}
 * (and any other runtime exception that corrupt bytes can provoke) surfaces as Kafka's
 * {@link SerializationException} naming the topic, so Streams' deserialisation handlers and the
 * service's dead-letter path treat them
 * alike. {@code null} maps to {@code null} both ways (tombstones).
 *
 * @param <T> the generated record class
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    private AvroSerde(final Class<T> type) {
        this.type = type;
        final SpecificData model = SpecificData.getForClass(type);
        final org.apache.avro.Schema schema = SpecificData.get().getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.decoder = new BinaryMessageDecoder<>(model, schema, SchemaHistory.store());
    }

    /** The serde of a generated record class. */
    public static <T extends SpecificRecord> AvroSerde<T> of(final Class<T> type) {
        Objects.requireNonNull(type, "type");
        return new AvroSerde<>(type);
    }

    /** Encodes one record; never returns null for a non-null record. */
    public byte[] encode(final T record) {
        try {
            final ByteBuffer buffer = encoder.encode(record);
            final byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        } catch (final IOException | AvroRuntimeException | ClassCastException | NullPointerException e) {
            throw new SerializationException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes one message.
     *
     * @throws SerializationException if the bytes are not a single-object message of a known version of
     *                                this type
     */
    public T decode(final byte[] bytes) {
        final String problem = LengthCheck.problem(bytes);
        if (problem != null) {
            throw new SerializationException("not a " + type.getSimpleName() + " message: " + problem);
        }
        try {
            return decoder.decode(bytes);
        } catch (final IOException | RuntimeException e) {
            // the bytes are untrusted: besides Avro's own exceptions, a corrupt length can surface as
            // UnsupportedOperationException (Avro's size limits), NegativeArraySizeException and the like,
            // and an untrusted class as SecurityException; all mean "not a message of this type"
            throw new SerializationException("not a " + type.getSimpleName() + " message: " + describe(e), e);
        }
    }

    private static String describe(final Exception e) {
        final Throwable cause = e.getCause();
        return cause == null || cause == e ? e.getMessage() : e.getMessage() + " (" + cause + ")";
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, data) -> data == null ? null : encode(data);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return decode(bytes);
            } catch (final SerializationException e) {
                throw new SerializationException("topic " + topic + ": " + e.getMessage(), e.getCause());
            }
        };
    }

    /** The record class this serde handles. */
    public Class<T> type() {
        return type;
    }
}
