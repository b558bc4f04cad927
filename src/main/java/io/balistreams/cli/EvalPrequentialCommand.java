package io.balistreams.cli;

import io.balistreams.bali.Activation;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliMixture;
import io.balistreams.eval.CsvTable;
import io.balistreams.eval.FeatureEncoding;
import io.balistreams.eval.PrequentialEvaluation;
import io.balistreams.monitor.PrequentialLoss;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;
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
        final MixtureWeights weights = mixture == null ? null : new MixtureWeights(mixture);
        final PrequentialEvaluation.Result r = ProgressBar.around(spec.commandLine().getErr(), output.progress(), "eval prequential",
                table.rows(), bar -> {
                    if (mixture != null) {
                        return PrequentialEvaluation.run(OnlineLearner.create("prequential", mixture, List.of(),
                                        settings.withMetricsWindow(window)), table.features(),
                                classification ? Arrays.stream(table.labels()).asDoubleStream().toArray() : table.targets(), bar, weights);
                    }
                    return classification
                            ? PrequentialEvaluation.classification(config, table.features(), table.labels(), window,
                                    settings, bar)
                            : PrequentialEvaluation.regression(config, table.features(), table.targets(), window,
                                    settings, bar);
                });
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
                out.put("mean_weights", toList(weights.mean()));
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
                o.printf(Locale.ROOT, "  %s%n", describeWeights(mixture, weights.mean()));
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

    /** Averages the mixture's weights over the records, as each record is scored (the weights that served it). */
    private static final class MixtureWeights implements PrequentialEvaluation.Observer {
        private final BaliMixture mixture;
        private final double[] sum;
        private long count;

        MixtureWeights(final BaliMixture mixture) {
            this.mixture = mixture;
            this.sum = new double[mixture.experts().size()];
        }

        @Override
        public void scored(final int index, final ScoredEvent event) {
            final double[] w = mixture.weights();
            for (int k = 0; k < w.length; k++) {
                sum[k] += w[k];
            }
            count++;
        }

        double[] mean() {
            final double[] m = sum.clone();
            for (int k = 0; k < m.length; k++) {
                m[k] /= Math.max(1, count);
            }
            return m;
        }
    }
}
