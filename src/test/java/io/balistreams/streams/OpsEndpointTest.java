package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.balistreams.avro.Event;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelTask;
import io.balistreams.bali.Rng;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.testing.Slow;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operators' HTTP endpoint of a running service, over real HTTP: Prometheus series that count exactly what
 * was sent (events scored, labels, updates, dead letters), the model's version and windowed accuracy, Kafka
 * Streams' and the JVM's own series, and the health checks.
 */
@Slow
class OpsEndpointTest {
    @RegisterExtension
    static final BrokerTestSupport.Broker kafka = new BrokerTestSupport.Broker();

    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path tmp;

    @Test
    void metricsCountWhatWasSentAndHealthFollowsTheClient() throws Exception {
        final Map<String, String> settings = BrokerTestSupport.settings(kafka.bootstrapServers(), "ops",
                tmp.resolve("state").toString());
        settings.put("bali.http.port", "0");
        settings.put("bali.metrics.every", "100");
        final ServiceConfig config = ServiceConfig.from(settings);
        final int port;
        try (BaliService service = new BaliService(config)) {
            service.createTopics(1, java.util.Optional.empty());
            assertThat(service.httpPort()).isPresent(); // bound at construction, to advertise it
            service.start();
            port = service.httpPort().orElseThrow();
            service.awaitRunning(Duration.ofSeconds(60));
            assertThat(get(port, "/health/live")).isEqualTo("200 {\"status\":\"UP\",\"state\":\"RUNNING\"}");
            assertThat(get(port, "/health/ready")).isEqualTo("200 {\"status\":\"UP\",\"state\":\"RUNNING\"}");

            // 300 labelled events of model "m" (batch 8: 37 updates), 20 unlabelled ones, one undecodable record;
            // and 400 of a regression model "r" (its model-config entry first) that changes, for the regression
            // series and a drift alarm
            final AvroSerde<Event> events = AvroSerde.of(Event.class);
            final Rng rng = Rng.forStream(5, 0);
            try (KafkaProducer<byte[], byte[]> producer = BrokerTestSupport.producer(kafka.bootstrapServers())) {
                producer.send(new ProducerRecord<>(config.modelConfigTopic(), "r".getBytes(StandardCharsets.UTF_8),
                        AvroSerde.of(ModelConfig.class).encode(ModelConfig.newBuilder().setModelId("r")
                                .setTask(ModelTask.REGRESSION).build()))).get();
                BrokerTestSupport.readCommitted(kafka.bootstrapServers(), List.of(config.validModelConfigTopic()),
                        Duration.ofSeconds(60), got -> !got.get(config.validModelConfigTopic()).isEmpty());
                for (int i = 0; i < 400; i++) {
                    final double a = rng.nextGaussian();
                    final double b = rng.nextGaussian();
                    // from event 150 on, another function: the monitor raises an alarm
                    producer.send(new ProducerRecord<>(config.eventsTopic(), null, events.encode(
                            new Event("r" + i, "r", Instant.now(), List.of(a, b), i < 150 ? a - b : 20 + 5 * a * b))));
                }
                for (int i = 0; i < 320; i++) {
                    final double a = rng.nextGaussian();
                    final double b = rng.nextGaussian();
                    final Event e = new Event("e" + i, "m", Instant.now(), List.of(a, b),
                            i < 300 ? (a + b > 0 ? 1.0 : 0.0) : null);
                    producer.send(new ProducerRecord<>(config.eventsTopic(), null, events.encode(e)));
                }
                producer.send(new ProducerRecord<>(config.eventsTopic(), new byte[] {1, 2, 3})).get();
            }
            BrokerTestSupport.readCommitted(kafka.bootstrapServers(), List.of(config.predictionsTopic(),
                    config.deadLetterTopic()), Duration.ofSeconds(60), got -> got.get(config.predictionsTopic()).size()
                    >= 720 && got.get(config.deadLetterTopic()).size() >= 1);

            final String scrape = get(port, "/metrics");
            assertThat(scrape).startsWith("200 ");
            assertThat(value(scrape, "bali_events_scored_total{model=\"m\"}")).isEqualTo(320);
            assertThat(value(scrape, "bali_labels_total{model=\"m\"}")).isEqualTo(300);
            assertThat(value(scrape, "bali_updates_total{model=\"m\",outcome=\"accepted\"}")).isEqualTo(37);
            assertThat(value(scrape, "bali_updates_total{model=\"m\",outcome=\"rejected\"}")).isZero();
            assertThat(value(scrape, "bali_model_version{model=\"m\"}")).isEqualTo(37);
            assertThat(value(scrape, "bali_scoring_seconds_count{model=\"m\"}")).isEqualTo(320);
            assertThat(value(scrape, "bali_update_seconds_count{model=\"m\"}")).isEqualTo(37);
            assertThat(value(scrape, "bali_update_seconds_bucket{model=\"m\",le=\"+Inf\"}")).isEqualTo(37);
            assertThat(value(scrape, "bali_dead_letters_total{reason=\"undecodable\"}")).isEqualTo(1);
            // three metrics records (every 100 labels): the last window's accuracy on a separable stream
            assertThat(value(scrape, "bali_window_accuracy{model=\"m\"}")).isBetween(0.8, 1.0);
            assertThat(value(scrape, "bali_state_bytes{model=\"m\"}")).isGreaterThan(1000);
            assertThat(value(scrape, "bali_drift_state{model=\"m\"}")).isIn(0.0, 1.0, 2.0);
            assertThat(scrape).contains("kafka_stream_thread_").contains("jvm_memory_used_bytes{")
                    .contains("process_uptime_seconds");
            assertThat(value(scrape, "bali_window_rmse{model=\"r\"}")).isPositive();
            assertThat(scrape).containsPattern("(?m)^bali_drift_alarms_total\\{detector=\"[^\"]+\",level=\"drift\",model=\"r\"} ");
            assertThat(get(port, "/nothing")).startsWith("404 ");
            everyMetricOfTheDashboardIsInTheScrape(scrape);
        }
        assertThatThrownBy(() -> get(port, "/health/live")).isInstanceOf(java.io.IOException.class);
    }

