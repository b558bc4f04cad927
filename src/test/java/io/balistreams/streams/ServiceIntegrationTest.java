package io.balistreams.streams;

import io.balistreams.testing.Slow;
import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.Event;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.internal.LearnerModel;
import io.balistreams.avro.ModelTask;
import io.balistreams.avro.Prediction;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.Rng;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static io.balistreams.streams.BrokerTestSupport.decode;
import static io.balistreams.streams.BrokerTestSupport.sleep;
import static org.assertj.core.api.Assertions.assertThat;

/** The service against a real Kafka broker running inside the test JVM (KRaft, loopback). */
@Slow
class ServiceIntegrationTest {
    @RegisterExtension
    static final BrokerTestSupport.Broker kafka = new BrokerTestSupport.Broker();

    private final AvroSerde<Event> events = AvroSerde.of(Event.class);

    @TempDir
    Path tmp;

    private Map<String, String> settings(final String app) {
        return BrokerTestSupport.settings(kafka.bootstrapServers(), app, tmp.resolve("state").toString());
    }

    private static Event event(final String id, final String model, final double[] x, final Double label) {
        final List<Double> f = new ArrayList<>();
        for (final double v : x) {
            f.add(v);
        }
        return new Event(id, model, Instant.now(), f, label);
    }

    @Test
    void everyEventGetsExactlyOnePredictionAndModelsMetricsSnapshotsAndDeadLettersFlow() throws Exception {
        final ServiceConfig config = ServiceConfig.from(settings("e2e"));
        try (BaliService service = new BaliService(config)) {
            service.createTopics(1, java.util.Optional.empty());
            service.start();
            service.awaitRunning(Duration.ofSeconds(60));
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                final ModelConfig reg = ModelConfig.newBuilder().setModelId("reg").setTask(ModelTask.REGRESSION)
                        .setInputDimension(3).setHiddenLayers(List.of(8)).setBatchSize(4).build();
                producer.send(new ProducerRecord<>(config.modelConfigTopic(), "reg".getBytes(StandardCharsets.UTF_8),
                        AvroSerde.of(ModelConfig.class).encode(reg))).get();
                awaitConfig(service, "reg");

                final Rng rng = Rng.forStream(3, 0);
                final List<String> sent = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    final double a = rng.nextGaussian();
                    final double b = rng.nextGaussian();
                    send(producer, config, event("c" + i, "cls", new double[]{a, b}, a + b > 0 ? 1.0 : 0.0));
                    send(producer, config, event("r" + i, "reg", new double[]{a, b, 1}, 2 * a - b));
                    sent.add("c" + i);
                    sent.add("r" + i);
                }
                producer.send(new ProducerRecord<>(config.eventsTopic(), new byte[]{1, 2, 3})).get();
                send(producer, config, event("nan", "cls", new double[]{Double.NaN, 1}, null));
                send(producer, config, event("wide", "cls", new double[]{1, 2, 3}, null));
                producer.flush();

                final Map<String, List<byte[]>> out = readCommitted(config, Duration.ofSeconds(60), got ->
                        got.get(config.predictionsTopic()).size() >= 600 && got.get(config.deadLetterTopic()).size() >= 3);
                final List<Prediction> predictions = decode(out.get(config.predictionsTopic()), Prediction.class);
                assertThat(predictions).extracting(Prediction::getEventId).containsExactlyInAnyOrderElementsOf(sent);
                final Prediction lastReg = predictions.stream().filter(p -> p.getEventId().equals("r299")).findFirst().orElseThrow();
                assertThat(lastReg.getModelVersion()).isEqualTo(74); // 299 labels before it, batch 4
                assertThat(lastReg.getRegression().getStdTotal()).isPositive();
                final long regHits = predictions.stream().filter(p -> p.getModelId().equals("reg"))
                        .filter(p -> p.getLabelled()).count();
                assertThat(regHits).isEqualTo(300);
                final Prediction lastCls = predictions.stream().filter(p -> p.getEventId().equals("c299")).findFirst().orElseThrow();
                assertThat(lastCls.getModelVersion()).isEqualTo(37); // 299 labels, batch 8

                assertThat(decode(out.get(config.deadLetterTopic()), DeadLetter.class)).extracting(DeadLetter::getReason)
                        .containsExactlyInAnyOrder(DeadLetterReason.UNDECODABLE, DeadLetterReason.NON_FINITE_FEATURE,
                                DeadLetterReason.WRONG_DIMENSION);

                final Map<String, List<byte[]>> more = readCommitted(config, Duration.ofSeconds(30), got ->
                        got.get(config.metricsTopic()).size() >= 6 && got.get(config.snapshotsTopic()).size() >= 7 + 15);
                final List<ModelMetrics> metrics = decode(more.get(config.metricsTopic()), ModelMetrics.class);
                assertThat(metrics).filteredOn(m -> m.getModelId().equals("cls")).hasSize(3)
                        .allSatisfy(m -> assertThat(m.getCumulative()).containsKeys("accuracy", "kappa", "nll", "ece", "brier"));
                assertThat(metrics).filteredOn(m -> m.getModelId().equals("reg")).hasSize(3)
                        .allSatisfy(m -> assertThat(m.getCumulative()).containsKeys("rmse", "mae", "nll", "coverage95"));
                final List<ModelSnapshot> snapshots = decode(more.get(config.snapshotsTopic()), ModelSnapshot.class);
                assertThat(snapshots).filteredOn(s -> s.getModelId().equals("reg"))
                        .extracting(ModelSnapshot::getModelVersion).containsExactly(5L, 10L, 15L, 20L, 25L, 30L, 35L, 40L,
                                45L, 50L, 55L, 60L, 65L, 70L, 75L);
                assertThat(snapshots).filteredOn(s -> s.getModelId().equals("reg")).first()
                        .satisfies(s -> assertThat((((io.balistreams.avro.BaliModelState) s.getState())).getConfig().getLayerSizes()).containsExactly(3, 8, 1));
                assertThat(snapshots).filteredOn(s -> s.getModelId().equals("cls")).hasSize(7)
                        .first().satisfies(s -> assertThat((((io.balistreams.avro.BaliModelState) s.getState())).getConfig().getLayerSizes()).containsExactly(2, 16, 2));
            }
        }
    }

    /**
     * Distributed scoring on a real broker: two partitions and two stream threads, events keyed by event id
     * (so one model's events are scored in both tasks), labels keyed like their events and sent later,
     * shuffled and interleaved with a second wave of labelled events. Every event is predicted once, every
     * label is learned once, orphan and duplicate labels are dead-lettered, and the learner's metrics are
     * those of the predictions that were served.
     */
    @Test
    void distributedScoringOverTwoPartitionsServesEveryEventOnceAndLearnsEveryLabelOnce() throws Exception {
        final Map<String, String> s = settings("dist");
        s.put("bali.scoring", "distributed");
        s.put("bali.posterior.every", "1");
        s.put("num.stream.threads", "2");
        s.put("bali.model.task", "regression");
        s.put("bali.model.hidden", "8");
        final int waves = 200;
        s.put("bali.metrics.every", Integer.toString(2 * waves));
        final ServiceConfig config = ServiceConfig.from(s);
        final AvroSerde<io.balistreams.avro.Label> labels = AvroSerde.of(io.balistreams.avro.Label.class);
        final Rng rng = Rng.forStream(17, 0);
        final Map<String, double[]> x = new HashMap<>();
        final Map<String, Double> y = new HashMap<>();
        for (int i = 0; i < 2 * waves; i++) {
            final double[] f = {rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian()};
            final String id = (i < waves ? "u" : "l") + i;
            x.put(id, f);
            y.put(id, f[0] - 2 * f[1] + 0.5 * f[2] + 0.1 * rng.nextGaussian());
        }
        try (BaliService service = new BaliService(config)) {
            service.createTopics(2, java.util.Optional.empty());
            service.start();
            service.awaitRunning(Duration.ofSeconds(60));
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                // wave 1: unlabelled events, keyed by event id
                final List<String> waiting = new ArrayList<>();
                for (int i = 0; i < waves; i++) {
                    final String id = "u" + i;
                    producer.send(new ProducerRecord<>(config.eventsTopic(), id.getBytes(StandardCharsets.UTF_8),
                            events.encode(event(id, "m", x.get(id), null))));
                    waiting.add(id);
                }
                producer.flush();
                readCommitted(config, Duration.ofSeconds(60), got -> got.get(config.predictionsTopic()).size() >= waves);
                // wave 2: labelled events, interleaved with wave 1's labels in random order, then an orphan label
                // and a second label for an event already labelled
                for (int i = waves; i < 2 * waves; i++) {
                    final String id = "l" + i;
                    producer.send(new ProducerRecord<>(config.eventsTopic(), id.getBytes(StandardCharsets.UTF_8),
                            events.encode(event(id, "m", x.get(id), y.get(id)))));
                    final String labelled = waiting.remove((int) Math.floorMod(rng.nextLong(), (long) waiting.size()));
                    producer.send(new ProducerRecord<>(config.labelsTopic(), labelled.getBytes(StandardCharsets.UTF_8),
                            labels.encode(new io.balistreams.avro.Label(labelled, "m", y.get(labelled), Instant.now()))));
                }
                producer.send(new ProducerRecord<>(config.labelsTopic(), "nobody".getBytes(StandardCharsets.UTF_8),
                        labels.encode(new io.balistreams.avro.Label("nobody", "m", 1.0, Instant.now()))));
                producer.send(new ProducerRecord<>(config.labelsTopic(), "u0".getBytes(StandardCharsets.UTF_8),
                        labels.encode(new io.balistreams.avro.Label("u0", "m", 1.0, Instant.now()))));
                producer.flush();

                final Map<String, List<byte[]>> out = readCommitted(config, Duration.ofSeconds(90), got ->
                        got.get(config.predictionsTopic()).size() >= 2 * waves
                                && got.get(config.metricsTopic()).size() >= 1
                                && got.get(config.deadLetterTopic()).size() >= 2);
                final List<Prediction> predictions = decode(out.get(config.predictionsTopic()), Prediction.class);
                assertThat(predictions).extracting(Prediction::getEventId).doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(x.keySet());
                assertThat(predictions).filteredOn(p -> p.getEventId().startsWith("u"))
                        .allSatisfy(p -> assertThat(p.getModelVersion()).isZero());
                assertThat(decode(out.get(config.deadLetterTopic()), DeadLetter.class)).extracting(DeadLetter::getReason)
                        .containsExactlyInAnyOrder(DeadLetterReason.LABEL_UNKNOWN_EVENT, DeadLetterReason.LABEL_DUPLICATE);

                final List<ModelMetrics> metrics = decode(out.get(config.metricsTopic()), ModelMetrics.class);
                assertThat(metrics).hasSize(1);
                final ModelMetrics m = metrics.get(0);
                assertThat(m.getLabelsSeen()).isEqualTo(2L * waves);
                assertThat(m.getLabelsJoined()).isEqualTo(waves);
                assertThat(m.getModelVersion()).as("emitted just before the update its last label completes")
                        .isEqualTo(2L * waves / 8 - 1);
                double squares = 0;
                for (final Prediction p : predictions) {
                    final double r = y.get(p.getEventId()) - p.getRegression().getMean();
                    squares += r * r;
                }
                assertThat(m.getCumulative().get("rmse")).as("the metrics count the served predictions")
                        .isCloseTo(Math.sqrt(squares / (2 * waves)), org.assertj.core.api.Assertions.within(1e-9));

                // wave 3: after the last update, both scoring tasks serve its published posterior
                for (int i = 0; i < 20; i++) {
                    final String id = "late" + i;
                    producer.send(new ProducerRecord<>(config.eventsTopic(), id.getBytes(StandardCharsets.UTF_8),
                            events.encode(event(id, "m", new double[]{0.1 * i, 1, -1}, null))));
                }
                producer.flush();
                final List<Prediction> late = decode(readCommitted(config, Duration.ofSeconds(60), got ->
                        got.get(config.predictionsTopic()).size() >= 2 * waves + 20).get(config.predictionsTopic()),
                        Prediction.class).stream().filter(p -> p.getEventId().startsWith("late")).toList();
                assertThat(late).hasSize(20).allSatisfy(p -> assertThat(p.getModelVersion()).isEqualTo(2L * waves / 8));
            }
        }
    }

    /**
     * Kills the service process (SIGKILL) while it is processing, restarts it, and checks that a
     * read_committed consumer sees every prediction exactly once and that the final model is bit-identical
     * to the engine fed the same events without interruption.
     */
    @Test
    void eventsKeyedByModelAreLearnedInOneHopWithoutARepartitionTopic() throws Exception {
        final Map<String, String> s = settings("keyed");
        s.put("bali.events.keyed.by.model", "true");
        final ServiceConfig config = ServiceConfig.from(s);
        try (BaliService service = new BaliService(config)) {
            service.createTopics(1, java.util.Optional.empty());
            service.start();
            service.awaitRunning(Duration.ofSeconds(60));
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                final Rng rng = Rng.forStream(5, 0);
                for (int i = 0; i < 200; i++) {
                    final double a = rng.nextGaussian();
                    final double b = rng.nextGaussian();
                    for (final String model : List.of("m1", "m2")) {
                        producer.send(new ProducerRecord<>(config.eventsTopic(), model.getBytes(StandardCharsets.UTF_8),
                                events.encode(event(model + "-" + i, model, new double[]{a, b}, a + b > 0 ? 1.0 : 0.0))));
                    }
                }
                producer.send(new ProducerRecord<>(config.eventsTopic(), "m2".getBytes(StandardCharsets.UTF_8),
                        events.encode(event("misrouted", "m1", new double[]{1, 1}, 1.0))));
                producer.flush();

                final Map<String, List<byte[]>> out = readCommitted(config, Duration.ofSeconds(60), got ->
                        got.get(config.predictionsTopic()).size() >= 400 && got.get(config.deadLetterTopic()).size() >= 1);
                final List<Prediction> predictions = decode(out.get(config.predictionsTopic()), Prediction.class);
                assertThat(predictions).hasSize(400).extracting(Prediction::getEventId).doesNotHaveDuplicates()
                        .doesNotContain("misrouted");
                // 199 labels before the last event of each model, batch 8: version 24
                assertThat(predictions).filteredOn(p -> p.getEventId().endsWith("-199"))
                        .extracting(Prediction::getModelVersion).containsExactly(24L, 24L);
                assertThat(decode(out.get(config.deadLetterTopic()), DeadLetter.class)).singleElement()
                        .satisfies(d -> assertThat(d.getReason()).isEqualTo(DeadLetterReason.KEY_NOT_MODEL_ID));
            }
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                final java.util.Set<String> topics = admin.listTopics().names().get();
                assertThat(topics).anyMatch(t -> t.startsWith("keyed-bali-models"));
                assertThat(topics).noneMatch(t -> t.startsWith("keyed") && t.contains("events-by-model"));
            }
        }
    }

    @Test
    void aCrashInTheMiddleOfTheStreamLosesAndDuplicatesNothing() throws Exception {
        final Map<String, String> s = settings("crash");
        final ServiceConfig config = ServiceConfig.from(s);
        try (BaliService topics = new BaliService(config)) {
            topics.createTopics(1, java.util.Optional.empty());
        }
        final Path file = BrokerTestSupport.writeConfig(s, tmp.resolve("crash.properties"));
        final int total = 4000;
        final double[][] x = new double[total][];
        final int[] y = new int[total];
        final Rng rng = Rng.forStream(11, 0);
        for (int i = 0; i < total; i++) {
            x[i] = new double[]{rng.nextGaussian(), rng.nextGaussian()};
            y[i] = x[i][0] - x[i][1] > 0 ? 1 : 0;
        }

        final Process child = BrokerTestSupport.startRun(file, tmp, tmp.resolve("child.log"), "--no-create-topics");
        final Thread feeder;
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int i = 0; i < 200; i++) {
                send(producer, config, event("e" + i, "m", x[i], (double) y[i]));
            }
            producer.flush();
            readCommitted(config, Duration.ofSeconds(90), got -> got.get(config.predictionsTopic()).size() >= 100);
            // the child is running: feed the rest at a steady pace, so that the crash lands while events are in flight
            feeder = new Thread(() -> {
                for (int i = 200; i < total; i++) {
                    send(producer, config, event("e" + i, "m", x[i], (double) y[i]));
                    if (i % 100 == 99) {
                        producer.flush();
                        sleep(50);
                    }
                }
                producer.flush();
            });
            feeder.start();
            final int beforeCrash = readCommitted(config, Duration.ofSeconds(90),
                    got -> got.get(config.predictionsTopic()).size() >= 800).get(config.predictionsTopic()).size();
            child.destroyForcibly();
            child.waitFor();
            assertThat(child.exitValue()).as("killed, not exited").isNotZero();
            assertThat(beforeCrash).as("the crash came before the end of the stream").isLessThan(total - 1000);

            try (BaliService restarted = new BaliService(config)) {
                restarted.start();
                feeder.join();
                final Map<String, List<byte[]>> out = readCommitted(config, Duration.ofSeconds(90),
                        got -> got.get(config.predictionsTopic()).size() >= total);
                final List<Prediction> predictions = decode(out.get(config.predictionsTopic()), Prediction.class);
                final Map<String, Integer> seen = new HashMap<>();
                predictions.forEach(pr -> seen.merge(pr.getEventId(), 1, Integer::sum));
                assertThat(seen).hasSize(total);
                assertThat(seen.values()).allMatch(c -> c == 1);
                assertThat(predictions.size()).as("no duplicates for a read_committed consumer").isEqualTo(total);

                final BaliModel reference = new BaliModel(config.modelDefaults().toBaliConfig(2));
                for (int start = 0; start + 8 <= total; start += 8) {
                    reference.learn(java.util.Arrays.copyOfRange(x, start, start + 8),
                            java.util.Arrays.copyOfRange(y, start, start + 8));
                }
                final ReadOnlyKeyValueStore<String, byte[]> store = restarted.streams().store(
                        StoreQueryParameters.fromNameAndType(LearnerProcessor.MODEL_STORE, QueryableStoreTypes.keyValueStore()));
                final ModelSnapshot finalState = AvroSerde.of(LearnerModel.class).decode(store.get("m")).getSnapshot();
                assertThat(finalState.getModelVersion()).isEqualTo(total / 8);
                assertThat(ModelStateCodec.encode(ModelStateCodec.fromRecord(((io.balistreams.avro.BaliModelState) finalState.getState()))))
                        .isEqualTo(ModelStateCodec.encode(reference));
            }
        } finally {
            child.destroyForcibly();
        }
        assertThat(Files.readString(tmp.resolve("child.log"))).contains("bali run: application crash");
    }

    /**
     * Labels that come after their events survive a crash between the two: the service is killed with
     * SIGKILL after scoring unlabelled events, a new instance on an empty state directory restores the
     * waiting events from their changelog, and every label, sent afterwards in another order, joins its
     * event and is learned against the prediction that was served: the final model is bit-identical to the
     * online learner fed the same calls, no event is predicted twice, no label is dead-lettered.
     */
    @Test
    void delayedLabelsSurviveACrashBetweenTheEventAndItsLabel() throws Exception {
        final Map<String, String> s = settings("late");
        final ServiceConfig config = ServiceConfig.from(s);
        try (BaliService topics = new BaliService(config)) {
            topics.createTopics(1, java.util.Optional.empty());
        }
        final Path file = BrokerTestSupport.writeConfig(s, tmp.resolve("late.properties"));
        final int total = 400;
        final double[][] x = new double[total][];
        final int[] y = new int[total];
        final Rng rng = Rng.forStream(12, 0);
        for (int i = 0; i < total; i++) {
            x[i] = new double[]{rng.nextGaussian(), rng.nextGaussian()};
            y[i] = x[i][0] + x[i][1] > 0 ? 1 : 0;
        }
        final List<Integer> labelOrder = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            labelOrder.add(i);
        }
        java.util.Collections.shuffle(labelOrder, new java.util.Random(5));

        final Process child = BrokerTestSupport.startRun(file, tmp, tmp.resolve("late-child.log"), "--no-create-topics");
        final AvroSerde<io.balistreams.avro.Label> labels = AvroSerde.of(io.balistreams.avro.Label.class);
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int i = 0; i < total; i++) {
                final Event e = event("u" + i, "m", x[i], null);
                e.setEventTime(Instant.ofEpochMilli(1_000_000L + i));
                send(producer, config, e);
            }
            producer.flush();
            try {
                readCommitted(config, Duration.ofSeconds(90), got -> got.get(config.predictionsTopic()).size() >= total);
            } catch (final AssertionError e) {
                final String log = Files.readString(tmp.resolve("late-child.log"));
                throw new AssertionError(e.getMessage() + "; child alive: " + child.isAlive() + "; end of its log:\n"
                        + log.substring(Math.max(0, log.length() - 6000)), e);
            }
            child.destroyForcibly();
            child.waitFor();
            assertThat(child.exitValue()).as("killed, not exited").isNotZero();

            final Map<String, String> fresh = new LinkedHashMap<>(s);
            fresh.put("state.dir", tmp.resolve("late-fresh-state").toString());
            final ServiceConfig again = ServiceConfig.from(fresh);
            try (BaliService restarted = new BaliService(again)) {
                restarted.start();
                for (final int i : labelOrder) {
                    producer.send(new ProducerRecord<>(again.labelsTopic(), labels.encode(new io.balistreams.avro.Label(
                            "u" + i, "m", (double) y[i], Instant.ofEpochMilli(2_000_000L + i)))));
                }
                producer.flush();
                final Map<String, List<byte[]>> out = readCommitted(again, Duration.ofSeconds(90),
                        got -> got.get(again.metricsTopic()).size() >= total / 100);
                assertThat(decode(out.get(again.deadLetterTopic()), DeadLetter.class)).isEmpty();
                final List<Prediction> predictions = decode(out.get(again.predictionsTopic()), Prediction.class);
                assertThat(predictions).hasSize(total).extracting(Prediction::getEventId).doesNotHaveDuplicates();
                final ModelMetrics last = decode(out.get(again.metricsTopic()), ModelMetrics.class).get(total / 100 - 1);
                assertThat(last.getLabelsJoined()).isEqualTo(total);
                assertThat(last.getWaitingForLabels()).isZero();

                final OnlineLearner reference = OnlineLearner.create("m", config.modelDefaults().toBaliConfig(2),
                        List.of(), new LearnerSettings(config.monitorSettings(null), config.driftLoss(),
                                config.oodScore(), config.metricsEvery()));
                final List<ScoredEvent> scored = new ArrayList<>();
                for (int i = 0; i < total; i++) {
                    scored.add(reference.score(x[i], 1_000_000L + i));
                }
                for (final int i : labelOrder) {
                    reference.lateLabel(scored.get(i), y[i], 2_000_000L + i, 0);
                    if (reference.batchDue()) {
                        reference.learn();
                    }
                }
                assertThat(last.getCumulative()).isEqualTo(reference.cumulativeMetrics());
                final ReadOnlyKeyValueStore<String, byte[]> store = restarted.streams().store(
                        StoreQueryParameters.fromNameAndType(LearnerProcessor.MODEL_STORE, QueryableStoreTypes.keyValueStore()));
                final ModelSnapshot finalState = AvroSerde.of(LearnerModel.class).decode(store.get("m")).getSnapshot();
                assertThat(finalState.getModelVersion()).isEqualTo(total / 8);
                assertThat(ModelStateCodec.encode(ModelStateCodec.fromRecord(((io.balistreams.avro.BaliModelState) finalState.getState()))))
                        .isEqualTo(ModelStateCodec.encode(reference.model()));
            }
        } finally {
            child.destroyForcibly();
        }
    }

    /**
     * A 784→128→10 model's state is about 7 MB, far above Kafka's 1 MB default record size: the changelog
     * and snapshot topics must take it, and a new instance with an empty state directory must restore it.
     */
    @Test
    void aLargeModelStateFitsItsChangelogAndIsRestoredByAFreshInstance() throws Exception {
        final Map<String, String> s = settings("large");
        s.put("bali.model.input.dimension", "784");
        s.put("bali.model.hidden", "128");
        s.put("bali.model.classes", "10");
        s.put("bali.model.batch.size", "8");
        s.put("bali.snapshot.every", "1");
        s.put("bali.metrics.every", "16");
        final ServiceConfig config = ServiceConfig.from(s);
        final Rng rng = Rng.forStream(21, 0);
        final List<Event> batch = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            final double[] x = new double[784];
            for (int j = 0; j < x.length; j++) {
                x[j] = rng.nextDouble();
            }
            batch.add(event("L" + i, "big", x, (double) (i % 10)));
        }
        try (BaliService first = new BaliService(config); KafkaProducer<byte[], byte[]> producer = producer()) {
            first.createTopics(1, java.util.Optional.empty());
            first.start();
            first.awaitRunning(Duration.ofSeconds(60));
            batch.subList(0, 24).forEach(e -> send(producer, config, e));
            producer.flush();
            final Map<String, List<byte[]>> out = readCommitted(config, Duration.ofSeconds(60),
                    got -> got.get(config.snapshotsTopic()).size() >= 3 && got.get(config.metricsTopic()).size() >= 1);
            final ModelMetrics metrics = decode(out.get(config.metricsTopic()), ModelMetrics.class).get(0);
            assertThat(metrics.getStateBytes()).isGreaterThan(5_000_000L);
            assertThat(out.get(config.snapshotsTopic()).get(2).length).isGreaterThan(5_000_000);
        }
        // a new instance on an empty state directory restores the 7 MB state from the changelog
        final Map<String, String> fresh = new LinkedHashMap<>(s);
        fresh.put("state.dir", tmp.resolve("fresh-state").toString());
        final ServiceConfig again = ServiceConfig.from(fresh);
        try (BaliService second = new BaliService(again); KafkaProducer<byte[], byte[]> producer = producer()) {
            second.start();
            second.awaitRunning(Duration.ofSeconds(60));
            batch.subList(24, 32).forEach(e -> send(producer, again, e));
            producer.flush();
            final Map<String, List<byte[]>> out = readCommitted(again, Duration.ofSeconds(60),
                    got -> got.get(again.snapshotsTopic()).size() >= 4);
            final List<Prediction> predictions = decode(out.get(again.predictionsTopic()), Prediction.class);
            assertThat(predictions).hasSize(32);
            assertThat(predictions.get(24).getModelVersion()).as("continues from the restored version").isEqualTo(3);
            assertThat(decode(out.get(again.snapshotsTopic()), ModelSnapshot.class))
                    .extracting(ModelSnapshot::getModelVersion).containsExactly(1L, 2L, 3L, 4L);
        }
    }

    /** A planted concept drift produces a DriftAlert and drift states in predictions; a far-away input is flagged. */
    @Test
    void aPlantedDriftIsAlertedAndFarAwayInputsAreFlaggedThroughTheBroker() throws Exception {
        final Map<String, String> s = settings("drift");
        s.put("bali.model.beta", "0.95");
        final ServiceConfig config = ServiceConfig.from(s);
        try (BaliService service = new BaliService(config); KafkaProducer<byte[], byte[]> producer = producer()) {
            service.createTopics(1, java.util.Optional.empty());
            service.start();
            service.awaitRunning(Duration.ofSeconds(60));
            final Rng rng = Rng.forStream(12, 0);
            for (int i = 0; i < 6000; i++) {
                final double a = rng.nextGaussian();
                final double b = rng.nextGaussian();
                final double label = (i < 3000) == (a + b > 0) ? 1.0 : 0.0; // the rule flips at event 3000
                send(producer, config, event("d" + i, "m", new double[]{a, b}, label));
            }
            send(producer, config, event("far", "m", new double[]{40, -40}, null));
            producer.flush();
            final Map<String, List<byte[]>> out = readCommitted(config, Duration.ofSeconds(90),
                    got -> got.get(config.predictionsTopic()).size() >= 6001);
            final List<io.balistreams.avro.DriftAlert> alerts = decode(out.get(config.driftAlertsTopic()),
                    io.balistreams.avro.DriftAlert.class);
            final io.balistreams.avro.DriftAlert first = alerts.stream()
                    .filter(a -> a.getLevel() == io.balistreams.avro.DriftLevel.DRIFT).findFirst().orElseThrow();
            assertThat(first.getDetector()).isEqualTo("ADWIN/loss");
            assertThat(first.getModelId()).isEqualTo("m");
            assertThat(first.getPosition()).isBetween(3000L, 3400L);
            assertThat(first.getAction()).contains("beta 0.95 -> 0.9," /* N_eff halved: 1 − 0.05/0.5 */);
            final List<Prediction> predictions = decode(out.get(config.predictionsTopic()), Prediction.class);
            assertThat(predictions.get((int) first.getPosition() + 40).getDriftState())
                    .isEqualTo(io.balistreams.avro.DriftState.DRIFT);
            final Prediction far = predictions.get(6000);
            assertThat(far.getEventId()).isEqualTo("far");
            assertThat(far.getOodFlag()).isTrue();
            assertThat(far.getOodScore()).isGreaterThan(far.getOodThreshold());
        }
    }

    /** {@code bali run} stops gracefully on SIGTERM: it commits and leaves the consumer group at once. */
    @Test
    void runStopsGracefullyOnSigtermAndLeavesTheGroup() throws Exception {
        final Map<String, String> s = settings("sigterm");
        final ServiceConfig config = ServiceConfig.from(s);
        final Path file = BrokerTestSupport.writeConfig(s, tmp.resolve("sigterm.properties"));
        final Process child = BrokerTestSupport.startRun(file, tmp, tmp.resolve("sigterm.log"));
        try (KafkaProducer<byte[], byte[]> producer = producer();
             org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                     Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) { // the child creates the topics itself
                try {
                    send(producer, config, event("t0", "m", new double[]{1, 2}, 1.0));
                    producer.flush();
                    break;
                } catch (final RuntimeException notYet) {
                    assertThat(System.nanoTime()).isLessThan(deadline);
                    Thread.sleep(200);
                }
            }
            readCommitted(config, Duration.ofSeconds(60), got -> got.get(config.predictionsTopic()).size() >= 1);
            assertThat(admin.describeConsumerGroups(List.of("sigterm")).all().get().get("sigterm").members()).hasSize(1);
            child.destroy(); // SIGTERM
            assertThat(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("exits within 30 s").isTrue();
            // the member left the group when it closed, instead of timing out after session.timeout.ms
            assertThat(admin.describeConsumerGroups(List.of("sigterm")).all().get().get("sigterm").members()).isEmpty();
        } finally {
            child.destroyForcibly();
        }
    }

    private void send(final KafkaProducer<byte[], byte[]> producer, final ServiceConfig config, final Event e) {
        producer.send(new ProducerRecord<>(config.eventsTopic(), events.encode(e)));
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return BrokerTestSupport.producer(kafka.bootstrapServers());
    }

    private static void awaitConfig(final BaliService service, final String modelId) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            final ReadOnlyKeyValueStore<String, byte[]> store = service.streams().store(
                    StoreQueryParameters.fromNameAndType(LearnerProcessor.CONFIG_STORE, QueryableStoreTypes.keyValueStore()));
            if (store.get(modelId) != null) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("model-config entry " + modelId + " never reached the global store");
    }

    /** Reads the output topics from the beginning with read_committed until {@code done} or the timeout. */
    private static Map<String, List<byte[]>> readCommitted(final ServiceConfig config, final Duration timeout,
                                                           final Predicate<Map<String, List<byte[]>>> done) {
        return BrokerTestSupport.readCommitted(kafka.bootstrapServers(), BrokerTestSupport.outputTopics(config),
                timeout, done);
    }
}
