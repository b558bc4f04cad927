package io.balistreams.eval;

import io.balistreams.monitor.ModelMonitor;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.LearnerUpdate;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Test-then-train over a stream in its given order, run by the same {@link OnlineLearner} as the service:
 * every record is scored by the current model (closed-form predictive), then its label is given to the
 * learner, which updates every B labels with the monitor's β. With the service's monitor settings
 * (the default of {@code eval prequential}) drift alarms make the model forget faster for a while, exactly
 * as in the service; {@link LearnerSettings#withoutMonitor()} gives a plain test-then-train loop at the
 * configured β. Metrics are reported cumulatively and over consecutive windows (the learner settings' metrics
 * window) of records.
 */
public final class PrequentialEvaluation {

    /**
     * The outcome of one run.
     *
     * @param records         records scored
     * @param seconds         wall time of predicting and learning (excluding reading the data)
     * @param rejectedUpdates updates the model refused (non-finite); their records were still scored
     * @param cumulative      metrics over the whole stream
     * @param windows         metrics per window, each with "end" (records scored so far)
     * @param alarms          the monitor's alarms (WARNING and DRIFT), in the order raised
     * @param learner         the learner at the end of the stream (its model, monitor and state)
     */
    public record Result(long records, double seconds, long rejectedUpdates, Map<String, Double> cumulative,
                         List<Map<String, Double>> windows, List<ModelMonitor.Alarm> alarms, OnlineLearner learner) {
        public double recordsPerSecond() {
            return records / seconds;
        }

        /** Number of DRIFT alarms. */
        public long driftAlarms() {
            return alarms.stream().filter(a -> a.level() == io.balistreams.monitor.DriftLevel.DRIFT).count();
        }
    }

    /** What a driver sees of each record of a run, beside the metrics. */
    public interface Observer {
        /** Record {@code index} was scored (before its label is learned). */
        void scored(int index, ScoredEvent event);
    }

    private PrequentialEvaluation() {
    }

    /**
     * The test-then-train loop: for each record in order, score it, give the learner its label, learn when a
     * batch is due, close a metrics window when one is full. A partial batch at the end is not learned (as in
     * the service, it would wait for more labels).
     *
     * @param targets  regression targets, or class indices as doubles
     * @param observer sees every scored record (may be null)
     */
    public static Result run(final OnlineLearner learner, final double[][] features, final double[] targets,
                             final LongConsumer progress, final Observer observer) {
        final List<Map<String, Double>> windows = new ArrayList<>();
        final List<ModelMonitor.Alarm> alarms = new ArrayList<>();
        final long start = System.nanoTime();
        for (int i = 0; i < features.length; i++) {
            testThenTrain(learner, i, features[i], targets[i], observer, alarms, windows);
            if (progress != null && (i + 1) % 1000 == 0) {
                progress.accept(i + 1);
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(features.length, seconds, learner.updatesRejected(), learner.cumulativeMetrics(),
                Collections.unmodifiableList(windows), Collections.unmodifiableList(alarms), learner);
    }

    /**
     * Record i of {@link #run}: score, label, learn when a batch is due, close a metrics window when one is full.
     * A method of its own because the loop of {@code run} is entered once: the JIT would run it interpreted for
     * tens of thousands of records before compiling it on-stack, while a method invoked per record is compiled
     * after a few hundred.
     */
    private static void testThenTrain(final OnlineLearner learner, final int i, final double[] features,
                                      final double target, final Observer observer,
                                      final List<ModelMonitor.Alarm> alarms, final List<Map<String, Double>> windows) {
        final ScoredEvent scored = learner.score(features, 0);
        if (observer != null) {
            observer.scored(i, scored);
        }
        if (scored.alarm() != null) {
            alarms.add(scored.alarm());
        }
        learner.label(scored, target, 0);
        if (learner.batchDue()) {
            final LearnerUpdate update = learner.learn();
            alarms.addAll(update.alarms());
        }
        if (learner.metricsDue()) {
            windows.add(withEnd(learner.windowMetrics(), i + 1));
            learner.startMetricsWindow();
        }
    }

    private static Map<String, Double> withEnd(final Map<String, Double> metrics, final long end) {
        final Map<String, Double> m = new LinkedHashMap<>();
        m.put("end", (double) end);
        m.putAll(metrics);
        return m;
    }
}
