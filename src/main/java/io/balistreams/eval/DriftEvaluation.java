package io.balistreams.eval;

import io.balistreams.metrics.Metrics;
import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.Rng;
import io.balistreams.bali.Task;
import io.balistreams.bali.UpdateResult;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.monitor.PrequentialLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
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
 *   <li>the tolerance interval of dᵢ is [dᵢ, min(dᵢ + tolerance, dᵢ₊₁, events));</li>
 *   <li>detection delay of dᵢ = position of the first DRIFT alarm in its interval − dᵢ; the drift is
 *       <em>missed</em> if there is none ({@link #detectionDelays}, {@link #missed});</li>
 *   <li>false alarms = DRIFT alarms outside every interval, per 10,000 events outside the intervals
 *       ({@link #falseAlarmsPer10k});</li>
 *   <li>recovery accuracy of dᵢ = accuracy over [dᵢ, min(dᵢ + W, dᵢ₊₁, events)), W = the recovery window;</li>
 *   <li>prequential accuracy overall and in consecutive windows.</li>
 * </ul>
 * {@link #compare} runs the same stream twice with the same seed, adaptive forgetting on and off
 * ({@link ModelMonitor.Settings#withAdaptiveForgetting(boolean)}), so the difference is the forgetting alone.
 *
 * <p><b>Streams</b> with known drift points: {@link #sea SEA concepts} (abrupt), a
 * {@link RotatingHyperplane rotating hyperplane} (incremental), a {@link ClassIncremental class-incremental}
 * image stream (new classes appear), and Elec2 read from CSV (real, drift points unknown).
 */
public final class DriftEvaluation {
    /** Default tolerance: a drift counts as detected by a DRIFT alarm within this many events after it. */
    public static final int DEFAULT_TOLERANCE = 2_000;
    /** Default recovery window W: accuracy over the W events after each drift point. */
    public static final int DEFAULT_RECOVERY_WINDOW = 1_000;
    /** Default window of the windowed prequential accuracy. */
    public static final int DEFAULT_WINDOW = 1_000;
    /** Label noise of the SEA stream (as in {@code bali demo}). */
    public static final double SEA_NOISE = 0.1;
    /** Label noise of the hyperplane stream. */
    public static final double HYPERPLANE_NOISE = 0.05;

    private DriftEvaluation() {
    }

    // ---------------------------------------------------------------------------------------------
    // Records

    /** One alarm of the monitor: where, which detector (e.g. {@code ADWIN/loss}, {@code ADWIN/ood-rate}), which level. */
    public record Alarm(long position, String detector, DriftLevel level) {
        public Alarm {
            Objects.requireNonNull(detector, "detector");
            Objects.requireNonNull(level, "level");
        }
    }

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
     * A labelled classification stream, materialised.
     *
     * @param name        short name, e.g. {@code sea}
     * @param features    one row per event, in stream order (rows may be shared, never modified)
     * @param labels      class of each event, in [0, classes)
     * @param classes     number of classes K
     * @param driftPoints known drift points, strictly increasing, each in (0, events); empty if the stream is
     *                    known to be stationary; null if unknown (a real stream)
     */
    public record ClassificationStream(String name, double[][] features, int[] labels, int classes,
                                       long[] driftPoints) {
        public ClassificationStream {
            Objects.requireNonNull(name, "name");
            if (features.length != labels.length) {
                throw new IllegalArgumentException(features.length + " feature rows but " + labels.length + " labels");
            }
            if (features.length == 0) {
                throw new IllegalArgumentException(name + ": empty stream");
            }
            if (classes < 2) {
                throw new IllegalArgumentException("classes must be >= 2, got " + classes);
            }
            for (final int y : labels) {
                if (y < 0 || y >= classes) {
                    throw new IllegalArgumentException(name + ": label " + y + " outside [0, " + classes + ")");
                }
            }
            if (driftPoints != null) {
                checkDriftPoints(driftPoints, features.length);
            }
        }

        public int events() {
            return labels.length;
        }

        public int dimension() {
            return features[0].length;
        }

        /** The first {@code n} events (drift points beyond them dropped). */
        public ClassificationStream head(final int n) {
            if (n < 1 || n > events()) {
                throw new IllegalArgumentException(name + " has " + events() + " events, cannot take " + n);
            }
            if (n == events()) {
                return this;
            }
            return new ClassificationStream(name, Arrays.copyOf(features, n), Arrays.copyOf(labels, n), classes,
                    driftPoints == null ? null : Arrays.stream(driftPoints).filter(d -> d < n).toArray());
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

    // ---------------------------------------------------------------------------------------------
    // Metrics

    /**
     * End (exclusive) of each drift point's tolerance interval: min(dᵢ + tolerance, dᵢ₊₁, events).
     *
     * @throws IllegalArgumentException if the drift points are not strictly increasing in (0, events), or tolerance &lt; 1
     */
    public static long[] toleranceEnds(final long[] driftPoints, final long events, final int tolerance) {
        checkDriftPoints(driftPoints, events);
        if (tolerance < 1) {
            throw new IllegalArgumentException("tolerance must be >= 1, got " + tolerance);
        }
        final long[] ends = new long[driftPoints.length];
        for (int k = 0; k < driftPoints.length; k++) {
            final long next = k + 1 < driftPoints.length ? driftPoints[k + 1] : events;
            ends[k] = Math.min(driftPoints[k] + tolerance, next);
        }
        return ends;
    }

    /**
     * Detection delay of each drift point: position of the first DRIFT alarm in [dᵢ, end of its tolerance
     * interval) minus dᵢ, or null if there is none (missed). WARNING alarms do not count.
     */
    public static Long[] detectionDelays(final List<Alarm> alarms, final long[] driftPoints, final long events,
                                         final int tolerance) {
        final long[] ends = toleranceEnds(driftPoints, events, tolerance);
        final Long[] delays = new Long[driftPoints.length];
        for (int k = 0; k < driftPoints.length; k++) {
            long first = Long.MAX_VALUE;
            for (final Alarm a : alarms) {
                if (a.level() == DriftLevel.DRIFT && a.position() >= driftPoints[k] && a.position() < ends[k]) {
                    first = Math.min(first, a.position());
                }
            }
            delays[k] = first == Long.MAX_VALUE ? null : first - driftPoints[k];
        }
        return delays;
    }

    /** Number of drift points without a DRIFT alarm within their tolerance interval. */
    public static int missed(final List<Alarm> alarms, final long[] driftPoints, final long events, final int tolerance) {
        int missed = 0;
        for (final Long d : detectionDelays(alarms, driftPoints, events, tolerance)) {
            if (d == null) {
                missed++;
            }
        }
        return missed;
    }

    /**
     * DRIFT alarms outside every tolerance interval, per 10,000 events outside them (all events if there are
     * no drift points; event 0 is always outside, as drift points are &gt; 0).
     */
    public static double falseAlarmsPer10k(final List<Alarm> alarms, final long[] driftPoints, final long events,
                                           final int tolerance) {
        final long[] ends = toleranceEnds(driftPoints, events, tolerance);
        long covered = 0;
        for (int k = 0; k < driftPoints.length; k++) {
            covered += ends[k] - driftPoints[k];
        }
        long outside = 0;
        for (final Alarm a : alarms) {
            if (a.level() != DriftLevel.DRIFT) {
                continue;
            }
            boolean inside = false;
            for (int k = 0; k < driftPoints.length && !inside; k++) {
                inside = a.position() >= driftPoints[k] && a.position() < ends[k];
            }
            if (!inside) {
                outside++;
            }
        }
        return outside * 10_000.0 / (events - covered);
    }

    private static void checkDriftPoints(final long[] driftPoints, final long events) {
        Objects.requireNonNull(driftPoints, "driftPoints");
        long previous = 0;
        for (final long d : driftPoints) {
            if (d <= previous || d >= events) {
                throw new IllegalArgumentException("drift points must be strictly increasing in (0, " + events
                        + "), got " + Arrays.toString(driftPoints));
            }
            previous = d;
        }
    }

    private static void requireTask(final BaliConfig config, final Task task) {
        if (config.task() != task) {
            throw new IllegalArgumentException("a " + task + " run needs a " + task + " model configuration");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Models used by `bali eval drift`

    /** The tabular model of {@code bali demo} and {@code eval prequential}: d→32→32→K tanh, streaming. */
    public static BaliConfig tabularModel(final int inputs, final int classes, final int batch, final double memory,
                                          final long seed) {
        return BaliConfig.classification(inputs, 32, 32, classes).activation(Activation.TANH).batchSize(batch)
                .effectiveMemory(memory).seed(seed).build();
    }

    /**
     * The image model of {@code eval ood} ({@link OodEvaluation.Settings#defaults()}): 784→128→10 ReLU,
     * κ = 300, pixels used as given; streaming with memory N_eff.
     */
    public static BaliConfig imageModel(final int inputs, final int classes, final int batch, final double memory,
                                        final long seed) {
        final OodEvaluation.Settings d = OodEvaluation.Settings.defaults();
        return BaliConfig.classification(inputs, d.hidden(), classes).activation(d.activation()).batchSize(batch)
                .hiddenKappa(d.kappa()).standardizeInputs(d.standardizeInputs()).effectiveMemory(memory).seed(seed)
                .build();
    }

    // ---------------------------------------------------------------------------------------------
    // Streams

    /**
     * SEA concepts ({@link SeaConcepts}, label noise {@value #SEA_NOISE}): abrupt drifts every
     * {@code conceptLength} events, thresholds 8 → 9 → 7 → 9.5 → 8 …
     */
    public static ClassificationStream sea(final long seed, final int events, final long conceptLength) {
        requireEvents(events);
        final SeaConcepts sea = new SeaConcepts(seed, conceptLength, SEA_NOISE);
        final double[][] x = new double[events][];
        final int[] y = new int[events];
        for (int i = 0; i < events; i++) {
            x[i] = new double[3];
            y[i] = sea.next(x[i]);
        }
        return new ClassificationStream("sea", x, y, 2, multiples(conceptLength, events));
    }

    /** A stretch of one SEA concept (the first, θ = 8), no drift: for false-alarm checks. */
    public static ClassificationStream seaStationary(final long seed, final int events) {
        final ClassificationStream s = sea(seed, events, Long.MAX_VALUE / 2);
        return new ClassificationStream("sea-stationary", s.features(), s.labels(), 2, new long[0]);
    }

    /**
     * The rotating hyperplane ({@link RotatingHyperplane}, label noise {@value #HYPERPLANE_NOISE}, rotation by
     * π/4 over the first fifth of each segment after the first): drift points at the starts of the rotation
     * phases, every {@code segmentLength} events.
     */
    public static ClassificationStream hyperplane(final long seed, final int events, final long segmentLength) {
        requireEvents(events);
        final RotatingHyperplane h = new RotatingHyperplane(seed, segmentLength, Math.max(1, segmentLength / 5),
                RotatingHyperplane.DEFAULT_ANGLE, HYPERPLANE_NOISE);
        final double[][] x = new double[events][];
        final int[] y = new int[events];
        for (int i = 0; i < events; i++) {
            x[i] = new double[RotatingHyperplane.DIMENSION];
            y[i] = h.next(x[i]);
        }
        return new ClassificationStream("hyperplane", x, y, 2, h.driftPoints(events));
    }

    /**
     * A class-incremental stream over a labelled image set (e.g. the Fashion-MNIST training set): 2 classes
     * in the first segment, 2 more at the start of every following segment ({@link ClassIncremental}).
     */
    public static ClassificationStream classIncremental(final double[][] images, final int[] labels, final long seed,
                                                        final int events, final long segmentLength) {
        requireEvents(events);
        final ClassIncremental c = new ClassIncremental(labels, seed, segmentLength, 2, 2);
        final double[][] x = new double[events][];
        final int[] y = new int[events];
        for (int i = 0; i < events; i++) {
            final int row = c.next();
            x[i] = images[row];
            y[i] = labels[row];
        }
        return new ClassificationStream("fmnist-classes", x, y, c.numClasses(), c.driftPoints(events));
    }

    /** Elec2 as in {@code eval prequential}: target {@code class}, rows in file order, drift points unknown. */
    public static ClassificationStream elec2(final Path csv) {
        final CsvTable t = CsvTable.read(csv, "class", Set.of(), 32);
        if (t.rows() == 0) {
            throw new IllegalArgumentException(csv + ": no data rows after the header");
        }
        return new ClassificationStream("elec2", t.features(), t.labels(), Math.max(2, t.classNames().size()), null);
    }

    private static void requireEvents(final int events) {
        if (events < 1) {
            throw new IllegalArgumentException("events must be >= 1, got " + events);
        }
    }

    /** k·step for k ≥ 1 while below {@code events}. */
    private static long[] multiples(final long step, final long events) {
        final List<Long> out = new ArrayList<>();
        for (long d = step; d < events && d > 0; d += step) {
            out.add(d);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * A rotating hyperplane (incremental drift): d = {@value #DIMENSION} features uniform on [0, 1], label 1
     * if Σ wᵢxᵢ ≥ Σ wᵢ / 2 (the hyperplane always passes through the centre of the cube, so the classes stay
     * balanced), a fraction of labels flipped as noise. The weights rotate in a plane:
     * w(θ) = cos θ · u + sin θ · v with u, v orthonormal (random from the seed). The stream is cut into
     * segments of {@code segmentLength} events; segment 0 is stable (θ = 0); every later segment starts with
     * a rotation phase of {@code rotationLength} events during which θ grows by {@code angle / rotationLength}
     * per event, then stays put for the rest of the segment. Drift points = the starts of the rotation
     * phases, k·segmentLength for k ≥ 1. A rotation by Δθ changes the label of about Δθ/π of the inputs.
     */
    public static final class RotatingHyperplane {
        public static final int DIMENSION = 10;
        /** Rotation per phase: π/4, about a quarter of the labels change. */
        public static final double DEFAULT_ANGLE = Math.PI / 4;

        private final double[] u;
        private final double[] v;
        private final long segmentLength;
        private final long rotationLength;
        private final double angle;
        private final double labelNoise;
        private final Rng rng;
        private final double[] w = new double[DIMENSION];
        private long position;

        /** Random orthonormal u, v from the seed. */
        public RotatingHyperplane(final long seed, final long segmentLength, final long rotationLength,
                                  final double angle, final double labelNoise) {
            this(randomPlane(seed), seed, segmentLength, rotationLength, angle, labelNoise);
        }

        private RotatingHyperplane(final double[][] plane, final long seed, final long segmentLength,
                                   final long rotationLength, final double angle, final double labelNoise) {
            this(plane[0], plane[1], seed, segmentLength, rotationLength, angle, labelNoise);
        }

        /** Given u and v (each of length {@value #DIMENSION}, orthonormal: checked). */
        public RotatingHyperplane(final double[] u, final double[] v, final long seed, final long segmentLength,
                                  final long rotationLength, final double angle, final double labelNoise) {
            if (u.length != DIMENSION || v.length != DIMENSION) {
                throw new IllegalArgumentException("u and v need " + DIMENSION + " components");
            }
            if (Math.abs(dot(u, u) - 1) > 1e-9 || Math.abs(dot(v, v) - 1) > 1e-9 || Math.abs(dot(u, v)) > 1e-9) {
                throw new IllegalArgumentException("u and v must be orthonormal");
            }
            if (segmentLength < 1 || rotationLength < 1 || rotationLength > segmentLength) {
                throw new IllegalArgumentException("need 1 <= rotationLength <= segmentLength, got " + rotationLength
                        + " and " + segmentLength);
            }
            if (!Double.isFinite(angle)) {
                throw new IllegalArgumentException("angle must be finite, got " + angle);
            }
            if (!(labelNoise >= 0 && labelNoise < 0.5)) {
                throw new IllegalArgumentException("labelNoise must be in [0, 0.5), got " + labelNoise);
            }
            this.u = u.clone();
            this.v = v.clone();
            this.segmentLength = segmentLength;
            this.rotationLength = rotationLength;
            this.angle = angle;
            this.labelNoise = labelNoise;
            this.rng = Rng.forStream(seed, 1);
        }

        private static double[][] randomPlane(final long seed) {
            final Rng r = Rng.forStream(seed, 0);
            final double[] a = new double[DIMENSION];
            final double[] b = new double[DIMENSION];
            r.fillGaussian(a, DIMENSION);
            r.fillGaussian(b, DIMENSION);
            scale(a, 1 / Math.sqrt(dot(a, a)));
            final double ab = dot(a, b);
            for (int i = 0; i < DIMENSION; i++) {
                b[i] -= ab * a[i];
            }
            scale(b, 1 / Math.sqrt(dot(b, b)));
            return new double[][]{a, b};
        }

        /** θ at {@code position}: angle × (rotation-phase events before it) / rotationLength. */
        public double angleAt(final long position) {
            if (position < 0) {
                throw new IllegalArgumentException("position must be >= 0, got " + position);
            }
            final long segment = position / segmentLength;
            final long into = position - segment * segmentLength;
            final double completed = segment == 0 ? 0 : (segment - 1) * (double) rotationLength
                    + Math.min(into, rotationLength);
            return angle * completed / rotationLength;
        }

        /** w at {@code position}: cos θ · u + sin θ · v. */
        public double[] weightsAt(final long position) {
            final double t = angleAt(position);
            final double[] out = new double[DIMENSION];
            for (int i = 0; i < DIMENSION; i++) {
                out[i] = Math.cos(t) * u[i] + Math.sin(t) * v[i];
            }
            return out;
        }

        /** The noise-free label of {@code x} at {@code position}. */
        public int labelAt(final long position, final double[] x) {
            return label(weightsAt(position), x);
        }

        /** The definition: 1 if Σ wᵢxᵢ ≥ Σ wᵢ / 2, else 0. */
        public static int label(final double[] w, final double[] x) {
            if (w.length != x.length) {
                throw new IllegalArgumentException(w.length + " weights but " + x.length + " features");
            }
            double wx = 0;
            double sw = 0;
            for (int i = 0; i < w.length; i++) {
                wx += w[i] * x[i];
                sw += w[i];
            }
            return wx >= sw / 2 ? 1 : 0;
        }

        /** Drift points among the first {@code events}: k·segmentLength, k ≥ 1. */
        public long[] driftPoints(final long events) {
            return multiples(segmentLength, events);
        }

        /** Position of the next event (0-based). */
        public long position() {
            return position;
        }

        /** Fills {@code features} (length {@value #DIMENSION}) with the next event and returns its (noisy) label. */
        public int next(final double[] features) {
            if (features.length != DIMENSION) {
                throw new IllegalArgumentException("need " + DIMENSION + " features, got " + features.length);
            }
            for (int i = 0; i < DIMENSION; i++) {
                features[i] = rng.nextDouble();
            }
            final double t = angleAt(position);
            final double c = Math.cos(t);
            final double s = Math.sin(t);
            for (int i = 0; i < DIMENSION; i++) {
                w[i] = c * u[i] + s * v[i];
            }
            int y = label(w, features);
            if (rng.nextDouble() < labelNoise) {
                y = 1 - y;
            }
            position++;
            return y;
        }

        private static double dot(final double[] a, final double[] b) {
            double s = 0;
            for (int i = 0; i < a.length; i++) {
                s += a[i] * b[i];
            }
            return s;
        }

        private static void scale(final double[] a, final double f) {
            for (int i = 0; i < a.length; i++) {
                a[i] *= f;
            }
        }
    }

    /**
     * Class-incremental sampling from a labelled pool (e.g. an image data set): the classes are revealed in an
     * order drawn from the seed, {@code initialClasses} in segment 0 and {@code classesPerStep} more at the
     * start of each following segment of {@code segmentLength} events, until all are revealed. Each event
     * picks a revealed class uniformly, then the next record of that class from its own shuffled list
     * (cycling if exhausted). Drift points = the segment starts where new classes appear.
     */
    public static final class ClassIncremental {
        private final int[][] byClass;
        private final int[] cursor;
        private final int[] order;
        private final long segmentLength;
        private final int initialClasses;
        private final int classesPerStep;
        private final Rng rng;
        private long position;

        /**
         * @param labels the pool's labels, classes 0 .. K−1 each present at least once
         */
        public ClassIncremental(final int[] labels, final long seed, final long segmentLength, final int initialClasses,
                                final int classesPerStep) {
            int k = 0;
            for (final int y : labels) {
                if (y < 0) {
                    throw new IllegalArgumentException("negative label " + y);
                }
                k = Math.max(k, y + 1);
            }
            final int[] counts = new int[k];
            for (final int y : labels) {
                counts[y]++;
            }
            for (int c = 0; c < k; c++) {
                if (counts[c] == 0) {
                    throw new IllegalArgumentException("class " + c + " has no record in the pool");
                }
            }
            if (k < 2 || initialClasses < 1 || initialClasses > k || classesPerStep < 1) {
                throw new IllegalArgumentException("need >= 2 classes, 1 <= initialClasses <= " + k
                        + " and classesPerStep >= 1, got " + k + ", " + initialClasses + ", " + classesPerStep);
            }
            if (segmentLength < 1) {
                throw new IllegalArgumentException("segmentLength must be >= 1, got " + segmentLength);
            }
            this.segmentLength = segmentLength;
            this.initialClasses = initialClasses;
            this.classesPerStep = classesPerStep;
            this.rng = new Rng(seed);
            this.order = new int[k];
            for (int c = 0; c < k; c++) {
                order[c] = c;
            }
            UciProtocol.shuffle(order, rng);
            this.byClass = new int[k][];
            final int[] fill = new int[k];
            for (int c = 0; c < k; c++) {
                byClass[c] = new int[counts[c]];
            }
            for (int i = 0; i < labels.length; i++) {
                byClass[labels[i]][fill[labels[i]]++] = i;
            }
            for (final int[] rows : byClass) {
                UciProtocol.shuffle(rows, rng);
            }
            this.cursor = new int[k];
        }

        public int numClasses() {
            return order.length;
        }

        /** The order in which the classes are revealed. */
        public int[] classOrder() {
            return order.clone();
        }

        /** Number of classes revealed at {@code position}. */
        public int revealedAt(final long position) {
            final long step = position / segmentLength;
            return (int) Math.min(order.length, initialClasses + Math.min(step, order.length) * classesPerStep);
        }

        /** Drift points among the first {@code events}: segment starts where the revealed count grows. */
        public long[] driftPoints(final long events) {
            final List<Long> out = new ArrayList<>();
            for (long d = segmentLength; d < events && revealedAt(d) > revealedAt(d - 1); d += segmentLength) {
                out.add(d);
            }
            return out.stream().mapToLong(Long::longValue).toArray();
        }

        /** Index into the pool of the next event's record. */
        public int next() {
            final int c = order[rng.nextInt(revealedAt(position))];
            final int[] rows = byClass[c];
            final int row = rows[cursor[c]];
            cursor[c] = (cursor[c] + 1) % rows.length;
            position++;
            return row;
        }
    }
}
