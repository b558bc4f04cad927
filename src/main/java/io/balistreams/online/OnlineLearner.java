package io.balistreams.online;

import io.balistreams.avro.BaliMixtureState;
import io.balistreams.avro.BaliModelState;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.internal.LearnerModel;
import io.balistreams.avro.internal.LearnerProgress;
import io.balistreams.avro.internal.OnlineLearnerState;
import io.balistreams.avro.internal.PendingLabel;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliMixture;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.MixtureStateCodec;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.ServingModel;
import io.balistreams.bali.Task;
import io.balistreams.bali.UpdateResult;
import io.balistreams.metrics.ClassificationScorer;
import io.balistreams.metrics.RegressionScorer;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.monitor.OodScore;
import io.balistreams.monitor.PrequentialLoss;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One model's whole online life, behind the test-then-train protocol that the Kafka service, {@code eval
 * prequential} and {@code eval drift} all run (docs/architecture.md, "The online learner"):
 * <ol>
 *   <li>{@link #score}: predict an event with the current posterior (closed-form predictive, docs/method.md
 *       §5), compute its OOD score and flag against the monitor's threshold, and feed the flag to the
 *       feature-drift detector; the result is the prediction that is served;</li>
 *   <li>{@link #label}: take the label of a scored event — add the served prediction to the prequential
 *       metrics and queue the event for the next update with its prequential loss;</li>
 *   <li>{@link #learn} when {@link #batchDue()} (B labels queued) or to flush a partial batch: feed the
 *       queued losses and scores to the drift detector and the threshold's sketch, take β from the monitor
 *       (lowered for a while after a DRIFT alarm: adaptive forgetting, docs/method.md §4), make one BALI
 *       update, advance β's recovery;</li>
 *   <li>{@link #metricsDue()} / {@link #cumulativeMetrics()} / {@link #windowMetrics()} /
 *       {@link #startMetricsWindow()}: the prequential metrics, cumulative and per window of labels.</li>
 * </ol>
 * The learner is deterministic: the same calls give bit-identical models, metrics and alarms. Its whole
 * state exports to one Avro record ({@link #exportState()}) from which {@link #restore} continues
 * bit-exactly; callers that persist it by parts (the Kafka service) use {@link #exportModel()} (changes
 * on an update), {@link #exportProgress()} (every event), the monitor's two parts
 * ({@link ModelMonitor#exportEventState()}, {@link ModelMonitor#exportLabelState()}, each when its change
 * count moved) and the {@link QueuedLabel}s. Not thread-safe.
 */
public final class OnlineLearner {
    /** Version of the {@link OnlineLearnerState} record this class writes and reads. */
    public static final int FORMAT_VERSION = 1;
    private static final int LABEL_SUMS = 6;

    private final String modelId;
    /** The engine: one model, or (with {@link #mixture} null only then) a mixture over memories. */
    private final BaliModel model;
    private final BaliMixture mixture;
    private final BaliConfig config;
    private final List<String> classNames;
    private final LearnerSettings settings;
    private final ModelMonitor monitor;
    private final boolean classifier;
    private final int batchSize;

    private long eventsScored;
    private long labelsSeen;
    private long updatesRejected;
    private String lastRejection;

    // labels that came after their event (the labels topic), and events whose label never came
    private long labelsJoined;
    private long labelsExpired;
    private long labelsEvicted;
    private double windowDelayMs;
    private double windowDelayEvents;
    private double windowVersionsBehind;

    private ClassificationScorer cumulativeClassification;
    private ClassificationScorer windowClassification;
    private RegressionScorer cumulativeRegression;
    private RegressionScorer windowRegression;

    // the pending mini-batch, oldest first
    private final double[][] pendingFeatures;
    private final double[] pendingTargets;
    private final double[] pendingLosses;
    private final double[] pendingScores;
    private final long[] pendingPositions;
    private final long[] pendingEventTimes;
    private final int[] batchLabels;
    private int pendingCount;
    private long nextPendingSequence;
    private long oldestPendingAt;

    private OnlineLearner(final String modelId, final BaliModel model, final BaliMixture mixture,
                          final List<String> classNames, final LearnerSettings settings, final ModelMonitor monitor) {
        this.modelId = Objects.requireNonNull(modelId, "modelId");
        this.model = model;
        this.mixture = mixture;
        this.config = mixture != null ? mixture.config() : model.config();
        this.classNames = List.copyOf(classNames);
        this.settings = settings;
        this.monitor = monitor;
        this.classifier = config.task() == Task.CLASSIFICATION;
        this.batchSize = config.batchSize();
        if (classifier && !this.classNames.isEmpty() && this.classNames.size() != config.numClasses()) {
            throw new IllegalArgumentException("model " + modelId + " has " + config.numClasses()
                    + " classes but " + this.classNames.size() + " class names");
        }
        pendingFeatures = new double[batchSize][];
        pendingTargets = new double[batchSize];
        pendingLosses = new double[batchSize];
        pendingScores = new double[batchSize];
        pendingPositions = new long[batchSize];
        pendingEventTimes = new long[batchSize];
        batchLabels = classifier ? new int[batchSize] : null;
    }

    /**
     * A new learner with the prior only.
     *
     * @param modelId    the model's name (the service's model id; a stream's name in an evaluation)
     * @param config     the engine configuration
     * @param classNames class names of a classifier (index = class), or empty
     */
    public static OnlineLearner create(final String modelId, final BaliConfig config, final List<String> classNames,
                                       final LearnerSettings settings) {
        Objects.requireNonNull(settings, "settings");
        final BaliModel model = new BaliModel(config);
        final OnlineLearner learner = new OnlineLearner(modelId, model, null, classNames, settings,
                new ModelMonitor(settings.monitor(), config.beta(), config.effectiveMemory()));
        learner.startScorers(true);
        return learner;
    }

    /**
     * A new learner over a mixture of experts with different memories (docs/method.md §11): labels are handed to
     * the mixture every {@code mixture.config().batchSize()} (its smallest expert batch), the monitor watches the
     * mixture's predictions, and an alarm's β shrinks every expert's memory by the same factor. Its state exports
     * and restores like a single model's (the snapshot's state is then a mixture's).
     */
    public static OnlineLearner create(final String modelId, final BaliMixture mixture, final List<String> classNames,
                                       final LearnerSettings settings) {
        Objects.requireNonNull(settings, "settings");
        final BaliConfig config = mixture.config();
        final OnlineLearner learner = new OnlineLearner(modelId, null, mixture, classNames, settings,
                new ModelMonitor(settings.monitor(), config.beta(), config.effectiveMemory()));
        learner.startScorers(true);
        return learner;
    }

    /**
     * A new learner that starts from a model's state instead of its prior (an imported model: one exported from
     * another learner, or trained offline with the engine): the engine continues from the snapshot's posterior and
     * version; the monitor, the counters and the metrics start afresh under {@code settings}.
     *
     * @param modelId the model's name here (the snapshot's own id may differ)
     * @throws IllegalArgumentException if the snapshot's state cannot be restored
     */
    public static OnlineLearner start(final String modelId, final ModelSnapshot snapshot,
                                      final LearnerSettings settings) {
        Objects.requireNonNull(settings, "settings");
        final Object engine = snapshot.getState();
        final BaliMixture mixture = engine instanceof BaliMixtureState m ? MixtureStateCodec.fromRecord(m) : null;
        final BaliModel model = mixture == null ? ModelStateCodec.fromRecord((BaliModelState) engine) : null;
        final BaliConfig config = mixture != null ? mixture.config() : model.config();
        final OnlineLearner learner = new OnlineLearner(modelId, model, mixture, snapshot.getClassNames(), settings,
                new ModelMonitor(settings.monitor(), config.beta(), config.effectiveMemory()));
        learner.startScorers(true);
        return learner;
    }

    /**
     * A learner continuing exactly from {@link #exportState()}.
     *
     * @throws IllegalArgumentException if the record's format version is unknown or its parts do not fit
     */
    public static OnlineLearner restore(final OnlineLearnerState state) {
        if (state.getFormatVersion() != FORMAT_VERSION) {
            throw new IllegalArgumentException("online learner state format " + state.getFormatVersion()
                    + " is not known to this version (it reads " + FORMAT_VERSION + ")");
        }
        final LearnerModel stored = state.getModel();
        final ModelSnapshot snapshot = stored.getSnapshot();
        final Object engine = snapshot.getState();
        final BaliMixture mixture = engine instanceof BaliMixtureState m ? MixtureStateCodec.fromRecord(m) : null;
        final BaliModel model = mixture == null ? ModelStateCodec.fromRecord((BaliModelState) engine) : null;
        final LearnerSettings settings = settingsOf(stored);
        final BaliConfig config = mixture != null ? mixture.config() : model.config();
        final ModelMonitor monitor = ModelMonitor.restore(settings.monitor(), config.beta(), config.effectiveMemory(),
                toArray(state.getMonitorState()));
        final OnlineLearner l = new OnlineLearner(snapshot.getModelId(), model, mixture, snapshot.getClassNames(),
                settings, monitor);
        l.updatesRejected = snapshot.getUpdatesRejected();
        l.lastRejection = snapshot.getLastRejection();
        final LearnerProgress p = state.getProgress();
        l.eventsScored = p.getEventsScored();
        l.labelsSeen = p.getLabelsSeen();
        l.oldestPendingAt = p.getOldestPendingAt();
        final List<Double> labelSums = p.getLabelSums();
        if (labelSums.size() == LABEL_SUMS) {
            l.labelsJoined = labelSums.get(0).longValue();
            l.labelsExpired = labelSums.get(1).longValue();
            l.labelsEvicted = labelSums.get(2).longValue();
            l.windowDelayMs = labelSums.get(3);
            l.windowDelayEvents = labelSums.get(4);
            l.windowVersionsBehind = labelSums.get(5);
        } else if (!labelSums.isEmpty()) {
            throw new IllegalArgumentException("model " + l.modelId + ": " + labelSums.size()
                    + " label sums stored, expected " + LABEL_SUMS);
        }
        final double[] cumulative = toArray(p.getCumulativeMetrics());
        final double[] window = toArray(p.getWindowMetrics());
        if (l.classifier) {
            final int k = config.numClasses();
            l.cumulativeClassification = ClassificationScorer.restore(k, cumulative);
            l.windowClassification = ClassificationScorer.restore(k, window);
        } else {
            l.cumulativeRegression = RegressionScorer.restore(cumulative);
            l.windowRegression = RegressionScorer.restore(window);
        }
        final List<PendingLabel> pending = state.getPending();
        if (pending.size() != p.getPendingCount() || pending.size() > l.batchSize) {
            throw new IllegalArgumentException("model " + l.modelId + ": " + pending.size()
                    + " pending labels stored, its progress counts " + p.getPendingCount() + " (batch size "
                    + l.batchSize + ")");
        }
        for (final PendingLabel label : pending) {
            final double[] x = toArray(label.getFeatures());
            if (x.length != config.inputSize()) {
                throw new IllegalArgumentException("model " + l.modelId + ": a pending label has " + x.length
                        + " features, the model takes " + config.inputSize());
            }
            l.queue(x, label.getTarget(), label.getLoss(), label.getOodScore(), label.getPosition(),
                    label.getEventTime());
        }
        l.nextPendingSequence = p.getNextPendingSeq();
        return l;
    }

    /**
     * The number of labels a learner stored as {@code snapshot} hands to its engine at once: a model's batch
     * size, or a mixture's smallest expert batch.
     */
    public static int batchSizeOf(final ModelSnapshot snapshot) {
        if (snapshot.getState() instanceof BaliMixtureState m) {
            return m.getExperts().stream().mapToInt(e -> e.getBatchSize()).min().orElseThrow();
        }
        return ((BaliModelState) snapshot.getState()).getConfig().getBatchSize();
    }

    /** The settings stored with a model. */
    private static LearnerSettings settingsOf(final LearnerModel stored) {
        return new LearnerSettings(ModelMonitor.Settings.fromArray(toArray(stored.getMonitorSettings())),
                PrequentialLoss.valueOf(stored.getDriftLoss()), OodScore.valueOf(stored.getOodScore()),
                stored.getMetricsWindow());
    }

    // ---------------------------------------------------------------------------------------------
    // The protocol

    /**
     * Scores one event with the current posterior: the prediction to serve, its OOD score and flag, the
     * drift state; feeds the flag to the feature-drift detector (which may raise an alarm).
     *
     * @param features  d₀ raw features, finite (checked by the engine)
     * @param eventTime the event's time, epoch milliseconds (0 where unknown); carried into alarms
     */
    public ScoredEvent score(final double[] features, final long eventTime) {
        final long position = eventsScored;
        final long version = version();
        RegressionPrediction regression = null;
        ClassificationPrediction classification = null;
        final double oodScore;
        if (classifier) {
            classification = mixture != null ? mixture.classify(features) : model.classify(features);
            oodScore = settings.oodScore().of(classification);
        } else {
            regression = mixture != null ? mixture.predict(features) : model.predict(features);
            oodScore = settings.oodScore().of(regression);
        }
        final Double threshold = monitor.oodThreshold();
        final boolean flag = monitor.isOutOfDistribution(oodScore);
        final DriftLevel state = settings.monitor().watching() ? monitor.state() : null;
        final ModelMonitor.Alarm alarm = monitor.scored(oodScore, position, eventTime).orElse(null);
        eventsScored++;
        return new ScoredEvent(position, eventTime, version, features, regression, classification, oodScore,
                threshold, flag, state, alarm, mixture == null ? null : mixture.memoryWeights());
    }

    /**
     * Takes an event that was scored elsewhere, by a published serving posterior of this model (distributed
     * scoring, docs/architecture.md §7), and arrives here with its label: numbers it in this learner's
     * stream of events and feeds its OOD score to the feature-drift detector, as {@link #score} does for
     * an event scored here. The returned event is then labelled with {@link #label} or {@link #lateLabel}.
     *
     * <p>In that mode this learner sees only labelled events, in the order their examples arrive: its event
     * count counts training examples, and the feature-drift detector watches the OOD flags of labelled
     * events (flagged against this learner's current threshold), not of every scored event.
     *
     * @param eventTime    the event's time, epoch milliseconds
     * @param servedVersion the version of the posterior that scored it
     * @param features     its raw features (not copied)
     * @param served       the served prediction: a regression's, or (with {@code classification}) null
     * @param classification the served prediction of a classifier, or null
     * @param oodScore     its OOD score as served
     */
    public ScoredEvent scoredElsewhere(final long eventTime, final long servedVersion, final double[] features,
                                       final RegressionPrediction served, final ClassificationPrediction classification,
                                       final double oodScore) {
        if ((served == null) == (classification == null) || classifier != (classification != null)) {
            throw new IllegalArgumentException("model " + modelId + ": the served prediction is not one of a "
                    + (classifier ? "classifier" : "regression"));
        }
        if (features.length != config.inputSize()) {
            throw new IllegalArgumentException("model " + modelId + ": " + features.length
                    + " features, the model takes " + config.inputSize());
        }
        final long position = eventsScored;
        final Double threshold = monitor.oodThreshold();
        final boolean flag = monitor.isOutOfDistribution(oodScore);
        final DriftLevel state = settings.monitor().watching() ? monitor.state() : null;
        final ModelMonitor.Alarm alarm = monitor.scored(oodScore, position, eventTime).orElse(null);
        eventsScored++;
        return new ScoredEvent(position, eventTime, servedVersion, features, served, classification, oodScore,
                threshold, flag, state, alarm);
    }

    /**
     * Takes the label of a scored event: adds the served prediction to the prequential metrics and queues
     * the event for the next update. The caller learns ({@link #learn()}) when {@link #batchDue()}.
     *
     * @param scored      the event as this learner scored it
     * @param target      regression target (finite), or class index in [0, K)
     * @param arrivedAtMs wall-clock time of the label's arrival, epoch milliseconds (for a maximum wait of
     *                    partial batches; 0 if not used)
     * @throws IllegalStateException    if a full batch is still pending (learn first)
     * @throws IllegalArgumentException for a target that does not fit the model
     */
    public QueuedLabel label(final ScoredEvent scored, final double target, final long arrivedAtMs) {
        return take(scored, target, arrivedAtMs);
    }

    /**
     * Takes a label that came after its event (delayed prequential evaluation): as {@link #label}, against
     * the prediction that was served then, and counts the delay — in event time (labelTime − eventTime), in
     * the model's events scored in between, and in model versions between serving and learning — for the
     * window's means ({@link #windowLabelDelayMs()} ...).
     *
     * @param labelTime when the outcome became known, epoch milliseconds
     */
    public QueuedLabel lateLabel(final ScoredEvent scored, final double target, final long labelTime,
                                 final long arrivedAtMs) {
        final QueuedLabel queued = take(scored, target, arrivedAtMs);
        labelsJoined++;
        windowDelayMs += labelTime - scored.eventTime();
        windowDelayEvents += eventsScored - scored.position() - 1;
        windowVersionsBehind += version() - scored.modelVersion();
        return queued;
    }

    /** A scored event's label did not come within the maximum delay: it is counted, never learned. */
    public void labelExpired() {
        labelsExpired++;
    }

    /** A scored event stopped waiting for its label to bound the waiting events: it is counted, never learned. */
    public void labelEvicted() {
        labelsEvicted++;
    }

    private QueuedLabel take(final ScoredEvent scored, final double target, final long arrivedAtMs) {
        if (pendingCount == batchSize) {
            throw new IllegalStateException("model " + modelId + ": a full batch of " + batchSize
                    + " labels is pending; learn() before the next label");
        }
        final double loss;
        if (classifier) {
            final ClassificationPrediction p = requireClassification(scored);
            final int label = (int) target;
            if (label != target || label < 0 || label >= config.numClasses()) {
                throw new IllegalArgumentException("model " + modelId + ": class index " + target
                        + " is not a whole number in 0.." + (config.numClasses() - 1));
            }
            cumulativeClassification.add(p.probabilities(), p.predictedClass(), label);
            windowClassification.add(p.probabilities(), p.predictedClass(), label);
            loss = settings.driftLoss().of(p, label);
        } else {
            final RegressionPrediction p = requireRegression(scored);
            if (!Double.isFinite(target)) {
                throw new IllegalArgumentException("model " + modelId + ": regression target is " + target);
            }
            cumulativeRegression.add(p, target);
            windowRegression.add(p, target);
            loss = settings.driftLoss().of(p, target);
        }
        labelsSeen++;
        if (pendingCount == 0) {
            oldestPendingAt = arrivedAtMs;
        }
        queue(scored.features(), target, loss, scored.oodScore(), scored.position(), scored.eventTime());
        return new QueuedLabel(nextPendingSequence - 1, target, loss, scored.oodScore(), scored.position(),
                scored.eventTime());
    }

    private void queue(final double[] x, final double target, final double loss, final double score,
                       final long position, final long eventTime) {
        final int at = pendingCount;
        pendingFeatures[at] = x;
        pendingTargets[at] = target;
        pendingLosses[at] = loss;
        pendingScores[at] = score;
        pendingPositions[at] = position;
        pendingEventTimes[at] = eventTime;
        pendingCount++;
        nextPendingSequence++;
    }

    /** True when B labels are pending: the caller should {@link #learn()} now. */
    public boolean batchDue() {
        return pendingCount >= batchSize;
    }

    /**
     * One BALI update from every pending label (a full batch, or fewer to flush): the labels' losses and
     * scores go to the monitor first, in order; then the update at the monitor's β; then β's recovery
     * advances. The pending batch is empty afterwards, whether the engine accepted the update or not.
     *
     * @throws IllegalStateException if nothing is pending
     */
    public LearnerUpdate learn() {
        final int n = pendingCount;
        if (n == 0) {
            throw new IllegalStateException("model " + modelId + ": no pending label to learn from");
        }
        List<ModelMonitor.Alarm> alarms = List.of();
        for (int i = 0; i < n; i++) {
            final var alarm = monitor.trained(pendingLosses[i], pendingScores[i], pendingPositions[i],
                    pendingEventTimes[i]);
            if (alarm.isPresent()) {
                if (alarms.isEmpty()) {
                    alarms = new ArrayList<>(2);
                }
                alarms.add(alarm.get());
            }
        }
        final double beta = monitor.betaForUpdate();
        final double[][] x = n == batchSize ? pendingFeatures : Arrays.copyOf(pendingFeatures, n);
        final UpdateResult result;
        if (classifier) {
            final int[] labels = n == batchSize ? batchLabels : new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (int) pendingTargets[i];
            }
            result = mixture != null ? mixture.learn(x, labels, beta, n < batchSize) : model.learn(x, labels, beta);
        } else {
            final double[] y = n == batchSize ? pendingTargets : Arrays.copyOf(pendingTargets, n);
            result = mixture != null ? mixture.learn(x, y, beta, n < batchSize) : model.learn(x, y, beta);
        }
        monitor.updated();
        if (!result.accepted()) {
            updatesRejected++;
            lastRejection = result.reason();
        }
        Arrays.fill(pendingFeatures, null);
        pendingCount = 0;
        oldestPendingAt = 0;
        return new LearnerUpdate(n, beta, result, alarms);
    }

    /** True when the current metrics window holds {@link LearnerSettings#metricsWindow()} labels. */
    public boolean metricsDue() {
        return windowLabels() >= settings.metricsWindow();
    }

    /** Prequential metrics over every label so far (accuracy, kappa, NLL, ECE, Brier; or RMSE, MAE, NLL, coverage). */
    public Map<String, Double> cumulativeMetrics() {
        return classifier ? cumulativeClassification.metrics() : cumulativeRegression.metrics();
    }

    /** Prequential metrics over the labels of the current window. */
    public Map<String, Double> windowMetrics() {
        return classifier ? windowClassification.metrics() : windowRegression.metrics();
    }

    /** Labels in the current metrics window. */
    public long windowLabels() {
        return classifier ? windowClassification.count() : windowRegression.count();
    }

    /** Closes the current metrics window and starts an empty one. */
    public void startMetricsWindow() {
        startScorers(false);
        windowDelayMs = 0;
        windowDelayEvents = 0;
        windowVersionsBehind = 0;
    }

    /** Mean label delay of the window in event time, ms (0 for labels inside their event); null if empty. */
    public Double windowLabelDelayMs() {
        return windowMean(windowDelayMs);
    }

    /** Mean number of the model's events scored between an event and its label, in the window; null if empty. */
    public Double windowLabelDelayEvents() {
        return windowMean(windowDelayEvents);
    }

    /** Mean number of updates between serving a prediction and learning its label, in the window; null if empty. */
    public Double windowVersionsBehind() {
        return windowMean(windowVersionsBehind);
    }

    private Double windowMean(final double sum) {
        final long n = windowLabels();
        return n == 0 ? null : sum / n;
    }

    /** Labels that joined their event after it was scored (see {@link #lateLabel}). */
    public long labelsJoined() {
        return labelsJoined;
    }

    public long labelsExpired() {
        return labelsExpired;
    }

    public long labelsEvicted() {
        return labelsEvicted;
    }

    private void startScorers(final boolean all) {
        if (classifier) {
            final int k = config.numClasses();
            windowClassification = new ClassificationScorer(k);
            if (all) {
                cumulativeClassification = new ClassificationScorer(k);
            }
        } else {
            windowRegression = new RegressionScorer();
            if (all) {
                cumulativeRegression = new RegressionScorer();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // State

    /** The whole state, from which {@link #restore} continues bit-exactly. */
    public OnlineLearnerState exportState() {
        final List<PendingLabel> pending = new ArrayList<>(pendingCount);
        for (int i = 0; i < pendingCount; i++) {
            pending.add(new PendingLabel(toList(pendingFeatures[i]), pendingTargets[i], pendingLosses[i],
                    pendingScores[i], pendingPositions[i], pendingEventTimes[i]));
        }
        return new OnlineLearnerState(FORMAT_VERSION, exportModel(), toList(monitor.exportState()), exportProgress(),
                pending);
    }

    /** The part of the state that changes on an update: the model (as {@link ModelSnapshot}) and the settings. */
    public LearnerModel exportModel() {
        return new LearnerModel(snapshot(), toList(settings.monitor().toArray()), settings.driftLoss().name(),
                settings.oodScore().name(), settings.metricsWindow());
    }

    /** The model as published on the {@code model-snapshots} topic. */
    public ModelSnapshot snapshot() {
        return ModelSnapshot.newBuilder()
                .setModelId(modelId)
                .setModelVersion(version())
                .setClassNames(new ArrayList<>(classNames))
                .setUpdatesRejected(updatesRejected)
                .setLastRejection(lastRejection)
                .setState(mixture != null ? MixtureStateCodec.toRecord(mixture) : ModelStateCodec.toRecord(model))
                .build();
    }

    /** Counters and prequential metric sums: the part that changes with every event. */
    public LearnerProgress exportProgress() {
        return LearnerProgress.newBuilder()
                .setEventsScored(eventsScored)
                .setLabelsSeen(labelsSeen)
                .setModelVersion(version())
                .setPendingCount(pendingCount)
                .setNextPendingSeq(nextPendingSequence)
                .setOldestPendingAt(oldestPendingAt)
                .setLabelSums(List.of((double) labelsJoined, (double) labelsExpired, (double) labelsEvicted,
                        windowDelayMs, windowDelayEvents, windowVersionsBehind))
                .setCumulativeMetrics(toList(classifier ? cumulativeClassification.exportState()
                        : cumulativeRegression.exportState()))
                .setWindowMetrics(toList(classifier ? windowClassification.exportState()
                        : windowRegression.exportState()))
                .build();
    }

    // ---------------------------------------------------------------------------------------------
    // Read access

    public String modelId() {
        return modelId;
    }

    /** The engine's configuration (a mixture's own: {@link BaliMixture#config()}). */
    public BaliConfig config() {
        return config;
    }

    /**
     * The engine; for reading (predictions, state). Learning from it directly bypasses the protocol.
     *
     * @throws IllegalStateException for a learner over a mixture ({@link #mixture()})
     */
    public BaliModel model() {
        if (model == null) {
            throw new IllegalStateException("model " + modelId + " is a mixture over memories; see mixture()");
        }
        return model;
    }

    /** The serving form of the engine at this version (what distributed scorers score with). */
    public ServingModel servingModel() {
        return mixture != null ? mixture.servingPosterior() : model.servingPosterior();
    }

    /** The mixture over memories this learner runs, or null for a single model. */
    public BaliMixture mixture() {
        return mixture;
    }

    public LearnerSettings settings() {
        return settings;
    }

    /** The monitor; for reading (state, threshold, β). */
    public ModelMonitor monitor() {
        return monitor;
    }

    public List<String> classNames() {
        return classNames;
    }

    public boolean isClassifier() {
        return classifier;
    }

    /** The model version: accepted updates so far (summed over a mixture's experts). */
    public long version() {
        return mixture != null ? mixture.step() : model.step();
    }

    public long eventsScored() {
        return eventsScored;
    }

    public long labelsSeen() {
        return labelsSeen;
    }

    public long updatesRejected() {
        return updatesRejected;
    }

    /** Why the last rejected update was rejected, or null. */
    public String lastRejection() {
        return lastRejection;
    }

    public int pendingCount() {
        return pendingCount;
    }

    /** The sequence number the next queued label gets. */
    public long nextPendingSequence() {
        return nextPendingSequence;
    }

    /** Arrival time ({@link #label}'s {@code arrivedAtMs}) of the oldest pending label, 0 if none. */
    public long oldestPendingAt() {
        return oldestPendingAt;
    }

    private ClassificationPrediction requireClassification(final ScoredEvent scored) {
        if (scored.classification() == null) {
            throw new IllegalArgumentException("model " + modelId + " is a classifier; the event was scored by a regression");
        }
        return scored.classification();
    }

    private RegressionPrediction requireRegression(final ScoredEvent scored) {
        if (scored.regression() == null) {
            throw new IllegalArgumentException("model " + modelId + " is a regression; the event was scored by a classifier");
        }
        return scored.regression();
    }

    /** An Avro array of doubles as a primitive array. */
    public static double[] toArray(final List<Double> values) {
        final double[] a = new double[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        return a;
    }

    /** A primitive array as an Avro array of doubles. */
    public static List<Double> toList(final double[] values) {
        final List<Double> l = new ArrayList<>(values.length);
        for (final double v : values) {
            l.add(v);
        }
        return l;
    }
}
