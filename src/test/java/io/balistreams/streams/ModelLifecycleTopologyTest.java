package io.balistreams.streams;

import static io.balistreams.streams.TopologyHarness.event;
import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelPosterior;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.ModelTask;
import io.balistreams.avro.Prediction;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.Rng;
import io.balistreams.streams.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's lifecycle through its model-config entry (ModelConfig v4): a newer generation resets a model to its prior
 * (within the lifecycle check's second of wall-clock time, without a record), deletes it (tombstones on the snapshot
 * and posterior topics, its records dead-lettered) and brings it back; an initial snapshot starts a model from another
 * model's state, or from one trained offline with the engine, which then goes on learning; wrong entries are refused.
 */
class ModelLifecycleTopologyTest {
    private static final Map<String, String> SETTINGS = Map.of("bali.model.task", "regression",
            "bali.model.hidden", "4", "bali.model.batch.size", "4", "bali.snapshot.every", "1",
            "bali.posterior.every", "1", "bali.metrics.every", "1000");
    private static final double[] PROBE = {0.4, -0.3};

    @TempDir
    Path stateDir;

    @Test
    void aNewerGenerationResetsTheModelToItsPriorWithoutWaitingForARecord() {
        try (TopologyHarness h = new TopologyHarness(stateDir, SETTINGS)) {
            train(h, "m", 40, 1); // 10 updates
            h.send(event("probe-0", "m", PROBE, null));
            final Prediction trained = last(h.predictions.readValuesToList());
            assertThat(trained.getModelVersion()).isEqualTo(10);
            h.snapshots.readKeyValuesToList();
            h.posteriors.readKeyValuesToList();

            h.sendConfig("m", ModelConfig.newBuilder().setModelId("m").setGeneration(5L).build());
            assertThat(h.snapshots.isEmpty()).as("nothing happens before the lifecycle check").isTrue();
            h.driver.advanceWallClockTime(LearnerProcessor.LIFECYCLE_CHECK);
            final List<KeyValue<String, ModelSnapshot>> snapshots = h.snapshots.readKeyValuesToList();
            assertThat(snapshots).containsExactly(KeyValue.pair("m", null));
            final List<KeyValue<String, ModelPosterior>> posteriors = h.posteriors.readKeyValuesToList();
            assertThat(posteriors).hasSize(2);
            assertThat(posteriors.get(0)).isEqualTo(KeyValue.pair("m", null)); // the old posterior's tombstone
            assertThat(posteriors.get(1).value.getModelVersion()).isZero(); // the prior, published at creation

            // the reset model is its prior: the same prediction as a model never trained
            h.send(event("probe-1", "m", PROBE, null));
            h.send(event("probe-1", "untrained", PROBE, null));
            final List<Prediction> p = h.predictions.readValuesToList();
            assertThat(p.get(0).getModelVersion()).isZero();
            assertThat(p.get(0).getRegression().getMean()).isEqualTo(p.get(1).getRegression().getMean());
            assertThat(p.get(0).getRegression().getStdTotal()).isEqualTo(p.get(1).getRegression().getStdTotal());
            assertThat(p.get(0).getRegression().getMean()).isNotEqualTo(trained.getRegression().getMean());

            // the same generation again changes nothing; the reset model learns on
            h.sendConfig("m", ModelConfig.newBuilder().setModelId("m").setGeneration(5L).build());
            h.driver.advanceWallClockTime(LearnerProcessor.LIFECYCLE_CHECK);
            train(h, "m", 8, 2);
            h.send(event("probe-2", "m", PROBE, null));
            assertThat(last(h.predictions.readValuesToList()).getModelVersion()).isEqualTo(2);
            assertThat(h.deadLetters.isEmpty()).isTrue();
        }
    }

