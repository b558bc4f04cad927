package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.Event;
import io.balistreams.avro.Prediction;
import io.balistreams.local.EmbeddedKafka;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.testing.Slow;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker stops and starts again (same port, same data directory) while the service runs: the service waits
 * and recovers by itself, without a restart of its own and without losing a stream thread, and the outputs read
 * with read_committed still show exactly-once: every event sent before and after the outage predicted exactly
 * once. How long the recovery took is printed (a line starting {@code OUTAGE}), not asserted.
 */
@Slow
class BrokerRestartTest {
    private static final int PER_PHASE = 600;

    @TempDir
    Path tmp;

    @Test
    void theServiceRidesOutABrokerRestart() throws Exception {
        final int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        final Path data = tmp.resolve("broker");
        EmbeddedKafka kafka = new EmbeddedKafka(port, data);
        final Map<String, String> settings = BrokerTestSupport.settings(kafka.bootstrapServers(), "outage",
                tmp.resolve("state").toString());
        settings.put("bali.model.task", "regression");
        settings.put("bali.model.input.dimension", "2");
        final ServiceConfig config = ServiceConfig.from(settings);
        final AvroSerde<Event> events = AvroSerde.of(Event.class);
        final Random random = new Random(3);
        try (BaliService service = new BaliService(config)) {
            service.createTopics(2, Optional.empty());
            service.start();
            service.awaitRunning(Duration.ofSeconds(60));
            final String threads = threads(service);

            send(kafka, config, events, random, "before");
            BrokerTestSupport.readCommitted(kafka.bootstrapServers(), List.of(config.predictionsTopic()),
                    Duration.ofSeconds(60), got -> got.get(config.predictionsTopic()).size() >= PER_PHASE);

            kafka.close(); // the broker goes away under the running service
            BrokerTestSupport.sleep(8_000);
            assertThat(service.failure()).as("no stream thread failed while the broker was away").isEmpty();
            final long restarted = System.nanoTime();
            kafka = new EmbeddedKafka(port, data);

            send(kafka, config, events, random, "after");
            final Map<String, List<byte[]>> out = BrokerTestSupport.readCommitted(kafka.bootstrapServers(),
                    List.of(config.predictionsTopic()), Duration.ofSeconds(180),
                    got -> got.get(config.predictionsTopic()).size() >= 2 * PER_PHASE);
            System.out.printf("OUTAGE broker down 8 s: the %d events sent after its restart all predicted %.1f s after "
                    + "the restart began%n", PER_PHASE, (System.nanoTime() - restarted) / 1e9);
            final Map<String, Integer> predicted = new HashMap<>();
            for (final Prediction p : BrokerTestSupport.decode(out.get(config.predictionsTopic()), Prediction.class)) {
                predicted.merge(p.getEventId(), 1, Integer::sum);
            }
            assertThat(predicted).hasSize(2 * PER_PHASE);
            assertThat(predicted.values()).containsOnly(1);
            assertThat(service.failure()).isEmpty();
            assertThat(service.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(threads(service)).isEqualTo(threads);
        } finally {
            kafka.close();
        }
    }

    private static void send(final EmbeddedKafka kafka, final ServiceConfig config, final AvroSerde<Event> events,
                             final Random random, final String phase) {
        try (KafkaProducer<byte[], byte[]> producer = BrokerTestSupport.producer(kafka.bootstrapServers())) {
            for (int i = 0; i < PER_PHASE; i++) {
                final double a = random.nextGaussian();
                final double b = random.nextGaussian();
                final String model = "m" + (i % 4);
                producer.send(new ProducerRecord<>(config.eventsTopic(), model.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        events.encode(new Event(phase + "-" + i, model, Instant.now(), List.of(a, b),
                                i % 3 == 0 ? null : a - b))));
            }
        }
    }

    private static String threads(final BaliService service) {
        final StringBuilder names = new StringBuilder();
        service.streams().metadataForLocalThreads().forEach(t -> names.append(t.threadName()).append(' '));
        return names.toString();
    }
}
