package io.balistreams.local;

import io.balistreams.streams.ServiceConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The platform's ceiling for {@code bali bench --pass-through}: a trivial Kafka Streams application that
 * reads the service's events topic and forwards every record unchanged (key and value bytes) to the
 * predictions topic, one output record per event, with the service's Kafka Streams settings (processing
 * guarantee, commit interval, stream threads, ...). No decoding, no state stores, no repartition: what
 * Kafka Streams alone does with the same records on the same broker. Bench-only code, never part of the
 * service.
 */
public final class PassThrough implements AutoCloseable {
    private final KafkaStreams streams;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    public PassThrough(final ServiceConfig config) {
        streams = new KafkaStreams(topology(config), config.streamsProperties());
        streams.setUncaughtExceptionHandler(e -> {
            failure.compareAndSet(null, e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
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

    public void start() {
        streams.start();
    }

    /** Waits until the client is RUNNING; throws if it stops or fails first, or the wait times out. */
    public void awaitRunning(final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (!streams.state().isRunningOrRebalancing() && streams.state() != KafkaStreams.State.CREATED) {
                throw new IllegalStateException("the pass-through application stopped before it was running: "
                        + streams.state() + (failure.get() == null ? "" : " (" + failure.get() + ")"));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the pass-through application was not running after " + timeout);
            }
            try {
                Thread.sleep(20);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    /** The exception that stopped a stream thread, if any. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    @Override
    public void close() {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
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
