package io.balistreams.streams;

import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.DriftAlert;
import io.balistreams.avro.DriftLevel;
import io.balistreams.avro.Event;
import io.balistreams.avro.Label;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.ModelPosterior;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.ModelTask;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.internal.AwaitingLabel;
import io.balistreams.avro.internal.AwaitingState;
import io.balistreams.avro.internal.LearnerModel;
import io.balistreams.avro.internal.LearnerProgress;
import io.balistreams.avro.internal.ModelRemoved;
import io.balistreams.avro.internal.OnlineLearnerState;
import io.balistreams.avro.internal.PendingLabel;
import io.balistreams.avro.internal.RoutedEvent;
import io.balistreams.avro.internal.RoutedLabel;
import io.balistreams.avro.internal.TrainingExample;
import io.balistreams.avro.internal.TrainingExampleKind;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.ServingPosteriorCodec;
import io.balistreams.bali.Task;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.LearnerUpdate;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.QueuedLabel;
import io.balistreams.online.ScoredEvent;
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
import java.util.function.Function;

/**
 * The Kafka adapter of the online learner (docs/architecture.md, data flow): records and stores in,
 * records out; the protocol itself is {@link OnlineLearner}'s. For each event of a model, in the order of
 * its partition:
 * <ol>
 *   <li>checks the event against the model (feature dimension, label kind and range); a model is created
 *       from its {@code model-config} entry or the defaults on its first valid event, up to
 *       {@code bali.models.max} per instance;</li>
 *   <li>scores it ({@link OnlineLearner#score}) and forwards a {@link Prediction}, and a {@link DriftAlert}
 *       if the feature-drift detector fired;</li>
 *   <li>if labelled, hands the label to the learner ({@link OnlineLearner#label}) and stores it in the
 *       pending store; if not, keeps it waiting for its label ({@link AwaitingLabels}) with the prediction
 *       that was served. A {@link RoutedLabel} from the labels topic that finds its event waiting is handed
 *       to the learner against that served prediction ({@link OnlineLearner#lateLabel}); one that finds
 *       nothing is dead-lettered with its reason. A full mini-batch of B labels (or a partial one older than
 *       {@code bali.batch.max.wait.ms}, by a wall-clock punctuation) triggers one update
 *       ({@link OnlineLearner#learn}), which bumps the model version;</li>
 *   <li>emits {@link ModelMetrics} every {@code bali.metrics.every} labels, a {@link ModelSnapshot} every
 *       {@code bali.snapshot.every} accepted updates and the serving posterior every
 *       {@code bali.posterior.every}.</li>
 * </ol>
 * <p>A model's {@code model-config} entry can reset, delete or replace it (ModelConfig v4, docs/architecture.md §9):
 * a wall-clock punctuation every {@link #LIFECYCLE_CHECK} compares each held model's generation with its entry's
 * and acts on a newer one ({@link #live}); a new model whose entry imports a snapshot starts from it.
 *
 * <p>Under distributed scoring ({@code bali.scoring=distributed}, docs/architecture.md §3) this processor
 * receives no events and no labels: {@link ScorerProcessor} scores where events arrive and sends
 * {@link TrainingExample}s, which are learned from against the prediction they carry
 * ({@link OnlineLearner#scoredElsewhere}, then {@link OnlineLearner#label} or {@link OnlineLearner#lateLabel}),
 * and counts of events that stopped waiting. Steps 3 and 4 are the same; the waiting store is the scorer's.
 *
 * <p>The learner's state lives in four stores (and the waiting events in a fifth, {@link AwaitingLabels}), each written when its part changed: {@value #MODEL_STORE} (the
 * model and its settings, a {@link LearnerModel}, on each update), {@value #PROGRESS_STORE} (counters and
 * metric sums, every event), {@value #MONITOR_STORE} (the monitor's state in two parts, each written when it
 * changed: the small event part per event, the large label part per update) and
 * {@value #PENDING_STORE} (queued labels, keyed by model id and sequence number modulo B, so a batch
 * overwrites the previous one's keys instead of deleting them). The in-memory learners are only a cache of
 * the stores, dropped in {@link #init} and {@link #close}, so after a crash the task resumes from exactly
 * the committed state. With the wait timer off, a model's state is a deterministic function of its events.
 */
