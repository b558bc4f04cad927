package io.balistreams.cli;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.eval.CsvTable;
import io.balistreams.eval.ClassificationStream;
import io.balistreams.eval.DriftEvaluation;
import io.balistreams.eval.DriftMetrics;
import io.balistreams.eval.DriftStreams;
import io.balistreams.eval.IdxReader;
import io.balistreams.metrics.Metrics;
import io.balistreams.eval.OodEvaluation;
import io.balistreams.eval.PrequentialEvaluation;
import io.balistreams.eval.UciDataset;
import io.balistreams.eval.UciProtocol;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.monitor.PrequentialLoss;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bali eval}: how well the learner predicts and how honest its uncertainty is, on real data.
 * The subcommands' names, options and JSON fields are a stable contract.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate BALI on real data: UCI regression protocol, prequential streams, out-of-distribution, "
                + "drift detection.",
        subcommands = {EvalCommand.Uci.class, EvalCommand.Prequential.class, EvalCommand.Ood.class,
                EvalCommand.Drift.class})
public final class EvalCommand implements Runnable {
    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: uci, prequential, ood or drift");
    }

    /** {@code bali eval uci}. */
    @Command(name = "uci", mixinStandardHelpOptions = true,
            description = "The UCI Bayesian-NN regression protocol on a folder in the benchmark layout "
                    + "(data.txt, index_*.txt); test RMSE and log-likelihood per split, mean ± s.e.")
    static final class Uci implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "Data set folder (e.g. ../shared/datasets/uci/concrete).")
        Path dir;

        @Option(names = "--splits", description = "Evaluate the first K splits (default: all).")
        Integer splits;

        @Mixin
        JsonOption output;

        @Option(names = "--epochs", split = ",", defaultValue = "20,40,80,160",
                description = "Candidate passes over the training part, chosen per split on the hold-out "
                        + "(default ${DEFAULT-VALUE}; one value fixes it).")
        List<Integer> epochs;

        @Option(names = "--hidden", description = "Hidden units (default ${DEFAULT-VALUE}).", defaultValue = "50")
        int hidden;

        @Option(names = "--activation", description = "RELU, TANH or IDENTITY (default ${DEFAULT-VALUE}).",
                defaultValue = "RELU")
        Activation activation;

        @Option(names = "--ensemble", description = "Networks per ensemble (default ${DEFAULT-VALUE}).",
                defaultValue = "5")
        int ensemble;

        @Option(names = "--no-refit", negatable = false,
                description = "Skip the evidence refit of each network's last layer after training.")
        boolean noRefit;

        @Option(names = "--calibration", defaultValue = "separate",
                description = "Variance calibration chosen by cross-validation: 'separate' scales the noise and the "
                        + "epistemic variance apart (two factors), 'common' scales their sum (one factor) "
                        + "(default ${DEFAULT-VALUE}).")
        String calibration;

        @Option(names = "--folds", description = "Cross-validation folds of the training part that choose the "
                + "epochs and the variance scale (default ${DEFAULT-VALUE}).", defaultValue = "5")
        int folds;

        @Option(names = "--seed", description = "Seed (default ${DEFAULT-VALUE}).", defaultValue = "1")
        long seed;

        @Override
        public Integer call() {
            final boolean separateScales = switch (calibration) {
                case "separate" -> true;
                case "common" -> false;
                default -> throw new IllegalArgumentException("--calibration must be separate or common, got " + calibration);
            };
            final UciDataset data = UciDataset.read(dir);
            final int k = splits == null ? data.numSplits() : splits;
            final UciProtocol.Settings d = UciProtocol.Settings.defaults();
            final UciProtocol.Settings settings = new UciProtocol.Settings(hidden, activation, epochs, d.batchSize(),
                    d.beta(), d.kappa(), d.priorPrecision(), ensemble, folds, !noRefit, separateScales, seed);
            final UciProtocol.Result r = ProgressBar.around("eval uci " + data.name(), k,
                    bar -> UciProtocol.run(data, k, settings, s -> bar.accept(s + 1)));
            final double[] rmse = r.rmse();
            final double[] ll = r.logLikelihood();
            if (output.json) {
                final Map<String, Object> out = new LinkedHashMap<>();
                out.put("dataset", data.name());
                out.put("splits", k);
                out.put("rmse", meanSe(rmse));
                out.put("ll", meanSe(ll));
                out.put("train_seconds", r.trainSeconds());
                System.out.println(Json.write(out));
            } else {
                final PrintStream o = System.out;
                o.printf(Locale.ROOT, "%s: %d records, %d features; %d splits; %s%n", data.name(), data.rows(),
                        data.numFeatures(), k, settings);
                o.printf(Locale.ROOT, "%5s %10s %10s %7s %8s %8s %8s%n", "split", "rmse", "test_ll", "epochs", "rho", "rho_epi", "train_s");
                for (final UciProtocol.SplitResult s : r.splits()) {
                    o.printf(Locale.ROOT, "%5d %10.4f %10.4f %7d %8.3f %8.3f %8.2f%n", s.split(), s.rmse(), s.logLikelihood(),
                            s.epochs(), s.noiseScale(), s.epistemicScale(), s.trainSeconds());
                }
                o.printf(Locale.ROOT, "RMSE %.3f ± %.3f   test log-likelihood %.3f ± %.3f   (mean ± s.e.; train %.1f s)%n",
                        Metrics.mean(rmse), Metrics.standardError(rmse), Metrics.mean(ll), Metrics.standardError(ll),
                        r.trainSeconds());
            }
            return 0;
        }
    }

    /** {@code bali eval prequential}. */
    @Command(name = "prequential", mixinStandardHelpOptions = true,
            description = "Test-then-train over the rows of a CSV file in file order, the way the service learns.")
    static final class Prequential implements Callable<Integer> {
        @Option(names = "--csv", required = true, description = "CSV file with a header row.")
        Path csv;

        @Option(names = "--target", required = true, description = "Name of the target column.")
        String target;

        @Option(names = "--task", defaultValue = "classification",
                description = "classification or regression (default ${DEFAULT-VALUE}).")
        String task;

        @Option(names = "--window", defaultValue = "1000", description = "Records per metrics window (default ${DEFAULT-VALUE}).")
        int window;

        @Option(names = "--drop", split = ",", description = "Columns to ignore, comma-separated.")
        List<String> drop = new ArrayList<>();

        @Option(names = "--max-levels", defaultValue = "32",
                description = "Categorical columns with more levels than this are hashed into this many buckets "
                        + "(default ${DEFAULT-VALUE}).")
        int maxLevels;

        @Option(names = "--hidden", split = ",", defaultValue = "32,32",
                description = "Hidden layer widths, comma-separated (default ${DEFAULT-VALUE}).")
        List<Integer> hidden;

        @Option(names = "--activation", defaultValue = "TANH", description = "RELU, TANH or IDENTITY (default ${DEFAULT-VALUE}).")
        Activation activation;

        @Option(names = "--batch", defaultValue = "32", description = "Mini-batch size B (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--memory", defaultValue = "320",
                description = "Effective memory N_eff = B/(1-beta) in records (default ${DEFAULT-VALUE}: the "
                        + "service's default, B = 32 with beta = 0.9).")
        double memory;

        @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Mixin
        JsonOption output;

        @Override
        public Integer call() {
            final boolean classification;
            if ("classification".equalsIgnoreCase(task)) {
                classification = true;
            } else if ("regression".equalsIgnoreCase(task)) {
                classification = false;
            } else {
                throw new IllegalArgumentException("--task must be classification or regression, got " + task);
            }
            final CsvTable table = CsvTable.read(csv, target, new LinkedHashSet<>(drop), maxLevels);
            if (table.rows() == 0) {
                throw new IllegalArgumentException(csv + ": no data rows after the header");
            }
            final int d = table.featureNames().size();
            if (d == 0) {
                throw new IllegalArgumentException(csv + ": no feature columns besides the target " + target);
            }
            final int[] widths = new int[hidden.size() + 2];
            widths[0] = d;
            for (int i = 0; i < hidden.size(); i++) {
                widths[i + 1] = hidden.get(i);
            }
            final BaliConfig.Builder builder;
            if (classification) {
                final int k = table.classNames().size();
                if (k < 2) {
                    throw new IllegalArgumentException("target column " + target + " has " + k
                            + " distinct value(s); classification needs at least 2");
                }
                widths[widths.length - 1] = k;
                builder = BaliConfig.classification(widths);
            } else {
                widths[widths.length - 1] = 1;
                builder = BaliConfig.regression(widths);
            }
            final BaliConfig config = builder.activation(activation).batchSize(batch).effectiveMemory(memory)
                    .seed(seed).build();
            final PrequentialEvaluation.Result r = ProgressBar.around("eval prequential", table.rows(),
                    bar -> classification
                            ? PrequentialEvaluation.classification(config, table.features(), table.labels(), window, bar)
                            : PrequentialEvaluation.regression(config, table.features(), table.targets(), window, bar));
            if (output.json) {
                final Map<String, Object> out = new LinkedHashMap<>();
                out.put("n", r.records());
                out.put("records_per_second", r.recordsPerSecond());
                out.put("metrics", r.cumulative());
                out.put("windows", r.windows());
                System.out.println(Json.write(out));
            } else {
                final PrintStream o = System.out;
                o.printf(Locale.ROOT, "%s: %,d records, %d features, target %s (%s)%n", csv.getFileName(), r.records(), d,
                        target, classification ? table.classNames().size() + " classes" : "regression");
                o.printf(Locale.ROOT, "model %s%n", config);
                o.printf(Locale.ROOT, "%,.0f records/s; rejected updates %d%n", r.recordsPerSecond(), r.rejectedUpdates());
                o.println("cumulative: " + format(r.cumulative()));
                for (final Map<String, Double> w : r.windows()) {
                    o.println("  window " + format(w));
                }
            }
            return 0;
        }
    }

    /** {@code bali eval ood}. */
    @Command(name = "ood", mixinStandardHelpOptions = true,
            description = "Train a classifier on IDX images, report test accuracy/NLL/ECE and the AUROC of each "
                    + "uncertainty score for separating test inputs from out-of-distribution inputs.")
    static final class Ood implements Callable<Integer> {
        @Option(names = "--train", arity = "2", required = true, paramLabel = "FILE",
                description = "Training IDX images and labels.")
        List<Path> train;

        @Option(names = "--test", arity = "2", required = true, paramLabel = "FILE",
                description = "Test IDX images and labels (in-distribution).")
        List<Path> test;

        @Option(names = "--ood", required = true, description = "Out-of-distribution IDX images.")
        Path ood;

        @Option(names = "--epochs", defaultValue = "5", description = "Passes over the training set (default ${DEFAULT-VALUE}).")
        int epochs;

        @Option(names = "--hidden", defaultValue = "128", description = "Hidden units (default ${DEFAULT-VALUE}).")
        int hidden;

        @Option(names = "--batch", defaultValue = "128", description = "Mini-batch size (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--kappa", defaultValue = "300",
                description = "Relative floor of the hidden layer's Sigma^-1, gamma = kappa tr(G)/q (default ${DEFAULT-VALUE}).")
        double kappa;

        @Option(names = "--standardize", description = "Standardise every input online (default: off; pixels are in [0, 1]).")
        boolean standardize;

        @Option(names = "--ensemble", defaultValue = "3",
                description = "Networks in the ensemble, trained in parallel; the predictive is their mixture (default ${DEFAULT-VALUE}).")
        int ensemble;

        @Option(names = "--limit", description = "Use at most this many records of each file (for quick runs).")
        Integer limit;

        @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Mixin
        JsonOption output;

        @Override
        public Integer call() {
            final int max = limit == null ? Integer.MAX_VALUE : limit;
            final double[][] trainX = IdxReader.readImages(train.get(0), max);
            final int[] trainY = IdxReader.readLabels(train.get(1), max);
            final double[][] testX = IdxReader.readImages(test.get(0), max);
            final int[] testY = IdxReader.readLabels(test.get(1), max);
            final double[][] oodX = IdxReader.readImages(ood, max);
            if (trainX.length != trainY.length || testX.length != testY.length) {
                throw new IllegalArgumentException("image and label counts differ: train " + trainX.length + "/"
                        + trainY.length + ", test " + testX.length + "/" + testY.length);
            }
            final OodEvaluation.Settings d = OodEvaluation.Settings.defaults();
            final OodEvaluation.Settings settings = new OodEvaluation.Settings(hidden, d.activation(), epochs, batch,
                    d.beta(), kappa, standardize, ensemble, seed);
            final OodEvaluation.Result r = ProgressBar.around("eval ood (epochs)", epochs * ensemble,
                    bar -> OodEvaluation.run(trainX, trainY, testX, testY, oodX, settings, e -> bar.accept(e + 1)));
            if (output.json) {
                final Map<String, Object> out = new LinkedHashMap<>();
                out.put("accuracy", r.accuracy());
                out.put("nll", r.nll());
                out.put("ece", r.ece());
                out.put("auroc", r.auroc());
                out.put("train_seconds", r.trainSeconds());
                out.put("leverage_threshold", r.leverageThreshold());
                out.put("flagged", r.flagged());
                System.out.println(Json.write(out));
            } else {
                final PrintStream o = System.out;
                o.printf(Locale.ROOT, "trained on %,d images (%d epochs, %s) in %.1f s%n", trainX.length, epochs,
                        settings, r.trainSeconds());
                o.printf(Locale.ROOT, "test: accuracy %.4f  NLL %.4f  ECE %.4f  (%,d images)%n", r.accuracy(), r.nll(),
                        r.ece(), testX.length);
                o.printf(Locale.ROOT, "AUROC test vs OOD (%,d images): %s%n", oodX.length, format(r.auroc()));
                o.printf(Locale.ROOT, "flagged by leverage > %.4g (99th percentile of the training leverages): "
                        + "test %.4f  OOD %.4f%n", r.leverageThreshold(), r.flagged().get("in_distribution"),
                        r.flagged().get("ood"));
            }
            return 0;
        }
    }

    /** {@code bali eval drift}. */
    @Command(name = "drift", mixinStandardHelpOptions = true,
            description = "Drift detection and adaptive forgetting on streams with known drift points: test-then-train "
                    + "with the service's monitor (loss detector, feature-drift ADWIN on OOD flags, adaptive forgetting), "
                    + "run twice with the same seed, adaptive forgetting on and off.")
    static final class Drift implements Callable<Integer> {
        /** Largest --events accepted (the streams are held in memory). */
        static final int MAX_EVENTS = 5_000_000;

        @Option(names = "--stream", required = true,
                description = "sea (abrupt), hyperplane (incremental), fmnist-classes (class-incremental Fashion-MNIST) "
                        + "or elec2 (real, drift points unknown).")
        String stream;

        @Option(names = "--events", description = "Events (default: 40,000 for sea and hyperplane, 20,000 for "
                + "fmnist-classes, all 45,312 rows for elec2).")
        Integer events;

        @Option(names = "--segment", description = "Events between drift points (default: 10,000; 4,000 for "
                + "fmnist-classes; not for elec2).")
        Integer segment;

        @Option(names = "--detector", defaultValue = "adwin",
                description = "Detector on the prequential loss: adwin or page-hinkley (default ${DEFAULT-VALUE}).")
        String detector;

        @Option(names = "--alarm-memory", defaultValue = "0.5",
                description = "Memory right after a drift alarm as a fraction of N_eff, as bali.forgetting.alarm.memory "
                        + "(default ${DEFAULT-VALUE}).")
        double alarmMemory;

        @Option(names = "--loss", defaultValue = "error",
                description = "Loss the detector watches, as bali.drift.loss: error (0/1 error) or nll (default ${DEFAULT-VALUE}).")
        String loss;

        @Option(names = "--memory", defaultValue = "2000",
                description = "Effective memory N_eff = B/(1-beta) in records (default ${DEFAULT-VALUE}).")
        double memory;

        @Option(names = "--batch", defaultValue = "32", description = "Mini-batch size B (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of the stream and the model (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--tolerance", defaultValue = "2000",
                description = "A drift counts as detected by a DRIFT alarm within this many events after it "
                        + "(or before the next drift point) (default ${DEFAULT-VALUE}).")
        int tolerance;

        @Option(names = "--recovery-window", defaultValue = "1000",
                description = "Accuracy over this many events after each drift point (default ${DEFAULT-VALUE}).")
        int recoveryWindow;

        @Option(names = "--window", defaultValue = "1000",
                description = "Events per window of the windowed accuracy (default ${DEFAULT-VALUE}).")
        int window;

        @Option(names = "--data", defaultValue = "../shared/datasets",
                description = "Folder of the shared data sets (fashion-mnist/, streams/elec2.csv) (default ${DEFAULT-VALUE}).")
        Path data;

        @Mixin
        JsonOption output;

        @Override
        public Integer call() {
            final ModelMonitor.Detector kind = switch (detector.toLowerCase(Locale.ROOT)) {
                case "adwin" -> ModelMonitor.Detector.ADWIN;
                case "page-hinkley", "page_hinkley" -> ModelMonitor.Detector.PAGE_HINKLEY;
                default -> throw new IllegalArgumentException("--detector must be adwin or page-hinkley, got " + detector);
            };
            final PrequentialLoss lossKind = switch (loss.toLowerCase(Locale.ROOT)) {
                case "error" -> PrequentialLoss.ERROR;
                case "nll" -> PrequentialLoss.NLL;
                default -> throw new IllegalArgumentException("--loss must be error or nll, got " + loss);
            };
            if (events != null && (events < 1 || events > MAX_EVENTS)) {
                throw new IllegalArgumentException("--events must be in [1, " + MAX_EVENTS + "], got " + events);
            }
            if (segment != null && segment < 1) {
                throw new IllegalArgumentException("--segment must be >= 1, got " + segment);
            }
            if (batch < 1) {
                throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
            }
            if (!(memory > batch) || Double.isInfinite(memory)) {
                throw new IllegalArgumentException("--memory must be finite and exceed --batch (" + batch + "), got " + memory);
            }
            if (tolerance < 1 || recoveryWindow < 1 || window < 1) {
                throw new IllegalArgumentException("--tolerance, --recovery-window and --window must be >= 1");
            }
            final ClassificationStream s;
            final BaliConfig config;
            final String model;
            switch (stream) {
                case "sea" -> {
                    s = DriftStreams.sea(seed, events == null ? 40_000 : events, segment == null ? 10_000 : segment);
                    config = DriftStreams.tabularModel(s.dimension(), s.classes(), batch, memory, seed);
                    model = "3->32->32->2 tanh";
                }
                case "hyperplane" -> {
                    s = DriftStreams.hyperplane(seed, events == null ? 40_000 : events,
                            segment == null ? 10_000 : segment);
                    config = DriftStreams.tabularModel(s.dimension(), s.classes(), batch, memory, seed);
                    model = "10->32->32->2 tanh";
                }
                case "fmnist-classes" -> {
                    final Path dir = data.resolve("fashion-mnist");
                    final int n = events == null ? 20_000 : events;
                    final double[][] images = IdxReader.readImages(dir.resolve("train-images-idx3-ubyte.gz"));
                    final int[] labels = IdxReader.readLabels(dir.resolve("train-labels-idx1-ubyte.gz"));
                    if (images.length != labels.length) {
                        throw new IllegalArgumentException(dir + ": " + images.length + " images but " + labels.length
                                + " labels");
                    }
                    s = DriftStreams.classIncremental(images, labels, seed, n, segment == null ? 4_000 : segment);
                    config = DriftStreams.imageModel(s.dimension(), s.classes(), batch, memory, seed);
                    model = s.dimension() + "->128->" + s.classes() + " ReLU, kappa 300";
                }
                case "elec2" -> {
                    if (segment != null) {
                        throw new IllegalArgumentException("--segment does not apply to elec2 (its drift points are unknown)");
                    }
                    final Path csv = data.resolve("streams").resolve("elec2.csv");
                    final ClassificationStream all = DriftStreams.elec2(csv);
                    if (events != null && events > all.events()) {
                        throw new IllegalArgumentException("--events " + events + " exceeds the " + all.events()
                                + " rows of " + csv);
                    }
                    s = events == null ? all : all.head(events);
                    config = DriftStreams.tabularModel(s.dimension(), s.classes(), batch, memory, seed);
                    model = s.dimension() + "->32->32->" + s.classes() + " tanh";
                }
                default -> throw new IllegalArgumentException(
                        "--stream must be sea, hyperplane, fmnist-classes or elec2, got " + stream);
            }
            final DriftEvaluation.Settings settings = new DriftEvaluation.Settings(
                    ModelMonitor.Settings.defaults().with(kind, null, null, alarmMemory, null), tolerance, recoveryWindow,
                    window, lossKind);
            final DriftEvaluation.Comparison c = ProgressBar.around("eval drift " + stream, 2L * s.events(),
                    bar -> DriftEvaluation.compare(config, s, settings, bar));
            if (output.json) {
                final Map<String, Object> out = new LinkedHashMap<>();
                out.put("stream", stream);
                out.put("events", s.events());
                out.put("drift_points", s.driftPoints() == null ? null : longs(s.driftPoints()));
                out.put("detector", kind.name());
                out.put("loss", lossKind.name());
                out.put("alarm_memory", alarmMemory);
                out.put("memory", memory);
                out.put("batch", batch);
                out.put("tolerance", tolerance);
                out.put("recovery_window", recoveryWindow);
                out.put("adaptive", runJson(c.adaptive()));
                out.put("fixed", runJson(c.fixed()));
                System.out.println(Json.write(out));
            } else {
                printDrift(System.out, c, model);
            }
            return 0;
        }

        private static Map<String, Object> runJson(final DriftEvaluation.Run r) {
            final boolean known = r.driftPoints() != null;
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("accuracy", r.overall());
            final List<Object> alarms = new ArrayList<>();
            for (final DriftMetrics.Alarm a : r.alarms()) {
                final Map<String, Object> j = new LinkedHashMap<>();
                j.put("position", a.position());
                j.put("detector", a.detector());
                j.put("level", a.level().name());
                alarms.add(j);
            }
            m.put("alarms", alarms);
            m.put("drift_alarms", r.driftAlarms());
            m.put("detection_delays", java.util.Arrays.asList(r.delays()));
            m.put("missed", known ? r.missed() : null);
            m.put("false_alarms_per_10k", r.falseAlarmsPer10k());
            m.put("recovery_accuracy", doubles(r.recovery()));
            m.put("records_per_second", r.recordsPerSecond());
            m.put("rejected_updates", r.rejectedUpdates());
            final List<Object> windows = new ArrayList<>();
            for (int w = 0; w < r.windows().length; w++) {
                final Map<String, Object> j = new LinkedHashMap<>();
                j.put("end", r.windowEnds()[w]);
                j.put("accuracy", r.windows()[w]);
                windows.add(j);
            }
            m.put("windows", windows);
            return m;
        }

        private void printDrift(final PrintStream o, final DriftEvaluation.Comparison c, final String model) {
            final ClassificationStream s = c.stream();
            final DriftEvaluation.Run on = c.adaptive();
            final DriftEvaluation.Run off = c.fixed();
            final boolean known = s.driftPoints() != null;
            o.printf(Locale.ROOT, "%s: %,d events, %d features, %d classes; drift points %s%n", stream, s.events(),
                    s.dimension(), s.classes(), known ? (s.driftPoints().length == 0 ? "none" : joinLongs(s.driftPoints()))
                            : "unknown");
            o.printf(Locale.ROOT, "model %s, B = %d, N_eff = %,.0f (beta %.4f), seed %d; loss detector %s, feature drift "
                            + "ADWIN on OOD flags; tolerance %,d, recovery window %,d%n", model, batch, memory,
                    c.config().beta(), seed, c.settings().monitor().detector(), tolerance, recoveryWindow);
            o.printf(Locale.ROOT, "%-28s %22s %22s%n", "", "adaptive forgetting", "fixed beta");
            o.printf(Locale.ROOT, "%-28s %22.4f %22.4f%n", "accuracy", on.overall(), off.overall());
            o.printf(Locale.ROOT, "%-28s %22d %22d%n", "DRIFT alarms", on.driftAlarms(), off.driftAlarms());
            if (known) {
                o.printf(Locale.ROOT, "%-28s %22s %22s%n", "detection delays", delays(on), delays(off));
                o.printf(Locale.ROOT, "%-28s %22d %22d%n", "missed drifts", on.missed(), off.missed());
                o.printf(Locale.ROOT, "%-28s %22.2f %22.2f%n", "false alarms / 10k events", on.falseAlarmsPer10k(),
                        off.falseAlarmsPer10k());
                for (int k = 0; k < s.driftPoints().length; k++) {
                    o.printf(Locale.ROOT, "%-28s %22.4f %22.4f%n", String.format(Locale.ROOT, "accuracy after %,d",
                            s.driftPoints()[k]), on.recovery()[k], off.recovery()[k]);
                }
            }
            o.printf(Locale.ROOT, "%-28s %,22.0f %,22.0f%n", "records/s", on.recordsPerSecond(), off.recordsPerSecond());
            for (final DriftEvaluation.Run r : new DriftEvaluation.Run[]{on, off}) {
                final StringBuilder sb = new StringBuilder();
                for (final DriftMetrics.Alarm a : r.alarms()) {
                    if (a.level() == DriftLevel.DRIFT) {
                        sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%,d", a.position()))
                                .append(' ').append(a.detector());
                    }
                }
                o.printf(Locale.ROOT, "DRIFT alarms, %s: %s%n", r.adaptiveForgetting() ? "adaptive" : "fixed",
                        sb.length() == 0 ? "none" : sb);
            }
            final StringBuilder w = new StringBuilder();
            for (int k = 0; k < on.windows().length; k++) {
                w.append(String.format(Locale.ROOT, "%s%.3f/%.3f", k == 0 ? "" : " ", on.windows()[k], off.windows()[k]));
            }
            o.printf(Locale.ROOT, "accuracy per %,d events (adaptive/fixed): %s%n", window, w);
        }

        private static String delays(final DriftEvaluation.Run r) {
            final StringBuilder sb = new StringBuilder();
            for (final Long d : r.delays()) {
                sb.append(sb.length() == 0 ? "" : ", ").append(d == null ? "missed" : String.format(Locale.ROOT, "%,d", d));
            }
            return sb.length() == 0 ? "-" : sb.toString();
        }

        private static List<Long> longs(final long[] v) {
            final List<Long> out = new ArrayList<>(v.length);
            for (final long x : v) {
                out.add(x);
            }
            return out;
        }

        private static List<Double> doubles(final double[] v) {
            final List<Double> out = new ArrayList<>(v.length);
            for (final double x : v) {
                out.add(x);
            }
            return out;
        }

        private static String joinLongs(final long[] v) {
            final StringBuilder sb = new StringBuilder();
            for (final long x : v) {
                sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%,d", x));
            }
            return sb.toString();
        }
    }

    private static String format(final Map<String, Double> metrics) {
        final StringBuilder sb = new StringBuilder();
        for (final Map.Entry<String, Double> e : metrics.entrySet()) {
            if (sb.length() > 0) {
                sb.append("  ");
            }
            sb.append(e.getKey()).append(' ').append(e.getKey().equals("end")
                    ? String.format(Locale.ROOT, "%,d", e.getValue().longValue())
                    : String.format(Locale.ROOT, "%.4f", e.getValue()));
        }
        return sb.toString();
    }

    private static Map<String, Double> meanSe(final double[] values) {
        final Map<String, Double> m = new LinkedHashMap<>();
        m.put("mean", Metrics.mean(values));
        m.put("se", Metrics.standardError(values));
        return m;
    }
}
