package io.balistreams.eval;

import static io.balistreams.eval.DriftMetrics.checkDriftPoints;
import static io.balistreams.eval.DriftMetrics.detectionDelays;
import static io.balistreams.eval.DriftMetrics.falseAlarmsPer10k;
import static io.balistreams.eval.DriftMetrics.missed;

import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.Task;
import io.balistreams.bali.UpdateResult;
import io.balistreams.eval.DriftMetrics.Alarm;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.monitor.PrequentialLoss;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Drift detection and adaptive forgetting, measured: test-then-train over a stream with a
 * {@link ModelMonitor} called exactly as the service's learner calls it (BALI.md §4), on streams whose
 * drift points are known.
 *
 * <p><b>The loop</b> (one model, all events labelled, as {@code LearnerProcessor} does it): for each event
 * at position p (0-based) — score it with the closed-form predictive ({@link BaliModel#classify} /
 * {@link BaliModel#predict}), take its OOD score = the last-layer leverage āᵀΛ_L⁻¹ā, call
 * {@code monitor.scored(score, p, 0)}; keep the event pending with its prequential loss
 * ({@link PrequentialLoss}: by default the 0/1 error, or for regression the squared standardised residual
 * (y − μ)²/σ²_total; or the negative log-likelihood) and its score; when B events are
 * pending, for each in order {@code monitor.trained(loss, score, position, 0)}, then
 * {@code model.learn(x, y, monitor.betaForUpdate())}, then {@code monitor.updated()}. A partial batch at the
 * end of the stream is not learned. Every alarm the monitor returns is recorded with the position it
 * carries: a feature-drift alarm the position of the scored event, a loss alarm the position of the
 * labelled event whose loss fired it (the alarm itself is raised when that event's batch is learned, at
 * most B − 1 events later).
 *
 * <p><b>Metrics</b>, over the DRIFT alarms of all detectors, for known drift points d₁ &lt; d₂ &lt; …:
 * <ul>
 *   <li>detection delays, missed drifts and false alarms per 10,000 events, each with a tolerance interval
 *       after every drift point ({@link DriftMetrics});</li>
 *   <li>recovery accuracy of dᵢ = accuracy over [dᵢ, min(dᵢ + W, dᵢ₊₁, events)), W = the recovery window;</li>
 *   <li>prequential accuracy overall and in consecutive windows.</li>
 * </ul>
 * {@link #compare} runs the same stream twice with the same seed, adaptive forgetting on and off
 * ({@link ModelMonitor.Settings#withAdaptiveForgetting(boolean)}), so the difference is the forgetting alone.
 *
 * <p><b>Streams</b> with known drift points, and their models: {@link DriftStreams}.
 */
public final class DriftEvaluation {
    /** Default tolerance: a drift counts as detected by a DRIFT alarm within this many events after it. */
    public static final int DEFAULT_TOLERANCE = 2_000;
    /** Default recovery window W: accuracy over the W events after each drift point. */
    public static final int DEFAULT_RECOVERY_WINDOW = 1_000;
    /** Default window of the windowed prequential accuracy. */
    public static final int DEFAULT_WINDOW = 1_000;

    private DriftEvaluation() {
    }

    // ---------------------------------------------------------------------------------------------
    // Records

    /**
     * How a run is measured.
     *
     * @param monitor        the monitor's settings ({@link #compare} overrides their adaptive-forgetting switch)
     * @param tolerance      events after a drift point within which a DRIFT alarm detects it (≥ 1)
     * @param recoveryWindow W, events after each drift point over which the recovery accuracy is taken (≥ 1)
     * @param window         events per window of the windowed prequential accuracy (≥ 1)
     * @param loss           the loss the detector watches (the service's {@code bali.drift.loss})
     */
    public record Settings(ModelMonitor.Settings monitor, int tolerance, int recoveryWindow, int window,
                           PrequentialLoss loss) {
        public Settings {
            Objects.requireNonNull(monitor, "monitor");
            Objects.requireNonNull(loss, "loss");
            if (tolerance < 1) {
                throw new IllegalArgumentException("tolerance must be >= 1, got " + tolerance);
            }
            if (recoveryWindow < 1) {
                throw new IllegalArgumentException("recovery window must be >= 1, got " + recoveryWindow);
            }
            if (window < 1) {
                throw new IllegalArgumentException("window must be >= 1, got " + window);
            }
        }

        /** The service's monitor defaults and loss (0/1 error), tolerance 2,000, recovery window 1,000, windows of 1,000. */
        public static Settings defaults() {
            return new Settings(ModelMonitor.Settings.defaults(), DEFAULT_TOLERANCE, DEFAULT_RECOVERY_WINDOW,
                    DEFAULT_WINDOW, PrequentialLoss.ERROR);
        }

        public Settings withMonitor(final ModelMonitor.Settings m) {
            return new Settings(m, tolerance, recoveryWindow, window, loss);
        }
    }


    /**
     * The outcome of one run.
     *
     * @param adaptiveForgetting whether a DRIFT alarm lowered β
     * @param metric             "accuracy" (classification) or "mse" (regression, in target units): what
     *                           {@code overall}, {@code windows} and {@code recovery} measure
     * @param events             events scored
     * @param overall            the metric over all events
     * @param windowEnds         end position (exclusive) of each window
     * @param windows            the metric per window
     * @param alarms             every alarm, WARNINGs included, in the order raised
     * @param driftPoints        the known drift points (null if unknown)
     * @param delays             detection delay per drift point, null where missed (empty if none known)
     * @param missed             drift points without a DRIFT alarm within the tolerance
     * @param falseAlarmsPer10k  DRIFT alarms outside every tolerance interval per 10,000 events outside
     *                           them; null if the drift points are unknown
     * @param recovery           the metric over the W events after each drift point
     * @param rejectedUpdates    updates the model refused (non-finite)
     * @param seconds            wall time of scoring, monitoring and learning
     */
    public record Run(boolean adaptiveForgetting, String metric, long events, double overall, long[] windowEnds,
                      double[] windows, List<Alarm> alarms, long[] driftPoints, Long[] delays, int missed,
                      Double falseAlarmsPer10k, double[] recovery, long rejectedUpdates, double seconds) {
        public double recordsPerSecond() {
            return events / seconds;
        }

        /** Number of DRIFT alarms (of any detector). */
        public long driftAlarms() {
            return alarms.stream().filter(a -> a.level() == DriftLevel.DRIFT).count();
        }
    }

    /** The same stream and seed with adaptive forgetting on and off. */
    public record Comparison(ClassificationStream stream, BaliConfig config, Settings settings, Run adaptive,
                             Run fixed) {
    }

    // ---------------------------------------------------------------------------------------------
    // Runs

    /**
     * Runs {@code stream} twice with {@code config} (same seed): adaptive forgetting on, then off.
     *
     * @param progress called with the events done over both runs (0 .. 2·events), about every 1,000 (may be null)
     */
    public static Comparison compare(final BaliConfig config, final ClassificationStream stream, final Settings settings,
                                     final LongConsumer progress) {
        final long n = stream.events();
        final Run on = classification(config, stream, settings.withMonitor(settings.monitor().withAdaptiveForgetting(true)),
                progress);
        final Run off = classification(config, stream, settings.withMonitor(settings.monitor().withAdaptiveForgetting(false)),
                progress == null ? null : done -> progress.accept(n + done));
        return new Comparison(stream, config, settings, on, off);
    }

    /** One prequential run of a classification stream with the monitor (see the class comment). */
    public static Run classification(final BaliConfig config, final ClassificationStream stream, final Settings settings,
                                     final LongConsumer progress) {
        requireTask(config, Task.CLASSIFICATION);
        if (config.inputSize() != stream.dimension() || config.numClasses() < stream.classes()) {
            throw new IllegalArgumentException("model " + config.inputSize() + " inputs / " + config.numClasses()
                    + " classes cannot take stream " + stream.name() + " (" + stream.dimension() + " features, "
                    + stream.classes() + " classes)");
        }
        final BaliModel model = new BaliModel(config);
        final int[] y = stream.labels();
        final int b = config.batchSize();
        final int[] batchY = new int[b];
        return run(model, stream.features(), stream.driftPoints(), settings, progress, "accuracy", new Learner() {
            @Override
            public double[] score(final int i) {
                final ClassificationPrediction p = model.classify(stream.features()[i]);
                final double hit = p.predictedClass() == y[i] ? 1 : 0;
                return new double[]{p.leverage(), settings.loss().of(p, y[i]), hit};
            }

            @Override
            public UpdateResult learn(final double[][] x, final int[] rows, final double beta) {
                for (int k = 0; k < rows.length; k++) {
                    batchY[k] = y[rows[k]];
                }
                return model.learn(x, batchY, beta);
            }
        });
    }

    /**
     * One prequential run of a regression stream with the monitor: loss = (y − μ)²/σ²_total, metric = mean
     * squared error in target units.
     *
     * @param driftPoints known drift points, or null if unknown
     */
    public static Run regression(final BaliConfig config, final double[][] features, final double[] targets,
                                 final long[] driftPoints, final Settings settings, final LongConsumer progress) {
        requireTask(config, Task.REGRESSION);
        if (features.length != targets.length || features.length == 0) {
            throw new IllegalArgumentException(features.length + " feature rows but " + targets.length + " targets");
        }
        if (driftPoints != null) {
            checkDriftPoints(driftPoints, features.length);
        }
        final BaliModel model = new BaliModel(config);
        final double[] batchY = new double[config.batchSize()];
        return run(model, features, driftPoints, settings, progress, "mse", new Learner() {
            @Override
            public double[] score(final int i) {
                final RegressionPrediction p = model.predict(features[i]);
                final double r = targets[i] - p.mean();
                return new double[]{p.leverage(), settings.loss().of(p, targets[i]), r * r};
            }

            @Override
            public UpdateResult learn(final double[][] x, final int[] rows, final double beta) {
                for (int k = 0; k < rows.length; k++) {
                    batchY[k] = targets[rows[k]];
                }
                return model.learn(x, batchY, beta);
            }
        });
    }

    /** The task-specific half of the loop. */
    private interface Learner {
        /** Scores event i with the current model: {OOD score, prequential loss, per-event metric}. */
        double[] score(int i);

        /** One update from rows {@code rows} (features {@code x}) at forgetting {@code beta}. */
        UpdateResult learn(double[][] x, int[] rows, double beta);
    }

    private static Run run(final BaliModel model, final double[][] features, final long[] driftPoints,
                           final Settings settings, final LongConsumer progress, final String metric,
                           final Learner learner) {
        final BaliConfig config = model.config();
        final int n = features.length;
        final int b = config.batchSize();
        final ModelMonitor monitor = new ModelMonitor(settings.monitor(), config.beta(),
                config.batchSize() / (1.0 - config.beta()));
        final List<Alarm> alarms = new ArrayList<>();
        final double[] perEvent = new double[n];
        final double[][] batchX = new double[b][];
        final int[] rows = new int[b];
        final double[] pendingLoss = new double[b];
        final double[] pendingScore = new double[b];
        int pending = 0;
        long rejected = 0;
        final long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            final double[] s = learner.score(i);
            perEvent[i] = s[2];
            monitor.scored(s[0], i, 0).ifPresent(a -> alarms.add(of(a)));
            // every event is labelled: it joins the pending batch with its loss and score
            batchX[pending] = features[i];
            rows[pending] = i;
            pendingLoss[pending] = s[1];
            pendingScore[pending] = s[0];
            pending++;
            if (pending == b) {
                for (int k = 0; k < b; k++) {
                    monitor.trained(pendingLoss[k], pendingScore[k], rows[k], 0).ifPresent(a -> alarms.add(of(a)));
                }
                if (!learner.learn(batchX, rows, monitor.betaForUpdate()).accepted()) {
                    rejected++;
                }
                monitor.updated();
                pending = 0;
            }
            if (progress != null && (i + 1) % 1000 == 0) {
                progress.accept(i + 1);
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;

        final int windowCount = (n + settings.window() - 1) / settings.window();
        final long[] windowEnds = new long[windowCount];
        final double[] windows = new double[windowCount];
        for (int w = 0; w < windowCount; w++) {
            final int from = w * settings.window();
            final int to = Math.min(n, from + settings.window());
            windowEnds[w] = to;
            windows[w] = mean(perEvent, from, to);
        }
        final boolean known = driftPoints != null;
        final long[] drifts = known ? driftPoints : new long[0];
        final double[] recovery = new double[drifts.length];
        for (int k = 0; k < drifts.length; k++) {
            final long end = Math.min(drifts[k] + settings.recoveryWindow(), k + 1 < drifts.length ? drifts[k + 1] : n);
            recovery[k] = mean(perEvent, (int) drifts[k], (int) Math.min(end, n));
        }
        final List<Alarm> all = Collections.unmodifiableList(alarms);
        return new Run(settings.monitor().adaptiveForgetting(), metric, n, mean(perEvent, 0, n), windowEnds, windows, all,
                known ? driftPoints.clone() : null, detectionDelays(all, drifts, n, settings.tolerance()),
                missed(all, drifts, n, settings.tolerance()),
                known ? falseAlarmsPer10k(all, drifts, n, settings.tolerance()) : null, recovery, rejected, seconds);
    }

    private static Alarm of(final ModelMonitor.Alarm a) {
        return new Alarm(a.position(), a.detector(), a.level());
    }

    private static double mean(final double[] v, final int from, final int to) {
        if (to <= from) {
            return Double.NaN;
        }
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    private static void requireTask(final BaliConfig config, final Task task) {
        if (config.task() != task) {
            throw new IllegalArgumentException("a " + task + " run needs a " + task + " model configuration");
        }
    }
}