    @Test
    void aDeletedModelLeavesTheTopicsAndItsRecordsAreDeadLetteredUntilAReset() {
        try (TopologyHarness h = new TopologyHarness(stateDir, SETTINGS)) {
            train(h, "m", 12, 3);
            h.predictions.readValuesToList();
            h.snapshots.readKeyValuesToList();
            h.posteriors.readKeyValuesToList();

            h.sendConfig("m", ModelConfig.newBuilder().setModelId("m").setGeneration(7L).setDeleted(true).build());
            h.driver.advanceWallClockTime(LearnerProcessor.LIFECYCLE_CHECK);
            assertThat(h.snapshots.readKeyValuesToList()).containsExactly(KeyValue.pair("m", null));
            assertThat(h.posteriors.readKeyValuesToList()).containsExactly(KeyValue.pair("m", null));

            h.send(event("after", "m", PROBE, 1.0));
            assertThat(h.predictions.isEmpty()).isTrue();
            final DeadLetter letter = h.deadLetters.readValue();
            assertThat(letter.getReason()).isEqualTo(DeadLetterReason.MODEL_DELETED);
            assertThat(letter.getDetail()).contains("event after is for model m, which its model-config entry deleted "
                    + "(generation 7)");
            assertThat(letter.getModelId()).isEqualTo("m");

            // a reset (a higher generation, no delete mark) brings it back, from its prior, with its next event
            h.sendConfig("m", ModelConfig.newBuilder().setModelId("m").setGeneration(8L).build());
            h.send(event("back", "m", PROBE, null));
            final Prediction back = h.predictions.readValue();
            assertThat(back.getModelVersion()).isZero();
            assertThat(h.deadLetters.isEmpty()).isTrue();
        }
    }

    @Test
    void anImportedSnapshotServesAsItsSourceDidAndLearnsOn() {
        try (TopologyHarness h = new TopologyHarness(stateDir, SETTINGS)) {
            train(h, "source", 40, 4);
            h.send(event("probe", "source", PROBE, null));
            final Prediction source = last(h.predictions.readValuesToList());
            final List<KeyValue<String, ModelSnapshot>> snapshots = h.snapshots.readKeyValuesToList();
            final ModelSnapshot latest = last(snapshots).value;
            assertThat(latest.getModelVersion()).isEqualTo(10);
            final byte[] file = AvroSerde.of(ModelSnapshot.class).encode(latest);

            // into a model that does not exist yet: it starts from the snapshot with its first event
            h.sendConfig("copy", ModelConfig.newBuilder().setModelId("copy").setGeneration(1L)
                    .setInitialSnapshot(ByteBuffer.wrap(file)).build());
            h.send(event("probe", "copy", PROBE, null));
            final Prediction copy = h.predictions.readValue();
            assertThat(copy.getModelVersion()).isEqualTo(10);
            assertThat(copy.getRegression().getMean()).isEqualTo(source.getRegression().getMean());
            assertThat(copy.getRegression().getStdTotal()).isEqualTo(source.getRegression().getStdTotal());

            // into a model that exists: replaced at the next lifecycle check
            train(h, "other", 8, 5);
            h.sendConfig("other", ModelConfig.newBuilder().setModelId("other").setGeneration(2L)
                    .setInitialSnapshot(ByteBuffer.wrap(file)).build());
            h.driver.advanceWallClockTime(LearnerProcessor.LIFECYCLE_CHECK);
            h.send(event("probe", "other", PROBE, null));
            assertThat(last(h.predictions.readValuesToList()).getRegression().getMean())
                    .isEqualTo(source.getRegression().getMean());

            // it learns on from the snapshot's version
            train(h, "copy", 8, 6);
            h.send(event("probe-2", "copy", PROBE, null));
            assertThat(last(h.predictions.readValuesToList()).getModelVersion()).isEqualTo(12);
            assertThat(h.deadLetters.isEmpty()).isTrue();
        }
    }

    @Test
    void aModelTrainedOfflineWithTheEngineIsImportedAsAStreamingModel() {
        final BaliConfig offline = BaliConfig.regression(2, 4, 1).batchSize(50).dataScale(200).seed(3).build();
        final BaliModel model = new BaliModel(offline);
        final Rng rng = Rng.forStream(9, 0);
        for (int epoch = 0; epoch < 4; epoch++) {
            final double[][] x = new double[50][2];
            final double[] y = new double[50];
            for (int i = 0; i < 50; i++) {
                x[i][0] = rng.nextGaussian();
                x[i][1] = rng.nextGaussian();
                y[i] = x[i][0] - 2 * x[i][1];
            }
            assertThat(model.learn(x, y).accepted()).isTrue();
        }
        final RegressionPrediction expected = model.predict(PROBE);
        final ModelSnapshot snapshot = io.balistreams.bali.ModelFiles.snapshot("offline", model, List.of());
        try (TopologyHarness h = new TopologyHarness(stateDir, SETTINGS)) {
            h.sendConfig("imported", ModelConfig.newBuilder().setModelId("imported").setGeneration(1L)
                    .setInitialSnapshot(ByteBuffer.wrap(io.balistreams.bali.ModelFiles.encode(snapshot))).build());
            h.send(event("probe", "imported", PROBE, null));
            final Prediction p = h.predictions.readValue();
            assertThat(p.getModelVersion()).isEqualTo(4);
            assertThat(p.getRegression().getMean()).isEqualTo(expected.mean());
            // batch size 50 from the snapshot: 50 labels make one more update
            train(h, "imported", 50, 10);
            h.send(event("probe-2", "imported", PROBE, null));
            assertThat(last(h.predictions.readValuesToList()).getModelVersion()).isEqualTo(5);
            assertThat(h.deadLetters.isEmpty()).isTrue();
        }
    }

