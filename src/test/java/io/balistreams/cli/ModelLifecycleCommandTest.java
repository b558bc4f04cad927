package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.DriftDetectorName;
import io.balistreams.avro.Event;
import io.balistreams.avro.ModelConfig;
import io.balistreams.bali.Rng;
import io.balistreams.local.EmbeddedKafka;
import io.balistreams.streams.BaliService;
import io.balistreams.streams.ServiceConfig;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.testing.Slow;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bali model import}, {@code reset} and {@code delete} against a running service, watched through its model
 * queries: an imported copy serves from its source's version, a reset model is back at version 0 with the settings of
 * its model-config entry kept, a deleted model is gone and its events dead-lettered; a file that is not a snapshot is
 * one error line.
 */
@Slow
class ModelLifecycleCommandTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void importResetAndDeleteAModelOfARunningService(@TempDir final Path dir) throws Exception {
        try (EmbeddedKafka kafka = new EmbeddedKafka()) {
            final Map<String, String> settings = new HashMap<>();
            settings.put("bootstrap.servers", kafka.bootstrapServers());
            settings.put("application.id", "lifecycle");
            settings.put("state.dir", dir.resolve("state").toString());
            settings.put("commit.interval.ms", "100");
            settings.put("bali.model.hidden", "8");
            settings.put("bali.model.batch.size", "8");
            settings.put("bali.batch.max.wait.ms", "0");
            settings.put("bali.http.port", "0");
            final ServiceConfig config = ServiceConfig.from(settings);
            final String bootstrap = kafka.bootstrapServers();
            try (BaliService service = new BaliService(config);
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                         new ByteArraySerializer(), new ByteArraySerializer())) {
                service.createTopics(1, java.util.Optional.empty());
                service.start();
                service.awaitRunning(Duration.ofSeconds(60));
                final int port = service.httpPort().orElseThrow();
                // model m's entry turns its drift detector off: a reset must keep that
                producer.send(new ProducerRecord<>(config.modelConfigTopic(), "m".getBytes(StandardCharsets.UTF_8),
                        AvroSerde.of(ModelConfig.class).encode(ModelConfig.newBuilder().setModelId("m")
                                .setDriftDetector(DriftDetectorName.NONE).build()))).get();
                Thread.sleep(500); // the global store has it before the first event
                send(producer, config, "m", 200, true); // 25 updates
                JsonNode m = await(port, "m", n -> n.path("modelVersion").asLong() == 25);
                assertThat(m.get("monitoring").get("driftDetector").asText()).isEqualTo("NONE");

                final Path file = dir.resolve("m.snapshot");
                Files.write(file, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/models/m/snapshot")).build(), HttpResponse.BodyHandlers.ofByteArray()).body());

                final CliRun imported = CliRun.of("model", "import", "--model", "copy", "--file", file.toString(),
                        "--bootstrap-servers", bootstrap);
                assertThat(imported.code()).as(imported.err()).isZero();
                assertThat(imported.out()).matches("(?s)model copy: generation \\d{13} written to model-config \\(.* "
                        + "bytes\\); the model starts from the snapshot of m at version 25 \\(one model\\): at once if it "
                        + "exists, else with its first event\\s*");
                Thread.sleep(500);
                send(producer, config, "copy", 1, false);
                final JsonNode copy = await(port, "copy", n -> n.path("eventsScored").asLong() == 1);
                assertThat(copy.get("modelVersion").asLong()).isEqualTo(25);
                assertThat(copy.get("modelConfigEntry").get("initialSnapshot").get("bytes").asLong())
                        .isEqualTo(Files.size(file));

                final CliRun reset = CliRun.of("model", "reset", "--model", "m", "--bootstrap-servers", bootstrap);
                assertThat(reset.code()).as(reset.err()).isZero();
                m = await(port, "m", n -> n.path("modelVersion").asLong() == 0);
                assertThat(m.get("eventsScored").asLong()).isZero();
                assertThat(m.get("monitoring").get("driftDetector").asText()).isEqualTo("NONE");

                final CliRun delete = CliRun.of("model", "delete", "--model", "m", "--bootstrap-servers", bootstrap);
                assertThat(delete.code()).as(delete.err()).isZero();
                assertThat(delete.out()).contains("dead-lettered (MODEL_DELETED) until bali model reset");
                awaitStatus(port, "m", 404);
                assertThat(get(port, "/models/m").body()).containsPattern("model m was deleted by generation \\d{13} of "
                        + "its model-config entry \\(bali model reset brings it back\\)");
                // its Prometheus series end with it; the copy's stay
                final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (get(port, "/metrics").body().contains("model=\"m\"")) {
                    assertThat(System.nanoTime()).as("model m's series are gone").isLessThan(deadline);
                    Thread.sleep(100);
                }
                assertThat(get(port, "/metrics").body()).contains("bali_events_scored_total{model=\"copy\"} 1.0");
                send(producer, config, "m", 1, true);
                final DeadLetter letter = awaitDeadLetter(bootstrap, config.deadLetterTopic());
                assertThat(letter.getReason()).isEqualTo(DeadLetterReason.MODEL_DELETED);
                assertThat(letter.getModelId()).isEqualTo("m");
                // the copy lives on
                assertThat(json.readTree(get(port, "/models/copy").body()).get("modelVersion").asLong()).isEqualTo(25);

                Files.writeString(dir.resolve("junk"), "not a snapshot");
                final CliRun junk = CliRun.of("model", "import", "--model", "x", "--file", dir.resolve("junk").toString(),
                        "--bootstrap-servers", bootstrap);
                assertThat(junk.code()).isEqualTo(1);
                assertThat(junk.err()).startsWith("error: " + dir.resolve("junk") + " is not a model snapshot");
            }
        }
    }

    /** {@code n} events of the model, labelled or not. */
    private static void send(final KafkaProducer<byte[], byte[]> producer, final ServiceConfig config,
                             final String model, final int n, final boolean labelled) throws Exception {
        final AvroSerde<Event> events = AvroSerde.of(Event.class);
        final Rng rng = Rng.forStream(model.hashCode(), n);
        for (int i = 0; i < n; i++) {
            final double a = rng.nextGaussian();
            final double b = rng.nextGaussian();
            producer.send(new ProducerRecord<>(config.eventsTopic(), null, events.encode(new Event(model + "-" + i,
                    model, Instant.now(), List.of(a, b), labelled ? (a - b > 0 ? 1.0 : 0.0) : null))));
        }
        producer.flush();
    }

    /** GET /models/{id} until the answer is 200 and satisfies {@code done}. */
    private JsonNode await(final int port, final String model, final Predicate<JsonNode> done) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            final HttpResponse<String> r = get(port, "/models/" + model);
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200) {
                final JsonNode node = json.readTree(r.body());
                if (done.test(node)) {
                    return node;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("model " + model + " never got there; last answer " + last);
    }

    private void awaitStatus(final int port, final String model, final int status) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (get(port, "/models/" + model).statusCode() != status) {
            assertThat(System.nanoTime()).as("GET /models/%s answers %d", model, status).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private HttpResponse<String> get(final int port, final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static DeadLetter awaitDeadLetter(final String bootstrap, final String topic) {
        final Map<String, Object> c = new HashMap<>();
        c.put("bootstrap.servers", bootstrap);
        c.put("isolation.level", "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(consumer.assignment());
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    return AvroSerde.of(DeadLetter.class).decode(r.value());
                }
            }
        }
        throw new AssertionError("no dead letter within 60 s");
    }
}
