package io.balistreams.streams.serde;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

import java.util.Map;

/**
 * Where the service gets the serdes of the records on its public topics (events, predictions, alerts,
 * metrics, snapshots, model configuration, dead letters). The default, {@link SingleObjectSerdes}, needs no
 * registry; a registry-backed implementation (Confluent, Apicurio, ...) can be plugged in with
 * {@code bali.serdes.class=<class name>}: a public class with a no-argument constructor. Internal topics and
 * state stores always use {@link AvroSerde}.
 */
public interface RecordSerdes {

    /** Called once with the service's whole configuration before any {@link #serde} call. */
    default void configure(final Map<String, ?> configs) {
    }

    /** The serde of one generated record class. */
    <T extends SpecificRecord> Serde<T> serde(Class<T> type);

    /** Avro single-object encoding with the schema history of {@link SchemaHistory}. */
    final class SingleObjectSerdes implements RecordSerdes {
        @Override
        public <T extends SpecificRecord> Serde<T> serde(final Class<T> type) {
            return AvroSerde.of(type);
        }
    }
}