    @Test
    void inconsistentLifecycleEntriesAreRefused() {
        try (TopologyHarness h = new TopologyHarness(stateDir, SETTINGS)) {
            h.sendConfig("a", ModelConfig.newBuilder().setModelId("a").setDeleted(true).build());
            h.sendConfig("b", ModelConfig.newBuilder().setModelId("b").setGeneration(3L)
                    .setInitialSnapshot(ByteBuffer.wrap(new byte[] {1, 2, 3})).build());
            train(h, "src", 4, 1);
            final byte[] file = AvroSerde.of(ModelSnapshot.class).encode(last(h.snapshots.readKeyValuesToList()).value);
            h.sendConfig("c", ModelConfig.newBuilder().setModelId("c").setGeneration(3L).setTask(ModelTask.REGRESSION)
                    .setBatchSize(8).setInitialSnapshot(ByteBuffer.wrap(file)).build());
            h.sendConfig("d", ModelConfig.newBuilder().setModelId("d").setGeneration(-1L).build());
            final List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).extracting(DeadLetter::getReason).containsOnly(DeadLetterReason.INVALID_MODEL_CONFIG);
            assertThat(letters).extracting(DeadLetter::getDetail).satisfiesExactly(
                    d -> assertThat(d).contains("deleted=true needs a generation of at least 1"),
                    d -> assertThat(d).contains("initialSnapshot is not a ModelSnapshot"),
                    d -> assertThat(d).contains("the initialSnapshot fixes task, batchSize: leave them out"),
                    d -> assertThat(d).contains("generation must be 0 or more, got -1"));
            // refused entries change nothing: model "a" is created from the defaults by its first event
            h.send(event("first", "a", PROBE, null));
            assertThat(last(h.predictions.readValuesToList()).getModelId()).isEqualTo("a");
        }
    }

    @Test
    void distributedScorersRefuseADeletedModelsEventsAndServeAnImportedOne() {
        final Map<String, String> settings = new java.util.HashMap<>(SETTINGS);
        settings.put("bali.scoring", "distributed");
        try (TopologyHarness h = new TopologyHarness(stateDir, settings)) {
            train(h, "source", 40, 4);
            h.send(event("probe", "source", PROBE, null));
            final Prediction source = last(h.predictions.readValuesToList());
            final byte[] file = AvroSerde.of(ModelSnapshot.class).encode(last(h.snapshots.readKeyValuesToList()).value);

            h.sendConfig("copy", ModelConfig.newBuilder().setModelId("copy").setGeneration(1L)
                    .setInitialSnapshot(ByteBuffer.wrap(file)).build());
            h.send(event("probe", "copy", PROBE, null));
            final Prediction copy = h.predictions.readValue();
            assertThat(copy.getRegression().getMean()).isEqualTo(source.getRegression().getMean());

            h.sendConfig("source", ModelConfig.newBuilder().setModelId("source").setGeneration(2L).setDeleted(true)
                    .build());
            h.driver.advanceWallClockTime(LearnerProcessor.LIFECYCLE_CHECK); // the learner deletes, tombstones follow
            h.send(event("after", "source", PROBE, null));
            assertThat(h.predictions.isEmpty()).isTrue();
            assertThat(h.deadLetters.readValue().getReason()).isEqualTo(DeadLetterReason.MODEL_DELETED);
        }
    }

    /** {@code n} labelled events of a linear target for {@code modelId}. */
    private static void train(final TopologyHarness h, final String modelId, final int n, final long seed) {
        final Rng rng = Rng.forStream(seed, 0);
        for (int i = 0; i < n; i++) {
            final double a = rng.nextGaussian();
            final double b = rng.nextGaussian();
            h.send(event(modelId + "-" + seed + "-" + i, modelId, new double[] {a, b}, 2 * a - b + 0.1 * rng.nextGaussian()));
        }
    }

    private static <T> T last(final List<T> list) {
        assertThat(list).isNotEmpty();
        return list.get(list.size() - 1);
    }
}