final class LearnerProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LearnerProcessor.class);

    static final String MODEL_STORE = "bali-models";
    static final String PROGRESS_STORE = "bali-progress";
    static final String PENDING_STORE = "bali-pending";
    static final String CONFIG_STORE = "bali-model-config";
    static final String MONITOR_STORE = "bali-monitor";
    /** How often the models' model-config entries are checked for a newer generation when no record comes. */
    static final Duration LIFECYCLE_CHECK = Duration.ofSeconds(1);

    private final ServiceConfig config;
    private final AtomicInteger modelsInInstance;
    private final ModelObserver observer;
    /** Thread-safe (Avro's message encoder and decoder are): the stream threads and the queries share it. */
    private static final AvroSerde<LearnerModel> MODEL_SERDE = AvroSerde.of(LearnerModel.class);
    private final Map<String, Slot> cache = new HashMap<>();
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, byte[]> models;
    private KeyValueStore<String, LearnerProgress> progress;
    private KeyValueStore<String, PendingLabel> pending;
    private ModelConfigs configs;
    private KeyValueStore<String, byte[]> monitors;
    private AwaitingLabels awaiting;
    /** The latest event or label time this task has seen: the clock of the labels' maximum delay. */
    private long eventClock = Long.MIN_VALUE;
    private int modelsHeld;

    /** A cached learner with what the adapter knows about its stored form. */
    private static final class Slot {
        final OnlineLearner learner;
        /** The generation of the model-config entry the model was (re)started from (ModelConfig v4). */
        final long generation;
        /** Size in bytes of the model's stored state, as last written. */
        int stateBytes;
        /** The monitor's change counts when its two parts were last written (−1: never). */
        long eventPartWritten;
        long labelPartWritten;

        /** A learner restored from the stores ({@code stateBytes} &gt; 0), or a new one (0: nothing stored yet). */
        Slot(final OnlineLearner learner, final int stateBytes, final long generation) {
            this.learner = learner;
            this.generation = generation;
            this.stateBytes = stateBytes;
            this.eventPartWritten = stateBytes > 0 ? learner.monitor().eventStateChanges() : -1;
            this.labelPartWritten = stateBytes > 0 ? learner.monitor().labelStateChanges() : -1;
        }
    }

    /**
     * @param modelsInInstance models held by all learner tasks of this application instance (shared by
     *                         the processors of one supplier), checked against {@code bali.models.max}
     */
    LearnerProcessor(final ServiceConfig config, final AtomicInteger modelsInInstance) {
        this(config, modelsInInstance, ModelObserver.NONE);
    }

    LearnerProcessor(final ServiceConfig config, final AtomicInteger modelsInInstance, final ModelObserver observer) {
        this.config = config;
        this.modelsInInstance = modelsInInstance;
        this.observer = observer;
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.models = context.getStateStore(MODEL_STORE);
        this.progress = context.getStateStore(PROGRESS_STORE);
        this.pending = context.getStateStore(PENDING_STORE);
        this.configs = new ModelConfigs(context.getStateStore(CONFIG_STORE));
        this.monitors = context.getStateStore(MONITOR_STORE);
        // with distributed scoring, events wait for their labels in the scoring tasks
        this.awaiting = config.distributedScoring() ? null : new AwaitingLabels(
                context.getStateStore(AwaitingLabels.STORE), config.labelsMaxDelayMs(), config.labelsMaxWaiting());
        eventClock = Long.MIN_VALUE;
        cache.clear();
        modelsHeld = 0;
        try (KeyValueIterator<String, LearnerProgress> it = progress.all()) {
            while (it.hasNext()) {
                it.next();
                modelsHeld++;
            }
        }
        modelsInInstance.addAndGet(modelsHeld);
        context.schedule(LIFECYCLE_CHECK, PunctuationType.WALL_CLOCK_TIME, this::applyLifecycle);
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
    public void process(final Record<String, SpecificRecord> record) {
        if (record.value() instanceof TrainingExample example) {
            processExample(record.withValue(example));
        } else if (record.value() instanceof RoutedLabel label) {
            processLabel(record.withValue(label));
        } else {
            processEvent(record.withValue((RoutedEvent) record.value()));
        }
    }

    private void processEvent(final Record<String, RoutedEvent> record) {
        final RoutedEvent routed = record.value();
        final Event event = routed.getEvent();
        final String modelId = record.key();
        Slot slot = slot(modelId);
        final Checked checked;
        if (slot == null) {
            final Created created = create(modelId, event.getFeatures().size(), "event " + event.getEventId(),
                    shape -> check(event, shape.task(), shape.inputs(), shape.numClasses(), shape.classNames()),
                    record.timestamp());
            checked = created.checked();
            if (checked.reason != null) {
                reject(record, checked.reason, checked.detail);
                return;
            }
            slot = created.slot();
        } else {
            final BaliConfig c = slot.learner.config();
            checked = check(event, c.task(), c.inputSize(), c.numClasses(), slot.learner.classNames());
            if (checked.reason != null) {
                reject(record, checked.reason, checked.detail);
                return;
            }
        }

        final OnlineLearner learner = slot.learner;
        final boolean labelled = !Double.isNaN(checked.target);
        final long scoringStart = System.nanoTime();
        final ScoredEvent scored = learner.score(OnlineLearner.toArray(event.getFeatures()),
                event.getEventTime().toEpochMilli());
        observer.scored(modelId, System.nanoTime() - scoringStart, scored.oodFlag());
        final Prediction served = ServedPredictions.prediction(modelId, learner.classNames(), event, scored, labelled);
        context.forward(record.withValue(served));
        if (scored.alarm() != null) {
            forwardAlarm(modelId, scored.alarm(), record.timestamp());
        }
        if (labelled) {
            queue(slot, learner.label(scored, checked.target, System.currentTimeMillis()), event.getFeatures(),
                    record.timestamp());
        } else if (awaiting.enabled()) {
            for (final AwaitingLabel evicted : awaiting.await(modelId, event.getEventId(),
                    ServedPredictions.awaitingEntry(modelId, event, scored, served))) {
                final Slot owner = slot(evicted.getModelId());
                if (owner != null) { // null: its model was deleted while the event waited
                    owner.learner.labelEvicted();
                    saveProgress(owner);
                }
            }
        }
        writeMonitor(slot);
        saveProgress(slot);
        advanceEventClock(scored.eventTime());
    }

    /** A new model's learner, or (slot null) why it cannot be created, with the first record's check. */
    private record Created(Slot slot, Checked checked) {
    }

    /** What a new model would take: its task, input width and classes, to check the record that creates it. */
    record ModelShape(Task task, int inputs, int numClasses, List<String> classNames) {
    }

    /**
     * Creates the learner of a new model from its {@code model-config} entry or the defaults — from the entry's
     * initial snapshot if it imports one — after checking the record that creates it, within {@code bali.models.max}
     * per instance; writes its state and publishes its prior. A model its entry deletes is not created.
     *
     * @param featureCount the record's number of features (the input dimension unless the configuration fixes it)
     * @param what         the creating record, for the dead letter's detail
     * @param check        checks the record against the shape the model would have
     */
    private Created create(final String modelId, final int featureCount, final String what,
                           final Function<ModelShape, Checked> check, final long timestamp) {
        final ModelConfig entry = configs.get(modelId);
        if (ImportedModels.deleted(entry)) {
            return new Created(null, Checked.no(DeadLetterReason.MODEL_DELETED, deletedDetail(what, modelId, entry)));
        }
        final ModelSpec spec;
        final ModelMonitor.Settings monitoring;
        final ImportedModels.Imported imported;
        try {
            monitoring = config.monitorSettings(entry);
            imported = ImportedModels.imports(entry) ? ImportedModels.decode(entry) : null;
            spec = imported != null ? null
                    : entry == null ? config.modelDefaults() : config.modelDefaults().withOverrides(entry);
        } catch (final IllegalArgumentException e) {
            return new Created(null, Checked.no(DeadLetterReason.INVALID_MODEL_CONFIG, "model " + modelId
                    + " cannot be created, its model-config entry no longer fits the defaults: " + e.getMessage()));
        }
        final ModelShape shape = imported != null
                ? new ModelShape(imported.config().task(), imported.config().inputSize(),
                imported.config().numClasses(), imported.snapshot().getClassNames())
                : new ModelShape(spec.task(), spec.inputDimension() != null ? spec.inputDimension() : featureCount,
                spec.numClasses(), spec.classNames());
        final Checked checked = check.apply(shape);
        if (checked.reason != null) {
            return new Created(null, checked);
        }
        if (spec != null) {
            // before anything is made or written: a state the changelog could not carry would stop the stream thread
            final long bytes = spec.stateBytes(shape.inputs());
            if (bytes > config.stateMaxBytes()) {
                return new Created(null, Checked.no(DeadLetterReason.INVALID_MODEL_CONFIG, what + " would create model "
                        + modelId + " (" + describe(spec, shape.inputs()) + ") with a state of about "
                        + String.format(java.util.Locale.ROOT, "%,d", bytes) + " bytes, "
                        + String.format(java.util.Locale.ROOT, "%,d", bytes - config.stateMaxBytes())
                        + " more than bali.state.max.bytes = " + config.stateMaxBytes()));
            }
        }
        if (modelsInInstance.get() >= config.maxModels()) {
            return new Created(null, Checked.no(DeadLetterReason.MODEL_LIMIT_REACHED, what + " would create model "
                    + modelId + " but this instance already holds " + modelsInInstance.get()
                    + " models (bali.models.max = " + config.maxModels() + ")"));
        }
        final LearnerSettings settings = new LearnerSettings(monitoring, config.driftLoss(), config.oodScore(),
                config.metricsEvery());
        final OnlineLearner learner = imported != null ? OnlineLearner.start(modelId, imported.snapshot(), settings)
                : spec.isMixture() ? OnlineLearner.create(modelId, spec.toMixture(shape.inputs()), spec.classNames(), settings)
                : OnlineLearner.create(modelId, spec.toBaliConfig(shape.inputs()), spec.classNames(), settings);
        final Slot slot = new Slot(learner, 0, ImportedModels.generation(entry));
        final int held = modelsInInstance.incrementAndGet();
        modelsHeld++;
        LOG.info("model {} created from {}: {}, version {}, generation {} ({} of at most {} models in this instance)",
                modelId, imported != null ? "the snapshot in its model-config entry"
                        : entry == null ? "the defaults" : "its model-config entry",
                learner.mixture() != null ? learner.mixture().describe() : learner.config().describe(),
                learner.version(), slot.generation, held, config.maxModels());
        cache.put(modelId, slot);
        writeModel(slot);
        writeMonitor(slot);
        saveProgress(slot);
        if (config.posteriorEvery() > 0) {
            publishPosterior(learner, timestamp);
        }
        return new Created(slot, checked);
    }

    /** A model's architecture in one line, from its spec, without making it. */
    private static String describe(final ModelSpec spec, final int inputs) {
        final BaliConfig c = spec.toBaliConfig(inputs);
        return spec.isMixture() ? io.balistreams.bali.BaliMixture.describe(c, spec.experts(), spec.share())
                : c.describe();
    }

    private static String deletedDetail(final String what, final String modelId, final ModelConfig entry) {
        return what + " is for model " + modelId + ", which its model-config entry deleted (generation "
                + ImportedModels.generation(entry) + "); an entry with a higher generation and without deleted=true "
                + "(bali model reset) starts it again";
    }

    /**
     * Applies a newer generation of the model's {@code model-config} entry (ModelConfig v4, docs/architecture.md §9):
     * a model whose entry's generation is higher than its own is removed from every store and, unless the entry
     * deletes it, started again at once from the entry — from its initial snapshot (an import) or its prior (a
     * reset), with the old model's input width where the entry does not fix one. Called by the lifecycle
     * punctuation, not per record: an entry reaches the global store at no set point of the model's stream anyway,
     * and a per-record check would cost a store read per event.
     *
     * @return the learner, or null if the model does not exist (never created, or deleted)
     */
    private Slot live(final String modelId, final long timestamp) {
        final Slot slot = slot(modelId);
        if (slot == null) {
            return null;
        }
        final ModelConfig entry = configs.get(modelId);
        final long generation = ImportedModels.generation(entry);
        if (generation <= slot.generation) {
            return slot;
        }
        final boolean deleted = ImportedModels.deleted(entry);
        remove(slot, generation, deleted, timestamp);
        if (deleted) {
            return null;
        }
        final String what = "generation " + generation + " of model " + modelId;
        final Created created = create(modelId, slot.learner.config().inputSize(), what,
                shape -> Checked.ok(Double.NaN), timestamp);
        if (created.slot() == null) {
            LOG.warn("model {} was removed for {} but cannot start again: {}", modelId, what, created.checked().detail);
        }
        return created.slot();
    }

    /** Removes a model's state from every store of the learner and tells the topology (tombstones) and the observer. */
    private void remove(final Slot slot, final long generation, final boolean deleted, final long timestamp) {
        final OnlineLearner learner = slot.learner;
        final String modelId = learner.modelId();
        models.delete(modelId);
        progress.delete(modelId);
        monitors.delete(monitorKey(modelId, EVENT_PART));
        monitors.delete(monitorKey(modelId, LABEL_PART));
        for (int i = 0; i < learner.config().batchSize(); i++) {
            pending.delete(pendingKey(modelId, i));
        }
        cache.remove(modelId);
        modelsHeld--;
        modelsInInstance.decrementAndGet();
        observer.removed(modelId);
        LOG.info("model {} {} by generation {} of its model-config entry (it was at version {}, generation {})",
                modelId, deleted ? "deleted" : "removed to start again", generation, learner.version(), slot.generation);
        context.forward(new Record<>(modelId, new ModelRemoved(modelId, generation, deleted), timestamp));
    }

    /**
     * Wall-clock punctuation, every {@link #LIFECYCLE_CHECK}: applies the newer generations of the
     * {@code model-config} entries of the models this task holds ({@link #live}).
     */
    private void applyLifecycle(final long now) {
        final List<String> due = new ArrayList<>();
        try (KeyValueIterator<String, LearnerProgress> it = progress.all()) {
            while (it.hasNext()) {
                final KeyValue<String, LearnerProgress> kv = it.next();
                final Slot cached = cache.get(kv.key);
                final long generation = cached != null ? cached.generation : kv.value.getGeneration();
                if (ImportedModels.generation(configs.get(kv.key)) > generation) {
                    due.add(kv.key);
                }
            }
        }
        for (final String modelId : due) {
            live(modelId, now);
        }
    }

    /** Writes the model's counters and metric sums, stamped with its generation. */
    private void saveProgress(final Slot slot) {
        final LearnerProgress p = slot.learner.exportProgress();
        p.setGeneration(slot.generation);
        progress.put(slot.learner.modelId(), p);
    }

    /**
     * Distributed scoring: what a scoring task sends about a model (docs/architecture.md §7) — a training
     * example (an event scored there with a published posterior, with its label), learned against the
     * prediction that was served; or a count of the model's events that stopped waiting for a label there.
     */
    private void processExample(final Record<String, TrainingExample> record) {
        final TrainingExample example = record.value();
        final String modelId = record.key();
        final boolean isExample = example.getKind() == TrainingExampleKind.EXAMPLE;
        final String what = isExample ? "event " + example.getEventId()
                : example.getCount() + " scored event(s) that stopped waiting for a label";
        Slot slot = slot(modelId);
        if (slot == null) {
            final Created created = create(modelId, example.getInputDimension(), what,
                    shape -> dimension(what, example.getInputDimension(), shape.inputs()), record.timestamp());
            if (created.checked().reason != null) {
                rejectExample(record, created.checked());
                return;
            }
            slot = created.slot();
        }
        final OnlineLearner learner = slot.learner;
        switch (example.getKind()) {
            case EXPIRED -> {
                for (int i = 0; i < example.getCount(); i++) {
                    learner.labelExpired();
                }
            }
            case EVICTED -> {
                for (int i = 0; i < example.getCount(); i++) {
                    learner.labelEvicted();
                }
            }
            case EXAMPLE -> {
                final BaliConfig c = learner.config();
                final AwaitingLabel entry = example.getServed();
                Checked checked = dimension(what, example.getInputDimension(), c.inputSize());
                if (checked.reason == null && entry.getProbabilities().isEmpty() == learner.isClassifier()) {
                    checked = Checked.no(DeadLetterReason.INVALID_MODEL_CONFIG, what + " was scored by a posterior of "
                            + "another task than model " + modelId + "'s (its configuration changed)");
                }
                if (checked.reason == null) {
                    checked = checkLabel(example.getTarget(), c.task(), c.numClasses(), learner.classNames(), what);
                }
                if (checked.reason != null) {
                    rejectExample(record, checked);
                    return;
                }
                final ScoredEvent served = ServedPredictions.servedEvent(entry, learner.isClassifier());
                final ScoredEvent scored = learner.scoredElsewhere(served.eventTime(), served.modelVersion(),
                        served.features(), served.regression(), served.classification(), served.oodScore());
                if (scored.alarm() != null) {
                    forwardAlarm(modelId, scored.alarm(), record.timestamp());
                }
                final long now = System.currentTimeMillis();
                final QueuedLabel queued = example.getLabelTime() == null
                        ? learner.label(scored, example.getTarget(), now)
                        : learner.lateLabel(scored, example.getTarget(), example.getLabelTime(), now);
                queue(slot, queued, entry.getFeatures(), record.timestamp());
                writeMonitor(slot);
            }
        }
        saveProgress(slot);
    }

    private static Checked dimension(final String what, final int features, final int inputs) {
        return features == inputs && inputs > 0 ? Checked.ok(Double.NaN)
                : Checked.no(DeadLetterReason.WRONG_DIMENSION, what + " has " + features + " features, the model takes "
                + inputs);
    }

    /**
     * Dead-letters a refused training example with the record that completed it (the event, or its label). A
     * count of events that stopped waiting carries no record: if its model cannot be created, there is nothing
     * to count it on, and each of those events already had its prediction.
     */
    private void rejectExample(final Record<String, TrainingExample> record, final Checked checked) {
        if (record.value().getKind() == TrainingExampleKind.EXAMPLE) {
            context.forward(record.withValue(DeadLetters.of(checked.reason, checked.detail, record.value(),
                    record.key())));
        }
    }

    /** Stores a queued label for the next update, then emits metrics and learns when they are due. */
    private void queue(final Slot slot, final QueuedLabel queued, final List<Double> features, final long timestamp) {
        final OnlineLearner learner = slot.learner;
        observer.labelled(learner.modelId());
        pending.put(pendingKey(learner.modelId(), queued.sequence() % learner.config().batchSize()),
                new PendingLabel(features, queued.target(), queued.loss(), queued.oodScore(), queued.position(),
                        queued.eventTime()));
        if (learner.metricsDue()) {
            emitMetrics(slot, timestamp);
        }
        if (learner.batchDue()) {
            learn(slot, timestamp);
        }
    }

    /**
     * A label from the labels topic: it joins its scored event if that event is waiting for it, and the pair
     * is learned from against the prediction that was served; otherwise it is dead-lettered with the reason.
     */
    private void processLabel(final Record<String, RoutedLabel> record) {
        final Label label = record.value().getLabel();
        final String modelId = record.key();
        advanceEventClock(label.getLabelTime().toEpochMilli());
        final String id = "label for event " + label.getEventId() + " of model " + modelId;
        final AwaitingLabel entry = awaiting.get(modelId, label.getEventId());
        if (entry == null || entry.getState() != AwaitingState.WAITING) {
            final AwaitingState state = entry == null ? null : entry.getState();
            rejectLabel(record, labelReason(state), id + labelRejection(state, config));
            return;
        }
        final Slot slot = slot(modelId);
        if (slot == null) {
            final ModelConfig modelEntry = configs.get(modelId);
            if (!ImportedModels.deleted(modelEntry)) {
                throw new IllegalStateException("model " + modelId + " has an event waiting for its label but no state");
            }
            rejectLabel(record, DeadLetterReason.MODEL_DELETED, deletedDetail(id, modelId, modelEntry));
            return;
        }
        final OnlineLearner learner = slot.learner;
        final BaliConfig c = learner.config();
        final Checked checked = checkLabel(label.getLabel(), c.task(), c.numClasses(), learner.classNames(), id);
        if (checked.reason != null) {
            rejectLabel(record, checked.reason, checked.detail + " (the event keeps waiting for a valid label)");
            return;
        }
        final ScoredEvent served = ServedPredictions.servedEvent(entry, learner.isClassifier());
        awaiting.labelled(modelId, label.getEventId(), entry);
        queue(slot, learner.lateLabel(served, checked.target, label.getLabelTime().toEpochMilli(),
                System.currentTimeMillis()), entry.getFeatures(), record.timestamp());
        writeMonitor(slot);
        saveProgress(slot);
    }

    /** The dead-letter reason of a label whose event is in {@code state} (null: no entry), not waiting. */
    static DeadLetterReason labelReason(final AwaitingState state) {
        return state == AwaitingState.EXPIRED ? DeadLetterReason.LABEL_EXPIRED
                : state == AwaitingState.LABELLED ? DeadLetterReason.LABEL_DUPLICATE
                : DeadLetterReason.LABEL_UNKNOWN_EVENT;
    }

    /** Why a label whose event is in {@code state} (null: no entry) joins nothing, for its dead letter. */
    static String labelRejection(final AwaitingState state, final ServiceConfig config) {
        return state == null
                ? ": no scored event is waiting for it (never scored, scored with its label, or expired long ago)"
                : state == AwaitingState.EXPIRED ? ": the event waited longer than bali.labels.max.delay.ms = "
                + config.labelsMaxDelayMs() + " ms of event time"
                : state == AwaitingState.LABELLED ? ": the event already has its label"
                : ": the event stopped waiting to keep bali.labels.max.waiting = " + config.labelsMaxWaiting();
    }

    /** Expires the events that waited longer than the maximum delay behind the latest time seen. */
    private void advanceEventClock(final long time) {
        if (time <= eventClock) {
            return;
        }
        eventClock = time;
        for (final AwaitingLabel expired : awaiting.advance(time)) {
            final Slot owner = slot(expired.getModelId());
            if (owner != null) { // null: its model was deleted while the event waited
                owner.learner.labelExpired();
                saveProgress(owner);
            }
        }
    }

    private void rejectLabel(final Record<String, RoutedLabel> record, final DeadLetterReason reason,
                        final String detail) {
        context.forward(record.withValue(DeadLetters.of(reason, detail, record.value(), record.key())));
    }

    private void forwardAlarm(final String modelId, final ModelMonitor.Alarm alarm, final long timestamp) {
        observer.alarm(modelId, alarm.level().name(), alarm.detector());
        LOG.info("model {}: {} alarm of {} at event {} (statistic {} > threshold {}){}", modelId, alarm.level(),
                alarm.detector(), alarm.position(), String.format(java.util.Locale.ROOT, "%.4g", alarm.statistic()),
                String.format(java.util.Locale.ROOT, "%.4g", alarm.threshold()),
                alarm.action() == null || alarm.action().isEmpty() ? "" : ": " + alarm.action());
        context.forward(new Record<>(modelId, DriftAlert.newBuilder()
                .setModelId(modelId)
                .setDetector(alarm.detector())
                .setLevel(DriftLevel.valueOf(alarm.level().name()))
                .setStatistic(alarm.statistic())
                .setThreshold(alarm.threshold())
                .setPosition(alarm.position())
                .setEventTime(Instant.ofEpochMilli(alarm.eventTime()))
                .setAction(alarm.action())
                .build(), timestamp));
    }

    /**
     * Writes each part of the monitor's state that changed since it was last written: the event part (β,
     * the feature-drift detector; may change with every event, a few hundred bytes) under
     * {@code modelId#event}, the label part (loss detector, threshold sketch; changes once per update, a
     * few KB) under {@code modelId#label}.
     */
    private void writeMonitor(final Slot slot) {
        final ModelMonitor monitor = slot.learner.monitor();
        final String modelId = slot.learner.modelId();
        if (monitor.eventStateChanges() != slot.eventPartWritten) {
            monitors.put(monitorKey(modelId, EVENT_PART), bytes(monitor.exportEventState()));
            slot.eventPartWritten = monitor.eventStateChanges();
        }
        if (monitor.labelStateChanges() != slot.labelPartWritten) {
            monitors.put(monitorKey(modelId, LABEL_PART), bytes(monitor.exportLabelState()));
            slot.labelPartWritten = monitor.labelStateChanges();
        }
    }

    private static final String EVENT_PART = "event";
    private static final String LABEL_PART = "label";

    /** Key of one part of a model's monitor state: distinct suffixes keep the keys of all models apart. */
    static String monitorKey(final String modelId, final String part) {
        return modelId + "#" + part;
    }

    private static byte[] bytes(final double[] values) {
        final ByteBuffer buffer = ByteBuffer.allocate(8 * values.length);
        buffer.asDoubleBuffer().put(values);
        return buffer.array();
    }

    private static double[] readDoubles(final byte[] bytes) {
        final double[] values = new double[bytes.length / 8];
        ByteBuffer.wrap(bytes).asDoubleBuffer().get(values);
        return values;
    }

    /** One update from every pending label of the model, then the writes and records it implies. */
    private void learn(final Slot slot, final long timestamp) {
        final OnlineLearner learner = slot.learner;
        final long updateStart = System.nanoTime();
        final LearnerUpdate update = learner.learn();
        observer.updated(learner.modelId(), learner.version(), System.nanoTime() - updateStart, update.accepted());
        for (final ModelMonitor.Alarm alarm : update.alarms()) {
            forwardAlarm(learner.modelId(), alarm, timestamp);
        }
        final LearnerModel stored = writeModel(slot);
        final long every = config.snapshotEvery();
        if (update.accepted() && every > 0 && learner.version() % every == 0) {
            context.forward(new Record<>(learner.modelId(), stored.getSnapshot(), timestamp));
        }
        final long posteriorEvery = config.posteriorEvery();
        if (update.accepted() && posteriorEvery > 0 && learner.version() % posteriorEvery == 0) {
            publishPosterior(learner, timestamp);
        }
    }

    /**
     * Publishes the model's serving posterior (what the closed-form predictive needs at this version,
     * docs/method.md §5) to the {@code model-posteriors} topic, for scorers outside this task.
     */
    private void publishPosterior(final OnlineLearner learner, final long timestamp) {
        final ModelPosterior posterior = ServingPosteriorCodec.toRecord(learner.modelId(), learner.classNames(),
                learner.servingModel());
        posterior.setOodThreshold(learner.monitor().oodThreshold());
        posterior.setDriftState(learner.settings().monitor().watching() ? learner.monitor().state().name() : null);
        context.forward(new Record<>(learner.modelId(), posterior, timestamp));
    }

    /** Wall-clock punctuation: learns from partial batches that waited longer than the maximum wait. */
    private void learnStaleBatches(final long now) {
        final List<String> stale = new ArrayList<>();
        try (KeyValueIterator<String, LearnerProgress> it = progress.all()) {
            while (it.hasNext()) {
                final KeyValue<String, LearnerProgress> kv = it.next();
                final Slot cached = cache.get(kv.key);
                final int count = cached != null ? cached.learner.pendingCount() : kv.value.getPendingCount();
                final long since = cached != null ? cached.learner.oldestPendingAt() : kv.value.getOldestPendingAt();
                if (count > 0 && now - since >= config.batchMaxWaitMs()) {
                    stale.add(kv.key);
                }
            }
        }
        for (final String modelId : stale) {
            final Slot slot = slot(modelId);
            learn(slot, now);
            saveProgress(slot);
            writeMonitor(slot);
        }
    }

    private void emitMetrics(final Slot slot, final long timestamp) {
        final OnlineLearner learner = slot.learner;
        final ModelMetrics m = ModelMetrics.newBuilder()
                .setModelId(learner.modelId())
                .setModelVersion(learner.version())
                .setTask(learner.isClassifier() ? ModelTask.CLASSIFICATION : ModelTask.REGRESSION)
                .setEventsScored(learner.eventsScored())
                .setLabelsSeen(learner.labelsSeen())
                .setUpdatesRejected(learner.updatesRejected())
                .setCumulative(learner.cumulativeMetrics())
                .setWindow(learner.windowMetrics())
                .setWindowLabels(learner.windowLabels())
                .setStateBytes(slot.stateBytes)
                .setLabelsJoined(learner.labelsJoined())
                .setLabelsExpired(learner.labelsExpired())
                .setLabelsEvicted(learner.labelsEvicted())
                .setWaitingForLabels(awaiting == null ? 0 : awaiting.waiting(learner.modelId()))
                .setWindowLabelDelayMs(learner.windowLabelDelayMs())
                // a learner that sees only training examples cannot count the events scored in between
                .setWindowLabelDelayEvents(awaiting == null ? null : learner.windowLabelDelayEvents())
                .setWindowVersionsBehind(learner.windowVersionsBehind())
                .setMemoryWeights(learner.mixture() == null ? null : learner.mixture().memoryWeights())
                .setEmittedAt(Instant.ofEpochMilli(System.currentTimeMillis()))
                .build();
        learner.startMetricsWindow();
        observer.metrics(m, learner.settings().monitor().watching() ? learner.monitor().state().name() : null);
        context.forward(new Record<>(learner.modelId(), m, timestamp));
    }

    /** The model from the cache, or rebuilt from the stores, or null if the model does not exist yet. */
    private Slot slot(final String modelId) {
        Slot slot = cache.get(modelId);
        if (slot == null) {
            final Restored restored = restore(modelId, models::get, progress::get, monitors::get, pending::get);
            if (restored == null) {
                return null;
            }
            slot = new Slot(restored.learner(), restored.stateBytes(), restored.generation());
            cache.put(modelId, slot);
        }
        return slot;
    }

    /** A learner rebuilt from the stores, and the size of its stored model state. */
    record Restored(OnlineLearner learner, int stateBytes, long generation) {
    }

    /**
     * Rebuilds a model's learner from the learner's stores, read through these lookups (the task's own stores, or
     * read-only views of them for an interactive query, {@link ModelQueries}).
     *
     * @param pendingLabels the pending store, or null to restore without the labels waiting for the next update
     *                      (a query's view: the stores are read one after the other, not at one commit)
     * @return the learner, or null if the model does not exist
     * @throws IllegalStateException if a part of the model's state is missing
     */
    static Restored restore(final String modelId, final Function<String, byte[]> modelStore,
                            final Function<String, LearnerProgress> progressStore,
                            final Function<String, byte[]> monitorStore,
                            final Function<String, PendingLabel> pendingLabels) {
        final byte[] bytes = modelStore.apply(modelId);
        if (bytes == null) {
            return null;
        }
        LearnerProgress p = progressStore.apply(modelId);
        final long generation = p == null ? 0 : p.getGeneration();
        if (p == null) {
            throw new IllegalStateException("model " + modelId + " has a state but no progress record");
        }
        final byte[] eventPart = monitorStore.apply(monitorKey(modelId, EVENT_PART));
        final byte[] labelPart = monitorStore.apply(monitorKey(modelId, LABEL_PART));
        if (eventPart == null || labelPart == null) {
            throw new IllegalStateException("model " + modelId + " has a state but no monitor record");
        }
        final LearnerModel stored = MODEL_SERDE.decode(bytes);
        final List<PendingLabel> labels = new ArrayList<>(p.getPendingCount());
        if (pendingLabels == null) {
            p = LearnerProgress.newBuilder(p).setPendingCount(0).build();
        } else {
            final int batchSize = OnlineLearner.batchSizeOf(stored.getSnapshot());
            for (long seq = p.getNextPendingSeq() - p.getPendingCount(); seq < p.getNextPendingSeq(); seq++) {
                final String key = pendingKey(modelId, seq % batchSize);
                final PendingLabel label = pendingLabels.apply(key);
                if (label == null) {
                    throw new IllegalStateException("pending label " + key + " is missing from " + PENDING_STORE);
                }
                labels.add(label);
            }
        }
        final OnlineLearner learner = OnlineLearner.restore(new OnlineLearnerState(OnlineLearner.FORMAT_VERSION,
                stored, OnlineLearner.toList(ModelMonitor.joinState(readDoubles(labelPart), readDoubles(eventPart))),
                p, labels));
        return new Restored(learner, bytes.length, generation);
    }

    private LearnerModel writeModel(final Slot slot) {
        final LearnerModel stored = slot.learner.exportModel();
        final byte[] bytes = MODEL_SERDE.encode(stored);
        slot.stateBytes = bytes.length;
        models.put(slot.learner.modelId(), bytes);
        return stored;
    }

    private void reject(final Record<String, RoutedEvent> record, final DeadLetterReason reason,
                        final String detail) {
        context.forward(record.withValue(DeadLetters.of(reason, detail, record.value(), record.key())));
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
        return checkLabel(label, task, numClasses, classNames, id);
    }

    /** Checks a label (a number or a class name) against a model of this task and class set. */
    static Checked checkLabel(final Object label, final Task task, final int numClasses, final List<String> classNames,
                              final String id) {
        if (task == Task.REGRESSION) {
            if (!(label instanceof Double)) {
                return Checked.no(DeadLetterReason.LABEL_OUT_OF_RANGE, id + ": label '" + label
                        + "' is not a number, and the model is a regression");
            }
            final double y = (Double) label;
            return Double.isFinite(y) && Math.abs(y) <= EventValidator.MAX_ABS_VALUE ? Checked.ok(y)
                    : Checked.no(DeadLetterReason.LABEL_OUT_OF_RANGE, id + ": regression target is " + y
                    + (Double.isFinite(y) ? ", beyond ±" + EventValidator.MAX_ABS_VALUE : ""));
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

}
