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
 * for the HTTP answers: a union is written as its branch's value (not Avro's {@code {"type": value}} JSON
 * encoding), an enum as its symbol, a timestamp as ISO-8601 text, bytes as {@code {"base64": "..."}}.
 */
public final class AvroJson {
    private AvroJson() {
    }

    /** The tree of a generated (or generic) record. */
    public static Map<String, Object> tree(final GenericRecord record) {
        @SuppressWarnings("unchecked")
        final Map<String, Object> m = (Map<String, Object>) value(record, record.getSchema());
        return m;
    }

    private static Object value(final Object datum, final Schema schema) {
        if (datum == null) {
            return null;
        }
        switch (schema.getType()) {
            case RECORD -> {
                final GenericRecord record = (GenericRecord) datum;
                final Map<String, Object> m = new LinkedHashMap<>();
                for (final Schema.Field f : schema.getFields()) {
                    m.put(f.name(), value(record.get(f.pos()), f.schema()));
                }
                return m;
            }
            case ARRAY -> {
                final List<Object> list = new ArrayList<>();
                for (final Object item : (Iterable<?>) datum) {
                    list.add(value(item, schema.getElementType()));
                }
                return list;
            }
            case MAP -> {
                final Map<String, Object> m = new LinkedHashMap<>();
                ((Map<?, ?>) datum).forEach((k, v) -> m.put(k.toString(), value(v, schema.getValueType())));
                return m;
            }
            case UNION -> {
                return value(datum, schema.getTypes().get(GenericData.get().resolveUnion(schema, datum)));
            }
            case BYTES -> {
                final ByteBuffer buffer = ((ByteBuffer) datum).duplicate();
                final byte[] b = new byte[buffer.remaining()];
                buffer.get(b);
                return Map.of("base64", Base64.getEncoder().encodeToString(b));
            }
            case FIXED -> {
                return Map.of("base64", Base64.getEncoder().encodeToString(((GenericFixed) datum).bytes()));
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
