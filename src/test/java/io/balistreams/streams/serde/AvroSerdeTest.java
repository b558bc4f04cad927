package io.balistreams.streams.serde;

import io.balistreams.avro.ClassificationOutput;
import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.DriftState;
import io.balistreams.avro.Event;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelTask;
import io.balistreams.avro.ActivationName;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.RegressionOutput;
import io.balistreams.bali.Rng;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link AvroSerde}: single-object encoding, schema history, and every failure as a SerializationException. */
class AvroSerdeTest {
    private static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_123L);

    private static Event event(final String id, final Object label) {
        return new Event(id, "model-a", T0, List.of(1.5, -2.25, 0.0, 1e-300), label);
    }

    private static Prediction classificationPrediction() {
        return Prediction.newBuilder()
                .setEventId("e-1").setModelId("model-a").setModelVersion(17L)
                .setEventTime(T0).setScoredAt(T0.plusMillis(42))
                .setClassification(new ClassificationOutput(List.of(0.25, 0.75), 1, "dog", 0.5623351446188083, 0.0))
                .setLeverage(0.125).setOodScore(0.125).setOodThreshold(3.5).setOodFlag(false)
                .setDriftState(DriftState.WARNING).setLabelled(true)
                .build();
    }

    private static Prediction regressionPrediction() {
        return Prediction.newBuilder()
                .setEventId("e-2").setModelId("reg").setModelVersion(0L)
                .setEventTime(T0).setScoredAt(T0)
                .setRegression(new RegressionOutput(1.0, 2.0, 1.5, 1.3228756555322954, 1.0 - 3.92, 1.0 + 3.92))
                .setLeverage(7.0).setOodScore(7.0).setOodThreshold(null).setOodFlag(true)
                .setDriftState(null).setLabelled(false)
                .build();
    }

    private static ModelConfig fullModelConfig() {
        return ModelConfig.newBuilder().setModelId("m").setTask(ModelTask.CLASSIFICATION).setInputDimension(7)
                .setHiddenLayers(List.of(16, 8)).setActivation(ActivationName.TANH).setNumClasses(3)
                .setClassNames(List.of("a", "b", "c")).setBatchSize(4).setBeta(0.8).setBetaG(0.95)
                .setPriorPrecision(2.5).setSeed(-9L).build();
    }

    private static DeadLetter deadLetter() {
        return new DeadLetter(DeadLetterReason.UNDECODABLE, "bad header", "events", 3, 123456789012L,
                ByteBuffer.wrap(new byte[]{0, 1, 2, (byte) 0xFF}), ByteBuffer.wrap(new byte[]{(byte) 0xC3, 0x01, 9}),
                null, T0);
    }

    private static <T extends SpecificRecord> T roundTrip(final Class<T> type, final T record) {
        final AvroSerde<T> serde = AvroSerde.of(type);
        final byte[] bytes = serde.encode(record);
        assertHeader(bytes, SchemaHistory.fingerprint(SpecificData.get().getSchema(type)));
        return serde.decode(bytes);
    }

    private static void assertHeader(final byte[] bytes, final long fingerprint) {
        assertThat(bytes.length).isGreaterThan(10);
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        final long written = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(written).as("little-endian fingerprint").isEqualTo(fingerprint);
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void eventRoundTripsWithEveryLabelKind() {
        for (final Object label : new Object[]{null, 2.5, -0.0, "dog"}) {
            final Event original = event("id-" + label, label);
            final Event decoded = roundTrip(Event.class, original);
            assertThat(decoded).isEqualTo(original);
            assertThat(decoded.getLabel()).isEqualTo(label);
            if (label != null) {
                assertThat(decoded.getLabel()).isInstanceOf(label.getClass());
            }
            assertThat(decoded.getFeatures()).containsExactly(1.5, -2.25, 0.0, 1e-300);
            assertThat(decoded.getEventTime()).isEqualTo(T0);
        }
        final Event noModel = new Event("x", null, T0, List.of(), 1.0);
        assertThat(roundTrip(Event.class, noModel)).isEqualTo(noModel);
    }

    @Test
    void eventHeaderIsMarkerThenLittleEndianFingerprintOfTheCurrentSchema() {
        final byte[] bytes = AvroSerde.of(Event.class).encode(event("e", 1.0));
        final long fp = SchemaHistory.fingerprint(Event.getClassSchema());
        assertThat(Arrays.copyOf(bytes, 10)).containsExactly(
                (byte) 0xC3, (byte) 0x01,
                (byte) fp, (byte) (fp >>> 8), (byte) (fp >>> 16), (byte) (fp >>> 24),
                (byte) (fp >>> 32), (byte) (fp >>> 40), (byte) (fp >>> 48), (byte) (fp >>> 56));
        assertThat(SchemaHistory.find(fp)).isEqualTo(Event.getClassSchema());
    }

    @Test
    void predictionRoundTrips() {
        final Prediction cls = classificationPrediction();
        final Prediction decodedCls = roundTrip(Prediction.class, cls);
        assertThat(decodedCls).isEqualTo(cls);
        assertThat(decodedCls.getClassification().getProbabilities()).containsExactly(0.25, 0.75);
        assertThat(decodedCls.getModelVersion()).isEqualTo(17L);
        assertThat(decodedCls.getScoredAt()).isEqualTo(T0.plusMillis(42));

        final Prediction reg = regressionPrediction();
        final Prediction decodedReg = roundTrip(Prediction.class, reg);
        assertThat(decodedReg).isEqualTo(reg);
        assertThat(decodedReg.getRegression().getLower95()).isEqualTo(1.0 - 3.92);
        assertThat(decodedReg.getOodThreshold()).isNull();
        assertThat(decodedReg.getClassification()).isNull();
    }

    @Test
    void modelConfigRoundTrips() {
        final ModelConfig full = fullModelConfig();
        final ModelConfig decoded = roundTrip(ModelConfig.class, full);
        assertThat(decoded).isEqualTo(full);
        assertThat(decoded.getHiddenLayers()).containsExactly(16, 8);
        assertThat(decoded.getClassNames()).containsExactly("a", "b", "c");
        assertThat(decoded.getSeed()).isEqualTo(-9L);

        final ModelConfig empty = ModelConfig.newBuilder().setModelId("only-id").build();
        final ModelConfig decodedEmpty = roundTrip(ModelConfig.class, empty);
        assertThat(decodedEmpty).isEqualTo(empty);
        assertThat(decodedEmpty.getTask()).isNull();
        assertThat(decodedEmpty.getBeta()).isNull();
    }

    @Test
    void deadLetterWithBytesRoundTrips() {
        final DeadLetter original = deadLetter();
        final DeadLetter decoded = roundTrip(DeadLetter.class, original);
        assertThat(decoded).isEqualTo(original);
        assertThat(bytes(decoded.getKey())).containsExactly(0, 1, 2, (byte) 0xFF);
        assertThat(bytes(decoded.getPayload())).containsExactly((byte) 0xC3, 0x01, 9);
        assertThat(decoded.getSourceOffset()).isEqualTo(123456789012L);
        assertThat(decoded.getModelId()).isNull();
        // encoding left the original's buffers readable from the start
        assertThat(bytes(original.getKey())).containsExactly(0, 1, 2, (byte) 0xFF);
    }

    @Test
    void encodingIsDeterministic() {
        final AvroSerde<Prediction> serde = AvroSerde.of(Prediction.class);
        assertThat(serde.encode(classificationPrediction())).isEqualTo(serde.encode(classificationPrediction()));
        assertThat(serde.encode(classificationPrediction())).isNotEqualTo(serde.encode(regressionPrediction()));
    }

    private static byte[] bytes(final ByteBuffer b) {
        final ByteBuffer d = b.duplicate();
        final byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    // ---------------------------------------------------------------- schema evolution

    /** A DeadLetter written with v1 (before KEY_NOT_MODEL_ID) still decodes under v2, reason and bytes intact. */
    @Test
    void aDeadLetterWrittenWithVersion1StillDecodes() throws Exception {
        final Schema v1 = SchemaHistory.load("/schemas/history/DeadLetter.v1.avsc");
        assertThat(v1.getField("reason").schema().getEnumSymbols()).doesNotContain("KEY_NOT_MODEL_ID");
        assertThat(DeadLetter.getClassSchema().getField("reason").schema().getEnumSymbols()).contains("KEY_NOT_MODEL_ID");
        final GenericRecord r = new GenericData.Record(v1);
        r.put("reason", new GenericData.EnumSymbol(v1.getField("reason").schema(), "WRONG_DIMENSION"));
        r.put("detail", "3 features, model has 4");
        r.put("sourceTopic", "events");
        r.put("sourcePartition", 2);
        r.put("sourceOffset", 41L);
        r.put("payload", ByteBuffer.wrap(new byte[] {1, 2, 3}));
        r.put("rejectedAt", 1_000L);
        final ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(r);
        final byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        final DeadLetter decoded = AvroSerde.of(DeadLetter.class).decode(bytes);
        assertThat(decoded.getReason()).isEqualTo(DeadLetterReason.WRONG_DIMENSION);
        assertThat(decoded.getSourceOffset()).isEqualTo(41L);
        assertThat(decoded.getPayload()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(decoded.getKey()).isNull();
    }

    /** A ModelConfig written with v1 (no monitoring fields) decodes under v2 with those fields null. */
    @Test
    void aModelConfigWrittenWithVersion1DecodesWithTheNewFieldsNull() throws Exception {
        final Schema v1 = SchemaHistory.load("/schemas/history/ModelConfig.v1.avsc");
        assertThat(SchemaHistory.fingerprint(v1)).isNotEqualTo(SchemaHistory.fingerprint(
                io.balistreams.avro.ModelConfig.getClassSchema()));
        final GenericRecord r = new GenericData.Record(v1);
        r.put("modelId", "old");
        r.put("batchSize", 8);
        r.put("beta", 0.95);
        final ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(r);
        final byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        final io.balistreams.avro.ModelConfig decoded = AvroSerde.of(io.balistreams.avro.ModelConfig.class).decode(bytes);
        assertThat(decoded.getModelId()).isEqualTo("old");
        assertThat(decoded.getBatchSize()).isEqualTo(8);
        assertThat(decoded.getBeta()).isEqualTo(0.95);
        assertThat(decoded.getDriftDetector()).isNull();
        assertThat(decoded.getAdwinDelta()).isNull();
        assertThat(decoded.getOodQuantile()).isNull();
    }

    /**
     * A model state and a serving posterior written before the logit scale existed (v1) decode with θ = 1 and
     * every other field as written, so a service upgraded on an old state store or posterior topic keeps
     * working; the records that embed a model state (snapshot, learner model, learner state) have their v1
     * in the history too.
     */
    @Test
    void aModelStateAndAPosteriorWrittenBeforeTheLogitScaleDecodeWithScaleOne() throws Exception {
        final io.balistreams.bali.BaliModel model = new io.balistreams.bali.BaliModel(io.balistreams.bali.BaliConfig
                .classification(3, 8, 2).batchSize(8).beta(0.9).seed(3).build());
        final Rng rng = new Rng(9);
        final double[][] x = new double[8][3];
        final int[] y = new int[8];
        for (int t = 0; t < 6; t++) {
            for (int n = 0; n < 8; n++) {
                for (int j = 0; j < 3; j++) {
                    x[n][j] = rng.nextGaussian();
                }
                y[n] = x[n][0] > 0 ? 1 : 0;
            }
            model.learn(x, y);
        }
        assertThat(model.logitScale()).isNotEqualTo(1.0);

        final io.balistreams.avro.BaliModelState state = io.balistreams.bali.ModelStateCodec.toRecord(model);
        final io.balistreams.avro.BaliModelState oldState = AvroSerde.of(io.balistreams.avro.BaliModelState.class)
                .decode(asVersion1(state, "BaliModelState"));
        assertThat(oldState.getLogitScale()).isEqualTo(1.0);
        oldState.setLogitScale(state.getLogitScale());
        assertThat(oldState).isEqualTo(state);

        final io.balistreams.avro.ModelPosterior posterior = io.balistreams.bali.ServingPosteriorCodec.toRecord("m",
                List.of(), model.servingPosterior());
        final io.balistreams.avro.ModelPosterior oldPosterior = AvroSerde.of(io.balistreams.avro.ModelPosterior.class)
                .decode(asVersion1(posterior, "ModelPosterior"));
        assertThat(oldPosterior.getLogitScale()).isEqualTo(1.0);
        oldPosterior.setLogitScale(posterior.getLogitScale());
        assertThat(oldPosterior).isEqualTo(posterior);

        for (final String name : List.of("ModelSnapshot", "LearnerModel", "OnlineLearnerState")) {
            final Schema v1 = SchemaHistory.load("/schemas/history/" + name + ".v1.avsc");
            assertThat(SchemaHistory.find(SchemaHistory.fingerprint(v1))).as(name + " v1 is in the history").isNotNull();
        }
    }

    /**
     * A learner's model written before mixtures over memories existed (v2: the snapshot's state is always one
     * model's) decodes under the current schema (the state a union of a model's and a mixture's) unchanged, and so
     * does a mixture's state in the current schema.
     */
    @Test
    void aLearnerModelWrittenBeforeMixturesDecodesWithItsModelStateAndAMixtureRoundTrips() throws Exception {
        final io.balistreams.bali.BaliConfig config = io.balistreams.bali.BaliConfig.classification(2, 4, 2)
                .batchSize(4).effectiveMemory(40).seed(5).build();
        final List<io.balistreams.online.OnlineLearner> learners = List.of(
                io.balistreams.online.OnlineLearner.create("one", config, List.of(),
                        io.balistreams.online.LearnerSettings.defaults()),
                io.balistreams.online.OnlineLearner.create("mix", new io.balistreams.bali.BaliMixture(config,
                        List.of(new io.balistreams.bali.BaliMixture.Expert(20, 2),
                                new io.balistreams.bali.BaliMixture.Expert(200, 8)), 0.01), List.of(),
                        io.balistreams.online.LearnerSettings.defaults()));
        final Rng rng = new Rng(2);
        for (final io.balistreams.online.OnlineLearner l : learners) {
            for (int i = 0; i < 37; i++) {
                final double[] x = {rng.nextGaussian(), rng.nextGaussian()};
                l.label(l.score(x, 0), x[0] > 0 ? 1 : 0, 0);
                if (l.batchDue()) {
                    l.learn();
                }
            }
        }
        final io.balistreams.avro.internal.LearnerModel single = learners.get(0).exportModel();
        final Schema v2 = SchemaHistory.load("/schemas/history/LearnerModel.v2.avsc");
        assertThat(v2.getField("snapshot").schema().getField("state").schema().getType()).isEqualTo(Schema.Type.RECORD);
        final ByteBuffer buffer = new BinaryMessageEncoder<io.balistreams.avro.internal.LearnerModel>(SpecificData.get(), v2)
                .encode(single);
        final byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        final AvroSerde<io.balistreams.avro.internal.LearnerModel> serde = AvroSerde.of(
                io.balistreams.avro.internal.LearnerModel.class);
        assertThat(serde.decode(bytes)).isEqualTo(single);

        final io.balistreams.avro.internal.LearnerModel mixture = learners.get(1).exportModel();
        assertThat(mixture.getSnapshot().getState()).isInstanceOf(io.balistreams.avro.BaliMixtureState.class);
        assertThat(serde.decode(serde.encode(mixture))).isEqualTo(mixture);
        for (final String name : List.of("ModelSnapshot", "LearnerModel", "OnlineLearnerState")) {
            final Schema old = SchemaHistory.load("/schemas/history/" + name + ".v2.avsc");
            assertThat(SchemaHistory.find(SchemaHistory.fingerprint(old))).as(name + " v2 is in the history").isNotNull();
        }
    }

    /**
     * Records written before mixtures over memories (Prediction v1, ModelMetrics v2, ModelConfig v2, ModelPosterior
     * v2) decode under the current schemas with the mixture fields null; every retired version is in the history.
     */
    @Test
    void recordsWrittenBeforeMixturesDecodeWithTheMixtureFieldsNull() throws Exception {
        final Prediction current = classificationPrediction();
        final Schema v1 = SchemaHistory.load("/schemas/history/Prediction.v1.avsc");
        assertThat(v1.getField("memoryWeights")).isNull();
        final ByteBuffer buffer = new BinaryMessageEncoder<Prediction>(SpecificData.get(), v1).encode(current);
        final byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        final Prediction decoded = AvroSerde.of(Prediction.class).decode(bytes);
        assertThat(decoded).isEqualTo(current);
        assertThat(decoded.getMemoryWeights()).isNull();

        current.setMemoryWeights(java.util.Map.of("50x4", 0.75, "4000x32", 0.25));
        assertThat(AvroSerde.of(Prediction.class).decode(AvroSerde.of(Prediction.class).encode(current)))
                .isEqualTo(current);
        for (final String name : List.of("Prediction.v1", "ModelMetrics.v2", "ModelConfig.v2", "ModelPosterior.v2",
                "AwaitingLabel.v1", "TrainingExample.v1")) {
            final Schema old = SchemaHistory.load("/schemas/history/" + name + ".avsc");
            assertThat(SchemaHistory.find(SchemaHistory.fingerprint(old))).as(name + " is in the history").isNotNull();
            assertThat(SchemaHistory.fingerprint(old)).as(name + " is retired")
                    .isNotIn(SchemaHistory.CURRENT.stream().map(SchemaHistory::fingerprint).toList());
        }
    }

    /**
     * An event waiting for its label, stored before a mixture's served predictive was kept with it (v1), decodes
     * with empty mixture arrays: it is scored as one model's Gaussian, as it was served.
     */
    @Test
    void anAwaitingLabelWrittenBeforeMixturesDecodesWithoutAMixture() throws Exception {
        final io.balistreams.avro.internal.AwaitingLabel current = io.balistreams.avro.internal.AwaitingLabel
                .newBuilder().setState(io.balistreams.avro.internal.AwaitingState.WAITING).setModelId("m")
                .setEventTime(5).setPosition(3).setModelVersion(2).setFeatures(List.of(1.0, 2.0)).setOodScore(0.3)
                .setMean(1.5).setAleatoricVariance(0.2).setEpistemicVariance(0.05).setLeverage(0.3).build();
        final Schema v1 = SchemaHistory.load("/schemas/history/AwaitingLabel.v1.avsc");
        assertThat(v1.getField("mixtureWeights")).isNull();
        final byte[] bytes = writtenWith(current, v1);
        final io.balistreams.avro.internal.AwaitingLabel decoded = AvroSerde.of(
                io.balistreams.avro.internal.AwaitingLabel.class).decode(bytes);
        assertThat(decoded).isEqualTo(current);
        assertThat(decoded.getMixtureWeights()).isEmpty();
        assertThat(decoded.getMixtureMeans()).isEmpty();
    }

    /**
     * Records written before a model's lifecycle fields (ModelConfig v3, LearnerProgress v1) decode with them unset:
     * generation 0, no snapshot, not deleted; a v3 dead-letter reader's symbols are a prefix of v4's.
     */
    @Test
    void recordsWrittenBeforeTheLifecycleFieldsDecodeWithGenerationZero() throws Exception {
        final io.balistreams.avro.ModelConfig config = io.balistreams.avro.ModelConfig.newBuilder().setModelId("m")
                .setBatchSize(16).build();
        final Schema configV3 = SchemaHistory.load("/schemas/history/ModelConfig.v3.avsc");
        assertThat(configV3.getField("generation")).isNull();
        final io.balistreams.avro.ModelConfig decodedConfig = AvroSerde.of(io.balistreams.avro.ModelConfig.class)
                .decode(writtenWith(config, configV3));
        assertThat(decodedConfig).isEqualTo(config);
        assertThat(decodedConfig.getGeneration()).isNull();
        assertThat(decodedConfig.getInitialSnapshot()).isNull();
        assertThat(decodedConfig.getDeleted()).isNull();

        final io.balistreams.avro.internal.LearnerProgress progress = io.balistreams.avro.internal.LearnerProgress
                .newBuilder().setEventsScored(7).setLabelsSeen(5).setPendingCount(1).setNextPendingSeq(5)
                .setOldestPendingAt(0).setCumulativeMetrics(List.of(1.0)).setWindowMetrics(List.of(2.0)).build();
        final Schema progressV1 = SchemaHistory.load("/schemas/history/LearnerProgress.v1.avsc");
        assertThat(progressV1.getField("generation")).isNull();
        final io.balistreams.avro.internal.LearnerProgress decodedProgress = AvroSerde.of(
                io.balistreams.avro.internal.LearnerProgress.class).decode(writtenWith(progress, progressV1));
        assertThat(decodedProgress).isEqualTo(progress);
        assertThat(decodedProgress.getGeneration()).isZero();

        final List<String> v3Reasons = SchemaHistory.load("/schemas/history/DeadLetter.v3.avsc").getField("reason")
                .schema().getEnumSymbols();
        final List<String> v4Reasons = DeadLetter.getClassSchema().getField("reason").schema().getEnumSymbols();
        assertThat(v4Reasons.subList(0, v3Reasons.size())).isEqualTo(v3Reasons);
        assertThat(v4Reasons).endsWith("MODEL_DELETED");
        for (final String name : List.of("ModelConfig.v3", "DeadLetter.v3", "LearnerProgress.v1",
                "OnlineLearnerState.v3")) {
            final Schema old = SchemaHistory.load("/schemas/history/" + name + ".avsc");
            assertThat(SchemaHistory.find(SchemaHistory.fingerprint(old))).as(name + " is in the history").isNotNull();
            assertThat(SchemaHistory.fingerprint(old)).as(name + " is retired")
                    .isNotIn(SchemaHistory.CURRENT.stream().map(SchemaHistory::fingerprint).toList());
        }
    }

    /**
     * A message that claims a string, a byte buffer or an array longer than itself is refused before anything of
     * that length is allocated: a 20-byte message claiming a 2 GB event id would otherwise make Avro's decoder
     * allocate 2 GB (an OutOfMemoryError in a stream thread stops the service, and a restart meets the same record).
     */
    @Test
    void forgedLengthsAreRefusedWithoutAllocatingThem() throws Exception {
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final byte[] valid = serde.encode(new Event("e1", "m", T0, List.of(1.0, 2.0), null));
        final List<byte[]> forged = List.of(
                forgedEvent(e -> e.writeLong(2_147_483_000L)), // the event id's length
                forgedEvent(e -> {
                    e.writeString("e1");
                    e.writeIndex(1);
                    e.writeLong(1L << 40); // the model id's length
                }),
                forgedEvent(e -> {
                    e.writeString("e1");
                    e.writeIndex(0);
                    e.writeLong(5);
                    e.writeArrayStart();
                    e.setItemCount(1L << 40); // the features' count
                }));
        final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        serde.decode(valid); // classes loaded, decoder warmed
        for (final byte[] bytes : forged) {
            final long before = threads.getCurrentThreadAllocatedBytes();
            assertThatThrownBy(() -> serde.decode(bytes)).isInstanceOf(SerializationException.class)
                    .hasMessageContaining("not a Event message: the Event body does not hold what it claims");
            assertThat(threads.getCurrentThreadAllocatedBytes() - before).as("bytes allocated to refuse it")
                    .isLessThan(1 << 20);
        }
        // a valid message with bytes left over after it is refused too
        final byte[] longer = java.util.Arrays.copyOf(valid, valid.length + 3);
        assertThatThrownBy(() -> serde.decode(longer)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("bytes left over after the Event record");
        assertThat(serde.decode(valid).getEventId()).isEqualTo("e1");
    }

    private interface Body {
        void write(org.apache.avro.io.BinaryEncoder encoder) throws Exception;
    }

    /** An Event message with the current schema's header and this (forged) body. */
    private static byte[] forgedEvent(final Body body) throws Exception {
        final byte[] header = java.util.Arrays.copyOf(AvroSerde.of(Event.class).encode(
                new Event("x", null, T0, List.of(), null)), 10);
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(header);
        final org.apache.avro.io.BinaryEncoder encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
        body.write(encoder);
        encoder.flush();
        return out.toByteArray();
    }

    /** The record's bytes as the v1 writer of {@code name} would have written them (the same fields but logitScale). */
    private static byte[] asVersion1(final SpecificRecord record, final String name) throws Exception {
        final Schema v1 = SchemaHistory.load("/schemas/history/" + name + ".v1.avsc");
        assertThat(v1.getField("logitScale")).isNull();
        return writtenWith(record, v1);
    }

    /** The record's bytes as a writer of the older schema {@code old} would have written them (its fields only). */
    private static byte[] writtenWith(final SpecificRecord record, final Schema oldSchema) throws Exception {
        final GenericRecord old = new GenericData.Record(oldSchema);
        for (final Schema.Field f : oldSchema.getFields()) {
            old.put(f.name(), record.get(record.getSchema().getField(f.name()).pos()));
        }
        final ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(SpecificData.get(), oldSchema).encode(old);
        final byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static byte[] v1Event(final Schema v1, final String id, final Double label) throws Exception {
        final GenericRecord r = new GenericData.Record(v1);
        r.put("eventId", id);
        r.put("modelId", "legacy");
        r.put("eventTime", T0.toEpochMilli());
        r.put("features", List.of(3.0, -4.5));
        r.put("label", label);
        final ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(r);
        final byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    @Test
    void aV1EventDecodesIntoTheCurrentClass() throws Exception {
        final Schema v1 = SchemaHistory.load("/schemas/history/Event.v1.avsc");
        final long v1Fingerprint = SchemaHistory.fingerprint(v1);
        assertThat(v1Fingerprint).isNotEqualTo(SchemaHistory.fingerprint(Event.getClassSchema()));
        assertThat(SchemaHistory.find(v1Fingerprint)).as("v1 is in the history").isNotNull();

        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final byte[] labelled = v1Event(v1, "old-1", 2.5);
        assertHeader(labelled, v1Fingerprint);
        final Event e = serde.decode(labelled);
        assertThat(e).isEqualTo(new Event("old-1", "legacy", T0, List.of(3.0, -4.5), 2.5));
        assertThat(e.getLabel()).isInstanceOf(Double.class).isEqualTo(2.5);

        final Event unlabelled = serde.decode(v1Event(v1, "old-2", null));
        assertThat(unlabelled).isEqualTo(new Event("old-2", "legacy", T0, List.of(3.0, -4.5), null));
        assertThat(unlabelled.getLabel()).isNull();

        // the Kafka deserializer goes through the same history
        assertThat(serde.deserializer().deserialize("events", labelled).getLabel()).isEqualTo(2.5);
    }

    @Test
    void withoutTheHistoryTheV1BytesAreUndecodable() throws Exception {
        final Schema v1 = SchemaHistory.load("/schemas/history/Event.v1.avsc");
        final byte[] labelled = v1Event(v1, "old-1", 2.5);
        AvroSerde.of(Event.class); // trusts the generated classes, as the service does
        final BinaryMessageDecoder<Event> plain = new BinaryMessageDecoder<>(SpecificData.get(), Event.getClassSchema());
        assertThatThrownBy(() -> plain.decode(labelled)).isInstanceOf(MissingSchemaException.class);
        // ... while the current version decodes with the plain decoder too
        final Event current = event("now", "dog");
        assertThat(plain.decode(AvroSerde.of(Event.class).encode(current))).isEqualTo(current);
    }

    // ---------------------------------------------------------------- failures

    @Test
    void garbageBytesAreASerializationExceptionNamingTheType() {
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        assertThatThrownBy(() -> serde.decode(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Event");
        assertThatThrownBy(() -> serde.decode("hello, world!".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Event");
    }

    @Test
    void bytesShorterThanTheHeaderAreASerializationException() {
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final byte[] good = serde.encode(event("e", 1.0));
        for (final int length : new int[]{0, 1, 2, 5, 9}) {
            final byte[] cut = Arrays.copyOf(good, length);
            assertThatThrownBy(() -> serde.decode(cut)).as("length %d", length)
                    .isInstanceOf(SerializationException.class).hasMessageContaining("Event");
        }
    }

    @Test
    void aTruncatedBodyIsASerializationException() {
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final byte[] good = serde.encode(event("event-with-a-long-id", "a class name"));
        assertThat(serde.decode(good).getEventId()).isEqualTo("event-with-a-long-id");
        for (int length = 10; length < good.length; length++) {
            final byte[] cut = Arrays.copyOf(good, length);
            assertThatThrownBy(() -> serde.decode(cut)).as("length %d of %d", length, good.length)
                    .isInstanceOf(SerializationException.class).hasMessageContaining("Event");
        }
    }

    @Test
    void garbageAfterAValidHeaderIsASerializationException() {
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final byte[] header = Arrays.copyOf(serde.encode(event("e", 1.0)), 10);
        final Rng rng = new Rng(99);
        for (int trial = 0; trial < 500; trial++) {
            final byte[] bytes = Arrays.copyOf(header, 10 + 1 + rng.nextInt(40));
            for (int i = 10; i < bytes.length; i++) {
                bytes[i] = (byte) rng.nextInt(256);
            }
            try {
                serde.decode(bytes); // a few random bodies happen to be valid events
            } catch (final SerializationException e) {
                assertThat(e).hasMessageContaining("Event");
            } catch (final RuntimeException | Error e) {
                throw new AssertionError("trial " + trial + ": " + Arrays.toString(bytes)
                        + " escaped as " + e + " instead of a SerializationException", e);
            }
        }
    }

    /**
     * A valid Event header followed by a string length of 2^31 (zig-zag varint 80 80 80 80 10) for eventId:
     * Avro 1.12 refuses it with an UnsupportedOperationException (SystemLimitException.checkMaxStringLength),
     * which must still surface as a SerializationException so the record becomes a dead letter.
     */
    @Test
    void anImpossibleStringLengthIsASerializationException() {
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final byte[] header = Arrays.copyOf(serde.encode(event("e", 1.0)), 10);
        final byte[] bytes = Arrays.copyOf(header, 15);
        System.arraycopy(new byte[]{(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x10}, 0, bytes, 10, 5);
        assertThatThrownBy(() -> serde.decode(bytes))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Event");
        assertThatThrownBy(() -> serde.deserializer().deserialize("events", bytes))
                .isInstanceOf(SerializationException.class).hasMessageStartingWith("topic events: ");
    }

    @Test
    void anUnknownFingerprintIsASerializationException() {
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final byte[] bytes = serde.encode(event("e", 1.0));
        bytes[5] ^= 0x5A; // a fingerprint nobody knows
        assertThatThrownBy(() -> serde.decode(bytes))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Event");
    }

    @Test
    void aKnownFingerprintOfAnotherTypeIsASerializationException() {
        final byte[] prediction = AvroSerde.of(Prediction.class).encode(classificationPrediction());
        assertThat(SchemaHistory.find(SchemaHistory.fingerprint(Prediction.getClassSchema()))).isNotNull();
        assertThatThrownBy(() -> AvroSerde.of(Event.class).decode(prediction))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Event");

        final byte[] event = AvroSerde.of(Event.class).encode(event("e", 1.0));
        assertThatThrownBy(() -> AvroSerde.of(Prediction.class).decode(event))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Prediction");
        assertThatThrownBy(() -> AvroSerde.of(DeadLetter.class).decode(event))
                .isInstanceOf(SerializationException.class).hasMessageContaining("DeadLetter");
    }

    @Test
    void theKafkaDeserializerPrefixesTheTopic() {
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final byte[] garbage = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
        assertThatThrownBy(() -> serde.deserializer().deserialize("my-events", garbage))
                .isInstanceOf(SerializationException.class)
                .hasMessageStartingWith("topic my-events: ")
                .hasMessageContaining("Event");
        final String direct = catchMessage(() -> serde.decode(garbage));
        final String viaKafka = catchMessage(() -> serde.deserializer().deserialize("my-events", garbage));
        assertThat(viaKafka).isEqualTo("topic my-events: " + direct);
    }

    private static String catchMessage(final Runnable r) {
        try {
            r.run();
        } catch (final SerializationException e) {
            return e.getMessage();
        }
        throw new AssertionError("no SerializationException");
    }

    @Test
    void nullMapsToNullBothWays() {
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        assertThat(serde.serializer().serialize("events", null)).isNull();
        assertThat(serde.deserializer().deserialize("events", null)).isNull();
        // and a value goes through the Kafka interfaces like encode/decode
        final Event e = event("k", "cat");
        final byte[] viaKafka = serde.serializer().serialize("events", e);
        assertThat(viaKafka).isEqualTo(serde.encode(e));
        assertThat(serde.deserializer().deserialize("events", viaKafka)).isEqualTo(e);
        assertThat(serde.type()).isEqualTo(Event.class);
    }
}
