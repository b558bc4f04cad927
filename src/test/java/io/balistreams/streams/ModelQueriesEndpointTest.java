package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.balistreams.avro.Event;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.BaliModelState;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.RegressionPrediction;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model queries over real HTTP on two instances of one application: the listing from either instance names every
 * model once with its true counters; a request to the instance that does not hold a model is forwarded to the one
 * that does (its {@code X-Bali-Instance} says which answered); the snapshot downloaded through the other instance is
 * the model that the prediction endpoint scores with (the same predictive, recomputed here from the snapshot); a
 * query's score changes no counter; bad requests get 4xx with the reason.
 */
@Slow
class ModelQueriesEndpointTest {
    private static final int PARTITIONS = 4;
    private static final int EVENTS_PER_MODEL = 64;

    @RegisterExtension
    static final BrokerTestSupport.Broker kafka = new BrokerTestSupport.Broker();

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void eitherInstanceAnswersForEveryModelAndForwardsToItsHolder() throws Exception {
        final List<String> models = modelsCoveringEveryPartition();
        final Map<String, String> s = BrokerTestSupport.settings(kafka.bootstrapServers(), "queries", "unused");
        s.put("bali.http.port", "0");
        s.put("bali.model.task", "regression");
        s.put("bali.model.input.dimension", "3");
        s.put("bali.model.hidden", "");
        final List<BaliService> services = new ArrayList<>();
        try {
            for (final String dir : List.of("a", "b")) {
                final Map<String, String> own = new LinkedHashMap<>(s);
                own.put("state.dir", tmp.resolve(dir).toString());
                final BaliService service = new BaliService(ServiceConfig.from(own));
                services.add(service);
                if (dir.equals("a")) {
                    service.createTopics(PARTITIONS, Optional.empty());
                }
                service.start();
            }
            final ServiceConfig config = services.get(0).config();
            final AvroSerde<Event> events = AvroSerde.of(Event.class);
            final int portA = services.get(0).httpPort().orElseThrow();
            final int portB = services.get(1).httpPort().orElseThrow();
            awaitBothHoldModels(services, models);

            // 64 labelled events per model, y = x·w_m + noise; batch 8: 8 updates each
            final Rng rng = Rng.forStream(11, 0);
            try (KafkaProducer<byte[], byte[]> producer = BrokerTestSupport.producer(kafka.bootstrapServers())) {
                for (int i = 0; i < EVENTS_PER_MODEL; i++) {
                    for (int m = 0; m < models.size(); m++) {
                        final double a = rng.nextGaussian();
                        final double b = rng.nextGaussian();
                        final double c = rng.nextGaussian();
                        final double y = (m + 1) * a - b + 0.5 * c + 0.1 * rng.nextGaussian();
                        final Event e = new Event("e" + i, models.get(m), Instant.now(), List.of(a, b, c), y);
                        producer.send(new ProducerRecord<>(config.eventsTopic(), null, events.encode(e)));
                    }
                }
                producer.flush();
            }
            final int total = EVENTS_PER_MODEL * models.size();
            BrokerTestSupport.readCommitted(kafka.bootstrapServers(), List.of(config.predictionsTopic()),
                    Duration.ofSeconds(90), got -> got.get(config.predictionsTopic()).size() >= total);

            // the listing, from either instance: every model once, with its counters, from both instances
            for (final int port : List.of(portA, portB)) {
                final JsonNode listing = json.readTree(get(port, "/models").body());
                final Set<String> listed = new HashSet<>();
                final Set<String> holders = new HashSet<>();
                for (final JsonNode model : listing.get("models")) {
                    assertThat(listed.add(model.get("modelId").asText())).isTrue();
                    holders.add(model.get("instance").asText());
                    assertThat(model.get("eventsScored").asLong()).isEqualTo(EVENTS_PER_MODEL);
                    assertThat(model.get("labelsSeen").asLong()).isEqualTo(EVENTS_PER_MODEL);
                    assertThat(model.get("modelVersion").asLong()).isEqualTo(EVENTS_PER_MODEL / 8);
                    assertThat(model.get("task").asText()).isEqualTo("REGRESSION");
                }
                assertThat(listed).containsExactlyInAnyOrderElementsOf(models);
                assertThat(holders).containsExactlyInAnyOrder("localhost:" + portA, "localhost:" + portB);
                assertThat(listing.get("instances")).hasSize(2);
                assertThat(listing.get("instances").findValues("error")).isEmpty();
            }
            assertThat(json.readTree(get(portA, "/models?scope=local").body()).get("instances")).hasSize(1);

            int forwarded = 0;
            for (final String model : models) {
                final HttpResponse<String> detail = get(portA, "/models/" + model);
                assertThat(detail.statusCode()).isEqualTo(200);
                final String holder = detail.headers().firstValue("X-Bali-Instance").orElseThrow();
                final HostInfo owner = services.get(0).queries().orElseThrow().owner(model).orElseThrow();
                assertThat(holder).isEqualTo(owner.host() + ":" + owner.port());
                if (holder.equals("localhost:" + portB)) {
                    forwarded++;
                }
                final JsonNode d = json.readTree(detail.body());
                assertThat(d.get("modelId").asText()).isEqualTo(model);
                assertThat(d.get("configuration").get("layerSizes").toString()).isEqualTo("[3,1]");
                assertThat(d.get("configuration").get("batchSize").asInt()).isEqualTo(8);
                assertThat(d.get("monitoring").get("driftDetector").asText()).isEqualTo("ADWIN");
                assertThat(d.get("stateBytes").asInt()).isGreaterThan(0);

                // the snapshot, through instance A, and the predictive it implies
                final HttpResponse<byte[]> raw = http.send(request(portA, "/models/" + model + "/snapshot").build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(raw.statusCode()).isEqualTo(200);
                final ModelSnapshot snapshot = AvroSerde.of(ModelSnapshot.class).decode(raw.body());
                assertThat(snapshot.getModelId()).isEqualTo(model);
                assertThat(snapshot.getModelVersion()).isEqualTo(EVENTS_PER_MODEL / 8);
                final BaliModel engine = ModelStateCodec.fromRecord((BaliModelState) snapshot.getState());
                final double[] x = {0.3, -1.2, 0.7};
                final RegressionPrediction expected = engine.predict(x);

                final HttpResponse<String> scored = post(portA, "/models/" + model + "/predict",
                        "{\"features\":[0.3,-1.2,0.7],\"eventId\":\"q1\"}");
                assertThat(scored.statusCode()).isEqualTo(200);
                final JsonNode p = json.readTree(scored.body());
                assertThat(p.get("eventId").asText()).isEqualTo("q1");
                assertThat(p.get("modelVersion").asLong()).isEqualTo(EVENTS_PER_MODEL / 8);
                assertThat(p.get("labelled").asBoolean()).isFalse();
                assertThat(p.get("regression").get("mean").asDouble()).isCloseTo(expected.mean(), within(1e-9));
                assertThat(p.get("regression").get("stdTotal").asDouble()).isCloseTo(expected.standardDeviation(), within(1e-9));
                assertThat(p.get("eventTime").asText()).endsWith("Z");

                // a query is not an event: nothing was counted
                assertThat(json.readTree(get(portB, "/models/" + model).body()).get("eventsScored").asLong())
                        .isEqualTo(EVENTS_PER_MODEL);
            }
            assertThat(forwarded).isBetween(1, models.size() - 1);

            // the posterior cached for the predictions follows the model: 8 more labels, one more update
            final String first = models.get(0);
            try (KafkaProducer<byte[], byte[]> producer = BrokerTestSupport.producer(kafka.bootstrapServers())) {
                for (int i = 0; i < 8; i++) {
                    producer.send(new ProducerRecord<>(config.eventsTopic(), null, events.encode(new Event("more" + i,
                            first, Instant.now(), List.of(1.0, 2.0, 3.0), 5.0))));
                }
            }
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            JsonNode again = json.readTree(post(portB, "/models/" + first + "/predict", "{\"features\":[0.3,-1.2,0.7]}").body());
            while (again.get("modelVersion").asLong() != EVENTS_PER_MODEL / 8 + 1) {
                assertThat(System.nanoTime()).as("the prediction comes from version 9").isLessThan(deadline);
                BrokerTestSupport.sleep(100);
                again = json.readTree(post(portB, "/models/" + first + "/predict", "{\"features\":[0.3,-1.2,0.7]}").body());
            }
            final ModelSnapshot newer = AvroSerde.of(ModelSnapshot.class).decode(http.send(request(portB, "/models/"
                    + first + "/snapshot").build(), HttpResponse.BodyHandlers.ofByteArray()).body());
            assertThat(newer.getModelVersion()).isEqualTo(EVENTS_PER_MODEL / 8 + 1);
            assertThat(again.get("regression").get("mean").asDouble()).isCloseTo(ModelStateCodec.fromRecord(
                    (BaliModelState) newer.getState()).predict(new double[] {0.3, -1.2, 0.7}).mean(), within(1e-9));

            // errors, from both sides of the forward
            final String model = models.get(0);
            assertThat(get(portA, "/models/nobody").statusCode()).isEqualTo(404);
            assertThat(json.readTree(get(portB, "/models/nobody").body()).get("error").asText())
                    .contains("model nobody does not exist");
            final HttpResponse<String> wrongWidth = post(portA, "/models/" + model + "/predict", "{\"features\":[1,2]}");
            assertThat(wrongWidth.statusCode()).isEqualTo(400);
            assertThat(wrongWidth.body()).contains("takes 3 features, got 2");
            assertThat(post(portB, "/models/" + model + "/predict", "{\"features\":[1,\"x\",2]}").statusCode())
                    .isEqualTo(400);
            assertThat(post(portA, "/models/" + model + "/predict", "not json").statusCode()).isEqualTo(400);
            assertThat(get(portA, "/models/" + model + "/predict").statusCode()).isEqualTo(405);
            assertThat(get(portA, "/models/" + model + "/nothing").statusCode()).isEqualTo(404);
            assertThat(get(portA, "/modelsx").statusCode()).isEqualTo(404);
            // path segments are percent-decoded; a '+' in a path is a plus
            assertThat(get(portA, "/models/a%2Fb%20c+d").body()).contains("model a/b c+d does not exist");
        } finally {
            for (final BaliService service : services) {
                service.close();
            }
        }
    }

    /** Model ids whose keys hash to every one of the partitions, so both instances hold some. */
    private static List<String> modelsCoveringEveryPartition() {
        final List<String> ids = new ArrayList<>();
        final Set<Integer> covered = new HashSet<>();
        for (int i = 0; covered.size() < PARTITIONS; i++) {
            final String id = "model-" + i;
            if (covered.add(Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % PARTITIONS)) {
                ids.add(id);
            }
        }
        return ids;
    }

    /** Waits until both instances run and the models' learner tasks are split between them. */
    private static void awaitBothHoldModels(final List<BaliService> services, final List<String> models) {
        final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            final Set<HostInfo> owners = new HashSet<>();
            for (final String m : models) {
                services.get(0).queries().orElseThrow().owner(m).ifPresent(owners::add);
            }
            if (owners.size() == 2 && services.stream().allMatch(
                    x -> x.streams().state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING)) {
                return;
            }
            assertThat(System.nanoTime()).as("both instances hold learner tasks").isLessThan(deadline);
            BrokerTestSupport.sleep(200);
        }
    }

    private HttpRequest.Builder request(final int port, final String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
    }

    private HttpResponse<String> get(final int port, final String path) throws Exception {
        return http.send(request(port, path).GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> post(final int port, final String path, final String body) throws Exception {
        return http.send(request(port, path).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
