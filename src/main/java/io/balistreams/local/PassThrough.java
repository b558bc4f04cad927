package io.balistreams.local;

import io.balistreams.streams.ServiceConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;


/**
 * The platform's ceiling for {@code bali bench --pass-through}: a trivial Kafka Streams application that
 * reads the service's events topic and forwards every record unchanged (key and value bytes) to the
 * predictions topic, one output record per event, with the service's Kafka Streams settings (processing
 * guarantee, commit interval, stream threads, ...). No decoding, no state stores, no repartition: what
 * Kafka Streams alone does with the same records on the same broker, run by a
 * {@link io.balistreams.streams.BaliService} with the service's settings. Bench-only code, never part of
 * the service.
 */
public final class PassThrough {
    private PassThrough() {
    }

    /** events ─► forward ─► predictions, bytes in, the same bytes out. */
    public static Topology topology(final ServiceConfig config) {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream(config.eventsTopic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("events-source"))
                .process(Forward::new, Named.as("forward"))
                .to(config.predictionsTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withName("predictions-sink"));
        return builder.build();
    }

    /** Forwards each record as it is. */
    private static final class Forward implements Processor<byte[], byte[], byte[], byte[]> {
        private ProcessorContext<byte[], byte[]> context;

        @Override
        public void init(final ProcessorContext<byte[], byte[]> context) {
            this.context = context;
        }

        @Override
        public void process(final Record<byte[], byte[]> record) {
            context.forward(record);
        }
    }
}
