package io.balistreams.streams;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.internal.LearnerModel;
import io.balistreams.avro.ModelTask;
import io.balistreams.avro.Prediction;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.balistreams.streams.TopologyHarness.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LearnerTopologyTest {
    @TempDir
    Path stateDir;

    /** Two separable Gaussian blobs in 2-D; label 1 when x0 + x1 > 0. */
    private static double[][] blobs(final int n, final long seed, final int[] labels) {
        final Rng rng = Rng.forStream(seed, 0);
        final double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            labels[i] = (int) (rng.nextLong() & 1);
            final double c = labels[i] == 1 ? 1.5 : -1.5;
            x[i] = new double[]{c + 0.5 * rng.nextGaussian(), c + 0.5 * rng.nextGaussian()};
        }
        return x;
    }

    @Test
    void everyEventIsScoredOnceAndTheModelEqualsTheEngineFedTheSameBatches() {
        final int n = 200;
        final int[] y = new int[n];
        final double[][] x = blobs(n, 7, y);
        try (TopologyHarness h = new TopologyHarness(stateDir, Map.of(
                "bali.model.hidden", "8", "bali.model.batch.size", "16", "bali.metrics.every", "50",
                "bali.snapshot.every", "4"))) {
            for (int i = 0; i < n; i++) {
                // every fifth event unlabelled: scored, not learned from
                h.send(event("e" + i, null, x[i], i % 5 == 4 ? null : (double) y[i]));
            }
            final List<Prediction> predictions = h.predictions.readValuesToList();
            assertThat(predictions).hasSize(n);
            assertThat(predictions).extracting(Prediction::getEventId).doesNotHaveDuplicates();
            assertThat(predictions).allSatisfy(p -> assertThat(p.getModelId()).isEqualTo("default"));
            // 160 labels, B = 16: the version steps after every 16th label; the 160th label is event 198,
            // scored by version 9 before the tenth update, and event 199 is scored by version 10
            assertThat(predictions.get(0).getModelVersion()).isZero();
            assertThat(predictions.get(n - 2).getModelVersion()).isEqualTo(9);
            assertThat(predictions.get(n - 1).getModelVersion()).isEqualTo(10);
            assertThat(predictions.get(n - 1).getClassification().getProbabilities()).hasSize(2);

            // the same events fed to the engine directly, in the same batches, give a bit-identical model
            final BaliModel reference = new BaliModel(h.config.modelDefaults().toBaliConfig(2));
            final List<double[]> bx = new ArrayList<>();
            final List<Integer> by = new ArrayList<>();
            int correctLate = 0;
            for (int i = 0; i < n; i++) {
                if (i >= 100 && predictions.get(i).getClassification().getPredictedClass() == y[i]) {
                    correctLate++;
                }
                if (i % 5 == 4) {
                    continue;
                }
                bx.add(x[i]);
                by.add(y[i]);
                if (bx.size() == 16) {
                    reference.learn(bx.toArray(new double[0][]), by.stream().mapToInt(Integer::intValue).toArray());
                    bx.clear();
                    by.clear();
                }
            }
            assertThat(correctLate).as("accuracy on the second half").isGreaterThanOrEqualTo(95);
            final List<ModelSnapshot> snapshots = h.snapshots.readValuesToList();
            assertThat(snapshots).extracting(ModelSnapshot::getModelVersion).containsExactly(4L, 8L);
            final BaliModel viaKafka = ModelStateCodec.fromRecord(stateOf(h));
            assertThat(ModelStateCodec.encode(viaKafka)).isEqualTo(ModelStateCodec.encode(reference));

            final List<ModelMetrics> metrics = h.metrics.readValuesToList();
            assertThat(metrics).hasSize(3); // 160 labels / 50
            assertThat(metrics.get(2).getLabelsSeen()).isEqualTo(150);
            assertThat(metrics.get(2).getWindowLabels()).isEqualTo(50);
            assertThat(metrics.get(2).getTask()).isEqualTo(ModelTask.CLASSIFICATION);
            assertThat(metrics.get(2).getWindow().get("accuracy")).isGreaterThan(0.9);
            assertThat(metrics.get(2).getStateBytes()).isGreaterThan(1000);
            assertThat(h.deadLetters.isEmpty()).isTrue();
        }
    }

    private static io.balistreams.avro.BaliModelState stateOf(final TopologyHarness h) {
        final org.apache.kafka.streams.state.KeyValueStore<String, byte[]> store =
                h.driver.getKeyValueStore(LearnerProcessor.MODEL_STORE);
        return (io.balistreams.avro.BaliModelState) io.balistreams.streams.serde.AvroSerde.of(LearnerModel.class).decode(store.get("default")).getSnapshot().getState();
    }

    @Test
    void eventsKeyedByModelSkipTheRepartitionTopicAndTrainTheSameModel() {
        final int n = 96;
        final int[] y = new int[n];
        final double[][] x = blobs(n, 3, y);
        final Map<String, String> common = Map.of("bali.model.hidden", "8", "bali.model.batch.size", "16");
        final Map<String, String> keyed = new java.util.HashMap<>(common);
        keyed.put("bali.events.keyed.by.model", "true");
        assertThat(BaliTopology.build(ServiceConfig.from(common)).describe().toString()).contains("events-by-model");
        assertThat(BaliTopology.build(ServiceConfig.from(keyed)).describe().toString()).doesNotContain("events-by-model");

        final byte[] reference;
        try (TopologyHarness h = new TopologyHarness(stateDir.resolve("repartitioned"), common)) {
            for (int i = 0; i < n; i++) {
                h.send(event("e" + i, "m", x[i], (double) y[i]));
            }
            reference = h.driver.<String, byte[]>getKeyValueStore(LearnerProcessor.MODEL_STORE).get("m");
        }
        try (TopologyHarness h = new TopologyHarness(stateDir.resolve("keyed"), keyed)) {
            final byte[] m = "m".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            for (int i = 0; i < n; i++) {
                h.send(m, event("e" + i, "m", x[i], (double) y[i]));
            }
            // the default model's events must be keyed by the default id; a wrong key or none is refused
            h.send("other".getBytes(java.nio.charset.StandardCharsets.UTF_8), event("wrong-key", "m", x[0], 1.0));
            h.send(null, event("no-key", null, x[0], 1.0));
            h.send("default".getBytes(java.nio.charset.StandardCharsets.UTF_8), event("default-key", null, x[0], 1.0));

            final List<Prediction> predictions = h.predictions.readValuesToList();
            assertThat(predictions).extracting(Prediction::getEventId).hasSize(n + 1).endsWith("default-key");
            assertThat(predictions.get(n - 1).getModelVersion()).isEqualTo(5); // 95 labels before it, B = 16
            assertThat(h.driver.<String, byte[]>getKeyValueStore(LearnerProcessor.MODEL_STORE).get("m"))
                    .isEqualTo(reference);
            final List<DeadLetter> dead = h.deadLetters.readValuesToList();
            assertThat(dead).extracting(DeadLetter::getReason)
                    .containsExactly(DeadLetterReason.KEY_NOT_MODEL_ID, DeadLetterReason.KEY_NOT_MODEL_ID);
            assertThat(dead.get(0).getDetail()).contains("'m'", "'other'");
            assertThat(dead.get(0).getKey()).isEqualTo(ByteBuffer.wrap("other".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertThat(dead.get(0).getPayload()).isEqualTo(ByteBuffer.wrap(h.eventSerde.encode(event("wrong-key", "m", x[0], 1.0))));
            assertThat(dead.get(1).getModelId()).isEqualTo("default");
            assertThat(dead.get(1).getDetail()).contains("record key is null");
        }
    }

    @Test
    void modelsAreKeptApartAndPerModelConfigurationIsApplied() {
        try (TopologyHarness h = new TopologyHarness(stateDir, Map.of("bali.model.batch.size", "4"))) {
            h.sendConfig("reg", ModelConfig.newBuilder().setModelId("reg").setTask(ModelTask.REGRESSION)
                    .setInputDimension(3).setHiddenLayers(List.of(5)).setBatchSize(2).build());
            for (int i = 0; i < 8; i++) {
                h.send(event("r" + i, "reg", new double[]{i, 1, -i}, 0.5 * i));
                h.send(event("c" + i, "cls", new double[]{i, -i}, (double) (i % 2)));
            }
            final List<Prediction> all = h.predictions.readValuesToList();
            assertThat(all).hasSize(16);
            final List<Prediction> reg = all.stream().filter(p -> p.getModelId().equals("reg")).toList();
            final List<Prediction> cls = all.stream().filter(p -> p.getModelId().equals("cls")).toList();
            assertThat(reg).allSatisfy(p -> assertThat(p.getRegression()).isNotNull());
            assertThat(reg.get(0).getRegression().getStdTotal()).isPositive();
            assertThat(cls).allSatisfy(p -> assertThat(p.getClassification()).isNotNull());
            // reg learns every 2 labels (its entry), cls every 4 (the default override in this test)
            assertThat(reg.get(7).getModelVersion()).isEqualTo(3);
            assertThat(cls.get(7).getModelVersion()).isEqualTo(1);
            final var store = h.driver.<String, byte[]>getKeyValueStore(LearnerProcessor.MODEL_STORE);
            final var serde = io.balistreams.streams.serde.AvroSerde.of(LearnerModel.class);
            assertThat((((io.balistreams.avro.BaliModelState) serde.decode(store.get("reg")).getSnapshot().getState())).getConfig().getLayerSizes()).containsExactly(3, 5, 1);
            assertThat((((io.balistreams.avro.BaliModelState) serde.decode(store.get("cls")).getSnapshot().getState())).getConfig().getLayerSizes()).containsExactly(2, 64, 64, 2);
        }
    }

    @Test
    void everyKindOfBadInputBecomesADeadLetterWithItsBytesAndSource() {
        try (TopologyHarness h = new TopologyHarness(stateDir, Map.of("bali.models.max", "2",
                "bali.model.default.id", "", "bali.model.class.names", "cat,dog"))) {
            h.sendConfig("bad", ModelConfig.newBuilder().setModelId("bad").setBeta(1.5).build());
            h.sendConfig("mismatch", ModelConfig.newBuilder().setModelId("other").build());
            h.sendConfig("reg", ModelConfig.newBuilder().setModelId("reg").setTask(ModelTask.REGRESSION).build());
            final byte[] garbage = {1, 2, 3, 4, 5};
            h.events.pipeInput(new byte[]{9}, garbage);                                             // UNDECODABLE
            final byte[] valid = h.eventSerde.encode(event("x", "m", new double[]{1, 2}, null));
            final byte[] hugeLength = java.util.Arrays.copyOf(valid, 15);                           // valid header,
            System.arraycopy(new byte[]{(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x10}, 0, hugeLength, 10, 5);
            h.events.pipeInput(null, hugeLength);                                                   // UNDECODABLE
            h.send(event("no-model", null, new double[]{1, 2}, null));                              // MISSING_MODEL_ID
            h.send(event("nan", "m", new double[]{1, Double.NaN}, null));                           // NON_FINITE_FEATURE
            h.send(event("ok", "m", new double[]{1, 2}, "dog"));                                    // creates m (2 inputs)
            h.send(event("wide", "m", new double[]{1, 2, 3}, null));                                // WRONG_DIMENSION
            h.send(event("class9", "m", new double[]{1, 2}, 9.0));                                  // LABEL_OUT_OF_RANGE
            h.send(event("half", "m", new double[]{1, 2}, 0.5));                                    // LABEL_OUT_OF_RANGE
            h.send(event("bird", "m", new double[]{1, 2}, "bird"));                                 // UNKNOWN_CLASS
            h.send(event("reg-string", "reg", new double[]{1, 2}, "dog"));                          // LABEL_OUT_OF_RANGE
            h.send(event("reg-ok", "reg", new double[]{1, 2}, 3.5));                                // creates reg
            h.send(event("third", "x", new double[]{1, 2}, null));                                  // MODEL_LIMIT_REACHED

            final List<DeadLetter> dead = h.deadLetters.readValuesToList();
            assertThat(dead).extracting(DeadLetter::getReason).containsExactlyInAnyOrder(
                    DeadLetterReason.INVALID_MODEL_CONFIG, DeadLetterReason.INVALID_MODEL_CONFIG,
                    DeadLetterReason.UNDECODABLE, DeadLetterReason.UNDECODABLE, DeadLetterReason.MISSING_MODEL_ID,
                    DeadLetterReason.NON_FINITE_FEATURE, DeadLetterReason.WRONG_DIMENSION,
                    DeadLetterReason.LABEL_OUT_OF_RANGE, DeadLetterReason.LABEL_OUT_OF_RANGE,
                    DeadLetterReason.UNKNOWN_CLASS, DeadLetterReason.LABEL_OUT_OF_RANGE,
                    DeadLetterReason.MODEL_LIMIT_REACHED);
            final DeadLetter undecodable = dead.stream().filter(d -> d.getReason() == DeadLetterReason.UNDECODABLE)
                    .findFirst().orElseThrow();
            assertThat(bytes(undecodable.getPayload())).isEqualTo(garbage);
            assertThat(bytes(undecodable.getKey())).containsExactly(9);
            assertThat(undecodable.getSourceTopic()).isEqualTo("events");
            assertThat(undecodable.getSourcePartition()).isZero();
            final DeadLetter wide = dead.stream().filter(d -> d.getReason() == DeadLetterReason.WRONG_DIMENSION)
                    .findFirst().orElseThrow();
            assertThat(wide.getDetail()).contains("wide").contains("3 features").contains("takes 2");
            assertThat(wide.getSourceTopic()).isEqualTo("events");
            assertThat(h.eventSerde.decode(bytes(wide.getPayload())).getEventId()).isEqualTo("wide");
            assertThat(wide.getModelId()).isEqualTo("m");
            final DeadLetter badConfig = dead.stream().filter(d -> d.getReason() == DeadLetterReason.INVALID_MODEL_CONFIG)
                    .filter(d -> "bad".equals(d.getModelId())).findFirst().orElseThrow();
            assertThat(badConfig.getDetail()).contains("beta");
            assertThat(badConfig.getSourceTopic()).isEqualTo("model-config");

            // only the two good events were scored, and nothing bad reached a model
            assertThat(h.predictions.readValuesToList()).extracting(Prediction::getEventId)
                    .containsExactly("ok", "reg-ok");
            assertThat(h.predictions.isEmpty()).isTrue();
        }
    }

    /**
     * A planted concept drift (the label rule flips) raises an ADWIN/loss DriftAlert with faster forgetting,
     * and predictions carry the drift state; inputs far from the training data are flagged once the
     * threshold is calibrated.
     */
    @Test
    void aPlantedDriftRaisesAnAlertAndFarAwayInputsAreFlagged() {
        try (TopologyHarness h = new TopologyHarness(stateDir, Map.of("bali.model.hidden", "8",
                "bali.model.batch.size", "16", "bali.model.beta", "0.95"))) {
            final Rng rng = Rng.forStream(12, 0);
            for (int i = 0; i < 6000; i++) {
                final double a = rng.nextGaussian();
                final double b = rng.nextGaussian();
                final boolean positive = a + b > 0;
                final double label = (i < 3000) == positive ? 1.0 : 0.0; // the rule flips at event 3000
                h.send(event("e" + i, null, new double[]{a, b}, label));
            }
            final var alerts = h.driftAlerts.readValuesToList();
            assertThat(alerts).filteredOn(a -> a.getLevel() == io.balistreams.avro.DriftLevel.DRIFT).isNotEmpty()
                    .allSatisfy(a -> assertThat(a.getPosition()).isGreaterThanOrEqualTo(3000))
                    .first().satisfies(a -> {
                        assertThat(a.getDetector()).isEqualTo("ADWIN/loss");
                        assertThat(a.getPosition()).isLessThan(3400);
                        assertThat(a.getAction()).contains("beta 0.95 -> 0.9," /* N_eff halved: 1 − 0.05/0.5 */);
                        assertThat(a.getStatistic()).isGreaterThan(a.getThreshold());
                    });
            final List<Prediction> predictions = h.predictions.readValuesToList();
            final long firstDrift = alerts.stream().filter(a -> a.getLevel() == io.balistreams.avro.DriftLevel.DRIFT)
                    .mapToLong(io.balistreams.avro.DriftAlert::getPosition).min().orElseThrow();
            assertThat(predictions.get((int) firstDrift + 40).getDriftState()).isEqualTo(io.balistreams.avro.DriftState.DRIFT);
            assertThat(predictions.get(2000).getDriftState()).isNotEqualTo(io.balistreams.avro.DriftState.DRIFT);
            // before 200 training scores there is no threshold; afterwards about 1% of typical inputs are flagged
            assertThat(predictions.get(100).getOodThreshold()).isNull();
            final long flagged = predictions.subList(1000, 3000).stream().filter(Prediction::getOodFlag).count();
            assertThat(flagged).isBetween(2L, 80L);
            h.send(event("far", null, new double[]{40, -40}, null));
            final Prediction far = h.predictions.readValue();
            assertThat(far.getOodThreshold()).isNotNull();
            assertThat(far.getOodScore()).isGreaterThan(far.getOodThreshold());
            assertThat(far.getOodFlag()).isTrue();
        }
    }

    /** bali.ood.score=uncertainty scores regression events by their epistemic variance, classification by entropy. */
    @Test
    void theUncertaintyScoreIsTheEpistemicVarianceOrTheEntropy() {
        try (TopologyHarness h = new TopologyHarness(stateDir, Map.of("bali.ood.score", "uncertainty",
                "bali.drift.loss", "nll", "bali.model.batch.size", "4", "bali.model.hidden", "4"))) {
            h.sendConfig("reg", ModelConfig.newBuilder().setModelId("reg").setTask(ModelTask.REGRESSION).build());
            for (int i = 0; i < 12; i++) {
                h.send(event("r" + i, "reg", new double[]{i, -i}, 0.3 * i));
                h.send(event("c" + i, "cls", new double[]{i, -i}, (double) (i % 2)));
            }
            final List<Prediction> predictions = h.predictions.readValuesToList();
            assertThat(predictions).hasSize(24);
            for (final Prediction p : predictions) {
                final double expected = p.getRegression() != null
                        ? p.getRegression().getStdEpistemic() * p.getRegression().getStdEpistemic()
                        : p.getClassification().getEntropy();
                assertThat(p.getOodScore()).as(p.getEventId()).isCloseTo(expected, within(1e-12));
                if (p.getModelVersion() > 0) { // under the prior, epistemic variance = leverage × σ² = leverage
                    assertThat(p.getOodScore()).as(p.getEventId()).isNotEqualTo(p.getLeverage());
                }
            }
        }
    }

    /** Monitoring settings are per model: an entry can switch adaptive forgetting off; invalid ones are refused. */
    @Test
    void monitoringSettingsCanBeOverriddenPerModel() {
        try (TopologyHarness h = new TopologyHarness(stateDir, Map.of("bali.model.hidden", "8",
                "bali.model.batch.size", "16", "bali.model.beta", "0.95"))) {
            h.sendConfig("calm", ModelConfig.newBuilder().setModelId("calm").setAdaptiveForgetting(false).build());
            h.sendConfig("broken", ModelConfig.newBuilder().setModelId("broken").setAlarmMemory(1.5).build());
            final Rng rng = Rng.forStream(12, 0);
            for (int i = 0; i < 6000; i++) {
                final double a = rng.nextGaussian();
                final double b = rng.nextGaussian();
                final double label = (i < 3000) == (a + b > 0) ? 1.0 : 0.0;
                h.send(event("q" + i, "quick", new double[]{a, b}, label));
                h.send(event("c" + i, "calm", new double[]{a, b}, label));
            }
            final var drifts = h.driftAlerts.readValuesToList().stream()
                    .filter(a -> a.getLevel() == io.balistreams.avro.DriftLevel.DRIFT).toList();
            assertThat(drifts).filteredOn(a -> a.getModelId().equals("quick")).isNotEmpty()
                    .allSatisfy(a -> assertThat(a.getAction()).startsWith("beta 0.95 -> 0.9," /* N_eff halved: 1 − 0.05/0.5 */));
            assertThat(drifts).filteredOn(a -> a.getModelId().equals("calm")).isNotEmpty()
                    .allSatisfy(a -> assertThat(a.getAction()).startsWith("none"));
            final DeadLetter broken = h.deadLetters.readValuesToList().stream()
                    .filter(d -> "broken".equals(d.getModelId())).findFirst().orElseThrow();
            assertThat(broken.getReason()).isEqualTo(DeadLetterReason.INVALID_MODEL_CONFIG);
            assertThat(broken.getDetail()).contains("alarmMemory");
        }
    }

    @Test
    void aModelConfigEntryMakesAModelAMixtureOverMemoriesThatReportsAndStoresItsWeights() {
        try (TopologyHarness h = new TopologyHarness(stateDir, Map.of("bali.model.hidden", "4",
                "bali.model.activation", "tanh", "bali.metrics.every", "200"))) {
            final ModelConfig mixConfig = ModelConfig.newBuilder().setModelId("mix").setExperts(List.of("20x2", "200x8"))
                    .setShare(0.05).setAdaptiveForgetting(false).build();
            h.sendConfig("mix", mixConfig);
            final io.balistreams.bali.BaliMixture reference = h.config.modelDefaults().withOverrides(mixConfig).toMixture(2);
            final double[][] pair = new double[2][];
            final int[] pairLabels = new int[2];
            h.sendConfig("bad", ModelConfig.newBuilder().setModelId("bad").setExperts(List.of("20x2", "oops")).build());
            final Rng rng = Rng.forStream(3, 0);
            for (int i = 0; i < 400; i++) {
                final double a = rng.nextGaussian();
                final double b = rng.nextGaussian();
                final double label = (i < 200) == (a + b > 0) ? 1.0 : 0.0;
                h.send(event("m" + i, "mix", new double[]{a, b}, label));
                h.send(event("o" + i, "one", new double[]{a, b}, label));
                pair[i % 2] = new double[]{a, b};
                pairLabels[i % 2] = (int) label;
                if (i % 2 == 1) {
                    reference.learn(pair, pairLabels, reference.config().beta(), false);
                }
            }
            final List<Prediction> predictions = h.predictions.readValuesToList();
            assertThat(predictions).filteredOn(p -> p.getModelId().equals("one"))
                    .hasSize(400).allSatisfy(p -> assertThat(p.getMemoryWeights()).isNull());
            assertThat(predictions).filteredOn(p -> p.getModelId().equals("mix")).hasSize(400)
                    .allSatisfy(p -> assertThat(p.getMemoryWeights()).containsOnlyKeys("20x2", "200x8"));
            final List<ModelMetrics> mixMetrics = h.metrics.readValuesToList().stream()
                    .filter(m -> m.getModelId().equals("mix")).toList();
            assertThat(mixMetrics).hasSize(2);
            final LearnerModel stored = io.balistreams.streams.serde.AvroSerde.of(LearnerModel.class)
                    .decode(h.driver.<String, byte[]>getKeyValueStore(LearnerProcessor.MODEL_STORE).get("mix"));
            assertThat(stored.getSnapshot().getState()).isInstanceOf(io.balistreams.avro.BaliMixtureState.class);
            final io.balistreams.bali.BaliMixture restored = io.balistreams.bali.MixtureStateCodec.fromRecord(
                    (io.balistreams.avro.BaliMixtureState) stored.getSnapshot().getState());
            assertThat(restored.share()).isEqualTo(0.05);
            // the service's mixture is the engine's fed the same labels in the same pairs (no adaptive forgetting)
            assertThat(restored.memoryWeights()).isEqualTo(reference.memoryWeights());
            assertThat(mixMetrics.get(1).getMemoryWeights()).containsOnlyKeys("20x2", "200x8");
            // 400 labels handed over two at a time: 200 updates of the short expert, 50 of the long one
            assertThat(stored.getSnapshot().getModelVersion()).isEqualTo(250);
            final DeadLetter bad = h.deadLetters.readValuesToList().stream()
                    .filter(d -> "bad".equals(d.getModelId())).findFirst().orElseThrow();
            assertThat(bad.getReason()).isEqualTo(DeadLetterReason.INVALID_MODEL_CONFIG);
            assertThat(bad.getDetail()).contains("'oops'");
        }
    }

    private static byte[] bytes(final ByteBuffer b) {
        final ByteBuffer d = b.duplicate();
        final byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
