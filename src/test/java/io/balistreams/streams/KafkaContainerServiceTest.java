package io.balistreams.streams;

import io.balistreams.testing.Slow;
import io.balistreams.avro.Event;
import io.balistreams.avro.Prediction;
import io.balistreams.bali.Rng;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service against a real Kafka broker in a container (apache/kafka 4.1.0). Runs only where a Docker
 * engine is available; elsewhere the whole class is reported as skipped.
 */
@Slow
@Testcontainers(disabledWithoutDocker = true)
class KafkaContainerServiceTest {
    private static final int EVENTS = 40;
    private static final int BATCH = 4;

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.0");

    @TempDir
    Path tmp;

    @Test
    void everyLabelledEventGetsOnePredictionScoredByTheModelOfTheUpdatesBeforeIt() throws Exception {
        final String app = "bali-tc-" + UUID.randomUUID();
        final Map<String, String> settings = new LinkedHashMap<>();
        settings.put("bootstrap.servers", KAFKA.getBootstrapServers());
        settings.put("application.id", app);
        settings.put("state.dir", tmp.resolve("state").toString());
        settings.put("commit.interval.ms", "100");
        settings.put("bali.batch.max.wait.ms", "0");
        settings.put("bali.model.hidden", "8");
        settings.put("bali.model.batch.size", String.valueOf(BATCH));
        final ServiceConfig config = ServiceConfig.from(settings);
        assertThat(config.modelDefaults().toBaliConfig(2).layerSizes()).containsExactly(2, 8, 2);

        final AvroSerde<Event> events = AvroSerde.of(Event.class);
        final List<String> sent = new ArrayList<>();
        try (BaliService service = new BaliService(config)) {
            service.createTopics(1, Optional.empty());
            service.start();
            service.awaitRunning(Duration.ofSeconds(60));

            final Rng rng = Rng.forStream(17, 0);
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                for (int i = 0; i < EVENTS; i++) {
                    final double a = rng.nextGaussian();
                    final double b = rng.nextGaussian();
                    final Event e = new Event("tc-" + i, "m", Instant.ofEpochMilli(1_700_000_000_000L + i),
                            List.of(a, b), a + b > 0 ? 1.0 : 0.0);
                    producer.send(new ProducerRecord<>(config.eventsTopic(), events.encode(e))).get();
                    sent.add(e.getEventId());
                }
            }

            final List<Prediction> predictions = readPredictions(config, Duration.ofSeconds(90));
            assertThat(predictions).hasSize(EVENTS);
            assertThat(predictions).extracting(Prediction::getEventId).containsExactlyInAnyOrderElementsOf(sent);
            assertThat(predictions).allSatisfy(p -> {
                assertThat(p.getModelId()).isEqualTo("m");
                assertThat(p.getLabelled()).isTrue();
                assertThat(p.getClassification()).isNotNull();
                assertThat(p.getClassification().getProbabilities()).hasSize(2);
                assertThat(p.getRegression()).isNull();
            });
            // event i (0-based, every event labelled) is scored after floor(i / B) updates
            for (final Prediction p : predictions) {
                final int i = Integer.parseInt(p.getEventId().substring("tc-".length()));
                assertThat(p.getModelVersion()).as("version of %s", p.getEventId()).isEqualTo(i / BATCH);
                assertThat(p.getEventTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L + i));
            }
            assertThat(predictions).extracting(Prediction::getModelVersion).contains(0L, 9L)
                    .allMatch(v -> v >= 0 && v <= 9);
            assertThat(service.failure()).isEmpty();
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        final Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.getBootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Reads the predictions topic from the beginning with read_committed until {@link #EVENTS} arrived and
     * one more quiet second shows that no duplicate follows.
     */
    private static List<Prediction> readPredictions(final ServiceConfig config, final Duration timeout) {
        final Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.getBootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final AvroSerde<Prediction> serde = AvroSerde.of(Prediction.class);
        final List<Prediction> got = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<TopicPartition> parts = List.of(new TopicPartition(config.predictionsTopic(), 0));
            c.assign(parts);
            c.seekToBeginning(parts);
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (got.size() < EVENTS) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out with " + got.size() + " of " + EVENTS + " predictions");
                }
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    got.add(serde.decode(r.value()));
                }
            }
            final long quietUntil = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < quietUntil) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    got.add(serde.decode(r.value()));
                }
            }
        }
        return got;
    }
}
