package io.balistreams.streams;

import io.balistreams.avro.ClassificationOutput;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.DriftAlert;
import io.balistreams.avro.DriftLevel;
import io.balistreams.avro.DriftState;
import io.balistreams.avro.Event;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.RegressionOutput;
import io.balistreams.avro.internal.LearnerProgress;
import io.balistreams.avro.internal.PendingLabel;
import io.balistreams.avro.internal.RoutedEvent;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.Task;
import io.balistreams.bali.UpdateResult;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The online learner (DESIGN.md, data flow). For each event of a model, in the order of its partition:
 * <ol>
 *   <li>checks the event against the model (feature dimension, label kind and range); a model is created
 *       from its {@code model-config} entry or the defaults on its first valid event, up to
 *       {@code bali.models.max} per instance;</li>
 *   <li>scores it at once with the current posterior (closed-form predictive, BALI.md §5) and forwards a
 *       {@link Prediction};</li>
 *   <li>if labelled, adds the prediction to the prequential metrics and queues the label in the pending store;
 *       a full mini-batch of B labels (or a partial one older than {@code bali.batch.max.wait.ms}, by a
 *       wall-clock punctuation) triggers one BALI update, which bumps the model version;</li>
 *   <li>emits {@link ModelMetrics} every {@code bali.metrics.every} labels and a {@link ModelSnapshot} every
 *       {@code bali.snapshot.every} accepted updates.</li>
 * </ol>
 * State lives in three stores: {@value #MODEL_STORE} (the model's {@link ModelSnapshot}, written on every
 * update), {@value #PROGRESS_STORE} (counters and metric sums, written on every event) and
 * {@value #PENDING_STORE} (queued labels). The in-memory {@link ModelSlot}s are only a cache of them, dropped
 * in {@link #init} and {@link #close}, so after a crash the task resumes from exactly the committed state.
 * With the wait timer off, a model's state is a deterministic function of its events.
 */
final class LearnerProcessor implements Processor<String, RoutedEvent, String, SpecificRecord> {
    static final String MODEL_STORE = "bali-models";
    static final String PROGRESS_STORE = "bali-progress";
    static final String PENDING_STORE = "bali-pending";
    static final String CONFIG_STORE = "bali-model-config";
    static final String MONITOR_STORE = "bali-monitor";
    private static final double Z95 = 1.959963984540054;

    private final ServiceConfig config;
    private final AtomicInteger modelsInInstance;
    private final AvroSerde<ModelSnapshot> snapshots = AvroSerde.of(ModelSnapshot.class);
    private final Map<String, ModelSlot> cache = new HashMap<>();
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, byte[]> models;
    private KeyValueStore<String, LearnerProgress> progress;
    private KeyValueStore<String, PendingLabel> pending;
    private KeyValueStore<String, ModelConfig> configs;
    private KeyValueStore<String, byte[]> monitors;
    private int modelsHeld;

    /**
     * @param modelsInInstance models held by all learner tasks of this application instance (shared by
     *                         the processors of one supplier), checked against {@code bali.models.max}
     */
    LearnerProcessor(final ServiceConfig config, final AtomicInteger modelsInInstance) {
        this.config = config;
        this.modelsInInstance = modelsInInstance;
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.models = context.getStateStore(MODEL_STORE);
        this.progress = context.getStateStore(PROGRESS_STORE);
        this.pending = context.getStateStore(PENDING_STORE);
        this.configs = context.getStateStore(CONFIG_STORE);
        this.monitors = context.getStateStore(MONITOR_STORE);
        cache.clear();
        modelsHeld = 0;
        try (KeyValueIterator<String, LearnerProgress> it = progress.all()) {
            while (it.hasNext()) {
                it.next();
                modelsHeld++;
            }
        }
        modelsInInstance.addAndGet(modelsHeld);
        final long wait = config.batchMaxWaitMs();
        if (wait > 0) {
            context.schedule(Duration.ofMillis(Math.max(10, wait / 4)), PunctuationType.WALL_CLOCK_TIME,
                    this::learnStaleBatches);
        }
    }

    @Override
    public void close() {
        modelsInInstance.addAndGet(-modelsHeld);
        modelsHeld = 0;
        cache.clear();
    }

    @Override
    public void process(final Record<String, RoutedEvent> record) {
        final RoutedEvent routed = record.value();
        final Event event = routed.getEvent();
        final String modelId = record.key();
        ModelSlot slot = slot(modelId);
        final Checked checked;
        if (slot == null) {
            final ModelConfig entry = configs.get(modelId);
            final ModelSpec spec;
            final ModelMonitor.Settings monitoring;
            try {
                spec = entry == null ? config.modelDefaults() : config.modelDefaults().withOverrides(entry);
                monitoring = config.monitorSettings(entry);
            } catch (final IllegalArgumentException e) {
                reject(record, DeadLetterReason.INVALID_MODEL_CONFIG, "model " + modelId
                        + " cannot be created, its model-config entry no longer fits the defaults: " + e.getMessage());
                return;
            }
            final int inputs = spec.inputDimension() != null ? spec.inputDimension() : event.getFeatures().size();
            checked = check(event, spec.task(), inputs, spec.numClasses(), spec.classNames());
            if (checked.reason != null) {
                reject(record, checked.reason, checked.detail);
                return;
            }
            if (modelsInInstance.get() >= config.maxModels()) {
                reject(record, DeadLetterReason.MODEL_LIMIT_REACHED, "event " + event.getEventId() + " would create model "
                        + modelId + " but this instance already holds " + modelsInInstance.get()
                        + " models (bali.models.max = " + config.maxModels() + ")");
                return;
            }
            slot = ModelSlot.create(modelId, spec, inputs, monitoring);
            modelsInInstance.incrementAndGet();
            modelsHeld++;
            cache.put(modelId, slot);
            writeModel(slot);
        } else {
            checked = check(event, slot.model.config().task(), slot.model.config().inputSize(),
                    slot.model.config().numClasses(), slot.classNames);
            if (checked.reason != null) {
                reject(record, checked.reason, checked.detail);
                return;
            }
        }

        final double[] x = ModelSlot.toArray(event.getFeatures());
        final boolean labelled = !Double.isNaN(checked.target);
        final long position = slot.eventsScored;
        final long eventTime = event.getEventTime().toEpochMilli();
        final Scored scored = score(slot, event, x, labelled, checked.target);
        context.forward(record.withValue(scored.prediction));
        final ModelSlot scoredBy = slot;
        slot.monitor.scored(scored.oodScore, position, eventTime)
                .ifPresent(alarm -> forwardAlarm(scoredBy, alarm, record.timestamp()));

        slot.eventsScored++;
        if (labelled) {
            slot.labelsSeen++;
            if (slot.pendingCount == 0) {
                slot.oldestPendingAt = System.currentTimeMillis();
            }
            pending.put(pendingKey(modelId, slot.nextPendingSeq), new PendingLabel(event.getFeatures(), checked.target,
                    scored.loss, scored.oodScore, position, eventTime));
            slot.nextPendingSeq++;
            slot.pendingCount++;
            if (slot.windowCount() >= config.metricsEvery()) {
                emitMetrics(slot, record.timestamp());
            }
            if (slot.pendingCount >= slot.model.config().batchSize()) {
                learnPending(slot, record.timestamp());
            }
        }
        writeMonitor(slot);
        progress.put(modelId, slot.progress());
    }

    /** A prediction with the event's OOD score and (if labelled) its prequential loss for the drift detector. */
    private record Scored(Prediction prediction, double oodScore, double loss) {
    }

    /** Scores one event, adds it to the prequential metrics if labelled, and builds its prediction. */
    private Scored score(final ModelSlot slot, final Event event, final double[] x, final boolean labelled,
                         final double target) {
        final Prediction.Builder p = Prediction.newBuilder()
                .setEventId(event.getEventId())
                .setModelId(slot.modelId)
                .setModelVersion(slot.version())
                .setEventTime(event.getEventTime())
                .setScoredAt(Instant.ofEpochMilli(System.currentTimeMillis()))
                .setLabelled(labelled);
        final double leverage;
        final double uncertainty;
        double loss = 0;
        if (slot.isClassifier()) {
            final ClassificationPrediction c = slot.model.classify(x);
            final List<Double> probabilities = new ArrayList<>(c.probabilities().length);
            for (final double v : c.probabilities()) {
                probabilities.add(v);
            }
            p.setClassification(ClassificationOutput.newBuilder()
                    .setProbabilities(probabilities)
                    .setPredictedClass(c.predictedClass())
                    .setPredictedClassName(slot.classNames.isEmpty() ? null : slot.classNames.get(c.predictedClass()))
                    .setEntropy(c.entropy())
                    .setMutualInformation(c.mutualInformation())
                    .build());
            leverage = c.leverage();
            uncertainty = c.entropy();
            if (labelled) {
                slot.scoreClassification(c.probabilities(), c.predictedClass(), (int) target);
                loss = config.driftLoss().of(c, (int) target);
            }
        } else {
            final RegressionPrediction r = slot.model.predict(x);
            final double sd = r.standardDeviation();
            p.setRegression(RegressionOutput.newBuilder()
                    .setMean(r.mean())
                    .setStdTotal(sd)
                    .setStdEpistemic(Math.sqrt(r.epistemicVariance()))
                    .setStdAleatoric(Math.sqrt(r.aleatoricVariance()))
                    .setLower95(r.mean() - Z95 * sd)
                    .setUpper95(r.mean() + Z95 * sd)
                    .build());
            leverage = r.leverage();
            uncertainty = r.epistemicVariance();
            if (labelled) {
                slot.scoreRegression(r.mean(), r.totalVariance(), target);
                loss = config.driftLoss().of(r, target);
            }
        }
        final double score = config.oodScore() == ServiceConfig.OodScore.LEVERAGE ? leverage : uncertainty;
        final ModelMonitor monitor = slot.monitor;
        final boolean watching = monitor.settings().detector() != ModelMonitor.Detector.NONE
                || monitor.settings().featureDrift();
        final Prediction prediction = p.setLeverage(leverage).setOodScore(score)
                .setOodThreshold(monitor.oodThreshold())
                .setOodFlag(monitor.isOutOfDistribution(score))
                .setDriftState(watching ? DriftState.valueOf(monitor.state().name()) : null)
                .build();
        return new Scored(prediction, score, loss);
    }

    private void forwardAlarm(final ModelSlot slot, final ModelMonitor.Alarm alarm, final long timestamp) {
        context.forward(new Record<>(slot.modelId, DriftAlert.newBuilder()
                .setModelId(slot.modelId)
                .setDetector(alarm.detector())
                .setLevel(DriftLevel.valueOf(alarm.level().name()))
                .setStatistic(alarm.statistic())
                .setThreshold(alarm.threshold())
                .setPosition(alarm.position())
                .setEventTime(Instant.ofEpochMilli(alarm.eventTime()))
                .setAction(alarm.action())
                .build(), timestamp));
    }

    /** The monitor store's value: the model's monitor settings (13 doubles) then the monitor's state. */
    private void writeMonitor(final ModelSlot slot) {
        final double[] settings = slot.monitor.settings().toArray();
        final double[] state = slot.monitor.exportState();
        final ByteBuffer buffer = ByteBuffer.allocate(8 * (settings.length + state.length));
        buffer.asDoubleBuffer().put(settings).put(state);
        monitors.put(slot.modelId, buffer.array());
    }

    private static double[] readDoubles(final byte[] bytes) {
        final double[] values = new double[bytes.length / 8];
        ByteBuffer.wrap(bytes).asDoubleBuffer().get(values);
        return values;
    }

    /** One BALI update from every pending label of the model (BALI.md §2–§4), then the writes it implies. */
    private void learnPending(final ModelSlot slot, final long timestamp) {
        final int n = slot.pendingCount;
        if (n == 0) {
            return;
        }
        final double[][] x = new double[n][];
        final double[] targets = new double[n];
        final long first = slot.nextPendingSeq - n;
        for (int i = 0; i < n; i++) {
            final String key = pendingKey(slot.modelId, first + i);
            final PendingLabel label = pending.delete(key);
            if (label == null) {
                throw new IllegalStateException("pending label " + key + " is missing from " + PENDING_STORE);
            }
            x[i] = ModelSlot.toArray(label.getFeatures());
            targets[i] = label.getTarget();
            slot.monitor.trained(label.getLoss(), label.getOodScore(), label.getPosition(), label.getEventTime())
                    .ifPresent(alarm -> forwardAlarm(slot, alarm, timestamp));
        }
        final double beta = slot.monitor.betaForUpdate();
        final UpdateResult result;
        if (slot.isClassifier()) {
            final int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (int) targets[i];
            }
            result = slot.model.learn(x, labels, beta);
        } else {
            result = slot.model.learn(x, targets, beta);
        }
        slot.monitor.updated();
        if (!result.accepted()) {
            slot.updatesRejected++;
            slot.lastRejection = result.reason();
        }
        slot.pendingCount = 0;
        slot.oldestPendingAt = 0;
        final ModelSnapshot snapshot = writeModel(slot);
        final long every = config.snapshotEvery();
        if (result.accepted() && every > 0 && slot.version() % every == 0) {
            context.forward(new Record<>(slot.modelId, snapshot, timestamp));
        }
    }

    /** Wall-clock punctuation: learns from partial batches that waited longer than the maximum wait. */
    private void learnStaleBatches(final long now) {
        final List<String> stale = new ArrayList<>();
        try (KeyValueIterator<String, LearnerProgress> it = progress.all()) {
            while (it.hasNext()) {
                final KeyValue<String, LearnerProgress> kv = it.next();
                final ModelSlot cached = cache.get(kv.key);
                final int count = cached != null ? cached.pendingCount : kv.value.getPendingCount();
                final long since = cached != null ? cached.oldestPendingAt : kv.value.getOldestPendingAt();
                if (count > 0 && now - since >= config.batchMaxWaitMs()) {
                    stale.add(kv.key);
                }
            }
        }
        for (final String modelId : stale) {
            final ModelSlot slot = slot(modelId);
            learnPending(slot, now);
            progress.put(modelId, slot.progress());
            writeMonitor(slot);
        }
    }

    private void emitMetrics(final ModelSlot slot, final long timestamp) {
        final ModelMetrics m = ModelMetrics.newBuilder()
                .setModelId(slot.modelId)
                .setModelVersion(slot.version())
                .setTask(slot.task())
                .setEventsScored(slot.eventsScored)
                .setLabelsSeen(slot.labelsSeen)
                .setUpdatesRejected(slot.updatesRejected)
                .setCumulative(slot.cumulativeMetrics())
                .setWindow(slot.windowMetrics())
                .setWindowLabels(slot.windowCount())
                .setStateBytes(slot.stateBytes)
                .setEmittedAt(Instant.ofEpochMilli(System.currentTimeMillis()))
                .build();
        slot.resetScorers(false);
        context.forward(new Record<>(slot.modelId, m, timestamp));
    }

    /** The model from the cache, or rebuilt from the stores, or null if the model does not exist yet. */
    private ModelSlot slot(final String modelId) {
        ModelSlot slot = cache.get(modelId);
        if (slot == null) {
            final byte[] bytes = models.get(modelId);
            if (bytes == null) {
                return null;
            }
            final LearnerProgress p = progress.get(modelId);
            if (p == null) {
                throw new IllegalStateException("model " + modelId + " has a state but no progress record");
            }
            final byte[] monitorBytes = monitors.get(modelId);
            if (monitorBytes == null) {
                throw new IllegalStateException("model " + modelId + " has a state but no monitor record");
            }
            final double[] monitor = readDoubles(monitorBytes);
            slot = ModelSlot.restore(snapshots.decode(bytes), p, bytes.length,
                    ModelMonitor.Settings.fromArray(java.util.Arrays.copyOf(monitor, 13)),
                    java.util.Arrays.copyOfRange(monitor, 13, monitor.length));
            cache.put(modelId, slot);
        }
        return slot;
    }

    private ModelSnapshot writeModel(final ModelSlot slot) {
        final ModelSnapshot snapshot = slot.snapshot();
        final byte[] bytes = snapshots.encode(snapshot);
        slot.stateBytes = bytes.length;
        models.put(slot.modelId, bytes);
        if (progress.get(slot.modelId) == null) {
            progress.put(slot.modelId, slot.progress());
            writeMonitor(slot);
        }
        return snapshot;
    }

    private void reject(final Record<String, RoutedEvent> record, final DeadLetterReason reason, final String detail) {
        final RoutedEvent r = record.value();
        context.forward(record.withValue(DeadLetters.of(reason, detail,
                new DeadLetters.Source(r.getSourceTopic(), r.getSourcePartition(), r.getSourceOffset()),
                bytes(r.getOriginalKey()), bytes(r.getOriginalValue()), record.key())));
    }

    /** The outcome of checking an event against a model: a label as a number (NaN if none) or a rejection. */
    record Checked(double target, DeadLetterReason reason, String detail) {
        static Checked ok(final double target) {
            return new Checked(target, null, null);
        }

        static Checked no(final DeadLetterReason reason, final String detail) {
            return new Checked(Double.NaN, reason, detail);
        }
    }

    /** Checks dimension and label of an event for a model of this task, width and class set. */
    static Checked check(final Event event, final Task task, final int inputs, final int numClasses,
                         final List<String> classNames) {
        final String id = "event " + event.getEventId();
        if (event.getFeatures().size() != inputs || inputs == 0) {
            return Checked.no(DeadLetterReason.WRONG_DIMENSION, id + " has " + event.getFeatures().size()
                    + " features, the model takes " + inputs);
        }
        final Object label = event.getLabel();
        if (label == null) {
            return Checked.ok(Double.NaN);
        }
        if (task == Task.REGRESSION) {
            if (!(label instanceof Double)) {
                return Checked.no(DeadLetterReason.LABEL_OUT_OF_RANGE, id + ": label '" + label
                        + "' is not a number, and the model is a regression");
            }
            final double y = (Double) label;
            return Double.isFinite(y) ? Checked.ok(y)
                    : Checked.no(DeadLetterReason.LABEL_OUT_OF_RANGE, id + ": regression target is " + y);
        }
        if (label instanceof CharSequence) {
            final int k = classNames.indexOf(label.toString());
            if (k < 0) {
                return Checked.no(DeadLetterReason.UNKNOWN_CLASS, id + ": class '" + label + "' is not one of "
                        + (classNames.isEmpty() ? "the model's classes (it has no class names, use indices 0.."
                        + (numClasses - 1) + ")" : classNames));
            }
            return Checked.ok(k);
        }
        final double c = (Double) label;
        if (!(c >= 0 && c < numClasses && c == Math.rint(c))) {
            return Checked.no(DeadLetterReason.LABEL_OUT_OF_RANGE, id + ": class index " + c
                    + " is not a whole number in 0.." + (numClasses - 1));
        }
        return Checked.ok(c);
    }

    static String pendingKey(final String modelId, final long seq) {
        return modelId + "#" + seq;
    }

    private static byte[] bytes(final ByteBuffer b) {
        if (b == null) {
            return null;
        }
        final ByteBuffer d = b.duplicate();
        final byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