    /**
     * docker/grafana/dashboards/bali-streams.json queries only series this service exports: every metric name in its
     * PromQL (bali_*, kafka_*, jvm_*, process_*) is a series of the scrape; and it has the panels an operator needs.
     */
    private static void everyMetricOfTheDashboardIsInTheScrape(final String scrape) throws Exception {
        final com.fasterxml.jackson.databind.JsonNode dashboard = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Path.of("docker/grafana/dashboards/bali-streams.json").toFile());
        final java.util.Set<String> names = new java.util.TreeSet<>();
        final List<String> titles = new java.util.ArrayList<>();
        for (final com.fasterxml.jackson.databind.JsonNode panel : dashboard.get("panels")) {
            titles.add(panel.get("title").asText());
            for (final com.fasterxml.jackson.databind.JsonNode target : panel.get("targets")) {
                final Matcher m = Pattern.compile("\\b((?:bali|kafka|jvm|process)_[a-z0-9_]+)\\b")
                        .matcher(target.get("expr").asText());
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        assertThat(names).hasSizeGreaterThanOrEqualTo(15);
        for (final String name : names) {
            assertThat(Pattern.compile("(?m)^" + Pattern.quote(name) + "[{ ]").matcher(scrape).find())
                    .as("the dashboard's metric %s in a scrape of the service", name).isTrue();
        }
        assertThat(String.join("|", titles)).contains("Events scored per second", "Updates per second",
                "Consumer lag", "latency", "Accuracy", "RMSE", "NLL", "Drift state", "Drift alarms",
                "Out-of-distribution flag rate", "Model state size");
    }

    private String get(final int port, final String path) throws Exception {
        final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return r.statusCode() + " " + r.body().strip();
    }

    /** The value of the series written exactly as {@code series} in a scrape. */
    private static double value(final String scrape, final String series) {
        final Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        assertThat(m.find()).as("series %s in the scrape", series).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
