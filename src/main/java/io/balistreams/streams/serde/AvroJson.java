package io.balistreams.streams.serde;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * An Avro record as a JSON-ready tree of maps (fields in schema order), lists, strings, numbers, booleans and nulls,
 * for the HTTP answers and {@code bali tail}: a union is written as its branch's value (not Avro's {@code {"type": value}} JSON
 * encoding), an enum as its symbol, a timestamp as ISO-8601 text, bytes as {@code {"base64": "..."}}.
 */
public final class AvroJson {
    private AvroJson() {
    }

    /** How a caller renders what the default tree would not: a record in place of its fields, bytes. */
    public interface Rendering {
        /** The value for this record instead of the map of its fields, or null for the map. */
        default Object record(final GenericRecord record) {
            return null;
        }

        /** The value of a bytes or fixed datum; by default {@code {"base64": "..."}}. */
        default Object bytes(final byte[] bytes) {
            return Map.of("base64", Base64.getEncoder().encodeToString(bytes));
        }
    }

    private static final Rendering DEFAULT = new Rendering() {
    };

    /** The tree of a generated (or generic) record. */
    public static Map<String, Object> tree(final GenericRecord record) {
        @SuppressWarnings("unchecked")
        final Map<String, Object> m = (Map<String, Object>) tree(record, record.getSchema(), DEFAULT);
        return m;
    }

    /** The tree of any datum of {@code schema}, with the caller's rendering of records and bytes. */
    public static Object tree(final Object datum, final Schema schema, final Rendering rendering) {
        if (datum == null) {
            return null;
        }
        switch (schema.getType()) {
            case RECORD -> {
                final GenericRecord record = (GenericRecord) datum;
                final Object own = rendering.record(record);
                if (own != null) {
                    return own;
                }
                final Map<String, Object> m = new LinkedHashMap<>();
                for (final Schema.Field f : schema.getFields()) {
                    m.put(f.name(), tree(record.get(f.pos()), f.schema(), rendering));
                }
                return m;
            }
            case ARRAY -> {
                final List<Object> list = new ArrayList<>();
                for (final Object item : (Iterable<?>) datum) {
                    list.add(tree(item, schema.getElementType(), rendering));
                }
                return list;
            }
            case MAP -> {
                final Map<String, Object> m = new LinkedHashMap<>();
                ((Map<?, ?>) datum).forEach((k, v) -> m.put(k.toString(), tree(v, schema.getValueType(), rendering)));
                return m;
            }
            case UNION -> {
                return tree(datum, schema.getTypes().get(GenericData.get().resolveUnion(schema, datum)), rendering);
            }
            case BYTES -> {
                final ByteBuffer buffer = ((ByteBuffer) datum).duplicate();
                final byte[] b = new byte[buffer.remaining()];
                buffer.get(b);
                return rendering.bytes(b);
            }
            case FIXED -> {
                return rendering.bytes(((GenericFixed) datum).bytes());
            }
            case ENUM, STRING -> {
                return datum.toString();
            }
            case LONG -> {
                return datum instanceof Instant instant ? instant.toString() : datum;
            }
            default -> {
                return datum; // boolean, int, float, double
            }
        }
    }
}
