package io.balistreams.cli;

import io.balistreams.bali.Activation;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliMixture;
import io.balistreams.eval.CsvTable;
import io.balistreams.eval.FeatureEncoding;
import io.balistreams.eval.PrequentialEvaluation;
import io.balistreams.eval.WindowTrace;
import io.balistreams.monitor.PrequentialLoss;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.OnlineLearner;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bali eval prequential}. */
@Command(name = "prequential", mixinStandardHelpOptions = true,
        description = "Test-then-train over the rows of a CSV file in file order, the way the service learns.")
public final class EvalPrequentialCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

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

    @Option(names = "--encoding", paramLabel = "FILE",
            description = "Apply this saved feature encoding (bali produce/eval --save-encoding) instead of fitting "
                    + "one; --max-levels is then ignored.")
    Path encodingFile;

    @Option(names = "--save-encoding", paramLabel = "FILE", description = "Write the feature encoding used to this file.")
    Path saveEncoding;

    @Option(names = "--hidden", split = ",", defaultValue = "8,8",
            description = "Hidden layer widths, comma-separated (default ${DEFAULT-VALUE}: on the development streams "
                    + "wider layers were slower and no more accurate, docs/results.md).")
    List<Integer> hidden;

    @Option(names = "--activation", defaultValue = "TANH", description = "RELU, TANH or IDENTITY (default ${DEFAULT-VALUE}).")
    Activation activation;

    @Option(names = "--batch", defaultValue = "32",
            description = "Mini-batch size B of a single model (--experts none); with a mixture, the monitor's "
                    + "reference batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--memory", defaultValue = "320",
            description = "Effective memory N_eff = B/(1-beta) in records of a single model (--experts none); with a "
                    + "mixture, the monitor's reference memory (default ${DEFAULT-VALUE}: the service's default, "
                    + "B = 32 with beta = 0.9).")
    double memory;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--experts", split = ",", paramLabel = "MEMORYxBATCH", defaultValue = "50x4,500x8,4000x32",
            description = "The memories of a Bayesian mixture of experts, each effective memory x batch size "
                    + "(docs/method.md section 11), or none for a single model at --memory and --batch "
                    + "(default ${DEFAULT-VALUE}).")
    List<String> experts;

    @Option(names = "--share", defaultValue = "0.01",
            description = "Fixed share alpha of the mixture's weights, in [0, 1) (default ${DEFAULT-VALUE}).")
    double share;

    /** Whether the service's monitor runs. */
    enum Monitor { ON, OFF }

    @Option(names = "--monitor", defaultValue = "ON",
            description = "ON: the service's monitor (ADWIN on the prequential loss, feature drift on the OOD flag "
                    + "rate, adaptive forgetting after a DRIFT alarm), as bali run does; OFF: a plain test-then-train "
                    + "loop at the configured beta, for comparisons (default ${DEFAULT-VALUE}).")
    Monitor monitor;

    @Option(names = "--loss", defaultValue = "ERROR",
            description = "The loss the drift detector watches: ERROR (0/1 error, or standardised squared residual) "
                    + "or NLL, as the service's bali.drift.loss (default ${DEFAULT-VALUE}).")
    PrequentialLoss loss;

    @Option(names = "--save-model", paramLabel = "FILE",
            description = "Write the model as it ends the stream to this file (a ModelSnapshot, as bali model export "
                    + "writes), for bali model import; with --save-encoding, bali produce --encoding sends it events "
                    + "with the same features.")
    Path saveModel;

    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Also write a self-contained HTML report (no network needed to open it): the run's settings "
                    + "and metrics, the windowed metrics over the stream with the monitor's WARNING and DRIFT alarms "
                    + "and the periods of faster forgetting, the predictive uncertainty over the stream, and a "
                    + "mixture's weights over the stream.")
    Path report;

    @Mixin
    OutputOptions output;

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
        final CsvTable table = encodingFile == null
                ? CsvTable.read(csv, target, new LinkedHashSet<>(drop), maxLevels)
                : CsvTable.read(csv, target, new LinkedHashSet<>(drop), FeatureEncoding.load(encodingFile));
        if (saveEncoding != null) {
            table.encoding().save(saveEncoding);
        }
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
        final LearnerSettings withMonitor = LearnerSettings.defaults().withDriftLoss(loss);
        final LearnerSettings settings = monitor == Monitor.ON ? withMonitor : withMonitor.withoutMonitor();
        final List<BaliMixture.Expert> memories = BaliMixture.Expert.parseAll(experts);
        final BaliMixture mixture = memories.isEmpty() ? null : new BaliMixture(config, memories, share);
        if (window < 1) {
            throw new IllegalArgumentException("--window must be >= 1, got " + window);
        }
        final WindowTrace trace = new WindowTrace(window);
        final double[] targets = classification ? Arrays.stream(table.labels()).asDoubleStream().toArray() : table.targets();
        final PrequentialEvaluation.Result r = ProgressBar.around(spec.commandLine().getErr(), output.progress(), "eval prequential",
                table.rows(), bar -> PrequentialEvaluation.run(mixture != null
                        ? OnlineLearner.create("prequential", mixture, List.of(), settings.withMetricsWindow(window))
                        : OnlineLearner.create("prequential", config, List.of(), settings.withMetricsWindow(window)),
                        table.features(), targets, bar, trace));
        if (saveModel != null) {
            final ModelSnapshot snapshot = r.learner().snapshot();
            if (classification) {
                snapshot.setClassNames(new java.util.ArrayList<>(table.classNames()));
            }
            try {
                io.balistreams.bali.ModelFiles.write(saveModel, snapshot);
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot write " + saveModel + ": " + e.getMessage(), e);
            }
            spec.commandLine().getErr().printf(Locale.ROOT, "saved the model at version %d to %s (bali model import "
                    + "--file %s starts a model of the service from it)%n", snapshot.getModelVersion(), saveModel, saveModel);
        }
        if (output.json) {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("n", r.records());
            out.put("records_per_second", r.recordsPerSecond());
            out.put("monitor", monitor == Monitor.ON);
            out.put("drift_alarms", r.driftAlarms());
            if (mixture != null) {
                out.put("experts", mixture.experts().stream().map(Object::toString).toList());
                out.put("share", share);
                out.put("final_weights", toList(mixture.weights()));
                out.put("mean_weights", toList(trace.meanWeights()));
            }
            out.put("metrics", r.cumulative());
            out.put("windows", r.windows());
            spec.commandLine().getOut().println(Json.write(out));
        } else {
            final PrintWriter o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "%s: %,d records, %d features, target %s (%s)%n", csv.getFileName(), r.records(), d,
                    target, classification ? table.classNames().size() + " classes" : "regression");
            if (mixture != null) {
                o.printf(Locale.ROOT, "mixture %s%n", mixture.describe());
                o.printf(Locale.ROOT, "  %s%n", describeWeights(mixture, trace.meanWeights()));
            } else {
                o.printf(Locale.ROOT, "model %s%n", config.describe());
            }
            o.printf(Locale.ROOT, "monitor %s%n", monitor == Monitor.ON
                    ? "on (" + loss.name().toLowerCase(Locale.ROOT) + " loss): " + r.driftAlarms()
                    + " DRIFT alarms, each followed by faster forgetting" : "off");
            o.printf(Locale.ROOT, "%,.0f records/s; rejected updates %d%n", r.recordsPerSecond(), r.rejectedUpdates());
            o.println("cumulative: " + EvalCommand.format(r.cumulative()));
            for (final Map<String, Double> w : r.windows()) {
                o.println("  window " + EvalCommand.format(w));
            }
        }
        spec.commandLine().getOut().flush();
        if (report != null) {
            final Map<String, Object> run = new LinkedHashMap<>();
            run.put("data", csv.getFileName() + " (" + table.rows() + " records, " + d + " features, target " + target
                    + ", " + (classification ? table.classNames().size() + " classes" : "regression") + ")");
            run.put(mixture != null ? "mixture" : "model", mixture != null ? mixture.describe() : config.describe());
            run.put("monitor", monitor == Monitor.ON ? "on, " + loss.name().toLowerCase(Locale.ROOT) + " loss" : "off");
            run.put("window (records)", window);
            run.put("seed", seed);
            run.put("records per second", r.recordsPerSecond());
            run.put("rejected updates", r.rejectedUpdates());
            final int forgettingRecords = settings.monitor().adaptiveForgetting()
                    ? settings.monitor().recoveryUpdates() * batch : 0;
            EvalReports.write(EvalReports.prequential("bali eval prequential: " + csv.getFileName(), run, r, trace,
                    mixture, classification, forgettingRecords), report, spec.commandLine().getErr());
        }
        return 0;
    }

    private static List<Double> toList(final double[] values) {
        return Arrays.stream(values).boxed().toList();
    }

    private static String describeWeights(final BaliMixture mixture, final double[] mean) {
        final StringBuilder b = new StringBuilder();
        for (int k = 0; k < mean.length; k++) {
            b.append(k == 0 ? "" : ", ").append(mixture.experts().get(k)).append(String.format(Locale.ROOT,
                    " mean weight %.2f (final %.2f)", mean[k], mixture.weights()[k]));
        }
        return b.toString();
    }
}
