package io.balistreams.streams;

import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.ModelTask;
import io.balistreams.avro.internal.LearnerProgress;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.Task;
import io.balistreams.metrics.ClassificationScorer;
import io.balistreams.metrics.RegressionScorer;
import io.balistreams.monitor.ModelMonitor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One model as the learner holds it in memory: the engine, its class names, its counters and its
 * prequential scorers. It is a cache of three stores (model state, progress, pending labels); the learner
 * writes every change through to them before the change can be committed, so the stores alone are enough
 * to rebuild it after a crash or a rebalance.
 */
final class ModelSlot {
    final String modelId;
    final BaliModel model;
    final List<String> classNames;
    long updatesRejected;
    String lastRejection;
    long eventsScored;
    long labelsSeen;
    int pendingCount;
    long nextPendingSeq;
    long oldestPendingAt;
    private ClassificationScorer cumulativeClassification;
    private ClassificationScorer windowClassification;
    private RegressionScorer cumulativeRegression;
    private RegressionScorer windowRegression;
    /** Size in bytes of the model's serialised state, as last written to its store. */
    int stateBytes;
    /** Drift detectors, OOD threshold and adaptive forgetting of this model. */
    ModelMonitor monitor;

    private ModelSlot(final String modelId, final BaliModel model, final List<String> classNames) {
        this.modelId = modelId;
        this.model = model;
        this.classNames = List.copyOf(classNames);
    }

    /** A new model from its spec, with the prior only. */
    static ModelSlot create(final String modelId, final ModelSpec spec, final int inputs,
                            final ModelMonitor.Settings monitoring) {
        final ModelSlot s = new ModelSlot(modelId, new BaliModel(spec.toBaliConfig(inputs)), spec.classNames());
        s.resetScorers(true);
        s.monitor = new ModelMonitor(monitoring, s.model.config().beta(), effectiveMemory(s.model));
        return s;
    }

    /** N_eff = B/(1 − β): the memory of the model, and of its OOD threshold. */
    static double effectiveMemory(final BaliModel model) {
        return model.config().batchSize() / (1.0 - model.config().beta());
    }

    /** A model rebuilt from its stored snapshot and progress record. */
    static ModelSlot restore(final ModelSnapshot snapshot, final LearnerProgress progress, final int stateBytes,
                             final ModelMonitor.Settings monitoring, final double[] monitorState) {
        final ModelSlot s = new ModelSlot(snapshot.getModelId(), ModelStateCodec.fromRecord(snapshot.getState()),
                snapshot.getClassNames());
        s.monitor = ModelMonitor.restore(monitoring, s.model.config().beta(), effectiveMemory(s.model), monitorState);
        s.updatesRejected = snapshot.getUpdatesRejected();
        s.lastRejection = snapshot.getLastRejection();
        s.stateBytes = stateBytes;
        s.eventsScored = progress.getEventsScored();
        s.labelsSeen = progress.getLabelsSeen();
        s.pendingCount = progress.getPendingCount();
        s.nextPendingSeq = progress.getNextPendingSeq();
        s.oldestPendingAt = progress.getOldestPendingAt();
        final double[] cumulative = toArray(progress.getCumulativeMetrics());
        final double[] window = toArray(progress.getWindowMetrics());
        if (s.isClassifier()) {
            final int k = s.model.config().numClasses();
            s.cumulativeClassification = ClassificationScorer.restore(k, cumulative);
            s.windowClassification = ClassificationScorer.restore(k, window);
        } else {
            s.cumulativeRegression = RegressionScorer.restore(cumulative);
            s.windowRegression = RegressionScorer.restore(window);
        }
        return s;
    }

    boolean isClassifier() {
        return model.config().task() == Task.CLASSIFICATION;
    }

    ModelTask task() {
        return isClassifier() ? ModelTask.CLASSIFICATION : ModelTask.REGRESSION;
    }

    /** The model version: number of accepted updates. */
    long version() {
        return model.step();
    }

    void scoreClassification(final double[] probabilities, final int predicted, final int label) {
        cumulativeClassification.add(probabilities, predicted, label);
        windowClassification.add(probabilities, predicted, label);
    }

    void scoreRegression(final double mean, final double variance, final double y) {
        cumulativeRegression.add(mean, variance, y);
        windowRegression.add(mean, variance, y);
    }

    long windowCount() {
        return isClassifier() ? windowClassification.count() : windowRegression.count();
    }

    Map<String, Double> cumulativeMetrics() {
        return isClassifier() ? cumulativeClassification.metrics() : cumulativeRegression.metrics();
    }

    Map<String, Double> windowMetrics() {
        return isClassifier() ? windowClassification.metrics() : windowRegression.metrics();
    }

    /** Starts a new metrics window (and, when {@code all}, a new cumulative count too). */
    void resetScorers(final boolean all) {
        if (isClassifier()) {
            final int k = model.config().numClasses();
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

    ModelSnapshot snapshot() {
        return ModelSnapshot.newBuilder()
                .setModelId(modelId)
                .setModelVersion(model.step())
                .setClassNames(new ArrayList<>(classNames))
                .setUpdatesRejected(updatesRejected)
                .setLastRejection(lastRejection)
                .setState(ModelStateCodec.toRecord(model))
                .build();
    }

    LearnerProgress progress() {
        return LearnerProgress.newBuilder()
                .setEventsScored(eventsScored)
                .setLabelsSeen(labelsSeen)
                .setPendingCount(pendingCount)
                .setNextPendingSeq(nextPendingSeq)
                .setOldestPendingAt(oldestPendingAt)
                .setCumulativeMetrics(toList(isClassifier() ? cumulativeClassification.exportState()
                        : cumulativeRegression.exportState()))
                .setWindowMetrics(toList(isClassifier() ? windowClassification.exportState()
                        : windowRegression.exportState()))
                .build();
    }

    /** An Avro array of doubles as a primitive array. */
    static double[] toArray(final List<Double> values) {
        final double[] a = new double[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        return a;
    }

    private static List<Double> toList(final double[] values) {
        final List<Double> l = new ArrayList<>(values.length);
        for (final double v : values) {
            l.add(v);
        }
        return l;
    }
}
