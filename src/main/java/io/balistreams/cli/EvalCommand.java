package io.balistreams.cli;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.eval.CsvTable;
import io.balistreams.eval.IdxReader;
import io.balistreams.eval.Metrics;
import io.balistreams.eval.OodEvaluation;
import io.balistreams.eval.PrequentialEvaluation;
import io.balistreams.eval.UciDataset;
import io.balistreams.eval.UciProtocol;
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
        description = "Evaluate BALI on real data: UCI regression protocol, prequential streams, out-of-distribution.",
        subcommands = {EvalCommand.Uci.class, EvalCommand.Prequential.class, EvalCommand.Ood.class})
public final class EvalCommand implements Runnable {
    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: uci, prequential or ood");
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

        @Option(names = "--epochs", split = ",", defaultValue = "20,40,80",
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

        @Option(names = "--seed", description = "Seed (default ${DEFAULT-VALUE}).", defaultValue = "1")
        long seed;

        @Override
        public Integer call() {
            final UciDataset data = UciDataset.read(dir);
            final int k = splits == null ? data.numSplits() : splits;
            final UciProtocol.Settings d = UciProtocol.Settings.defaults();
            final UciProtocol.Settings settings = new UciProtocol.Settings(hidden, activation, epochs, d.batchSize(),
                    d.beta(), d.kappa(), d.priorPrecision(), ensemble, d.validationFraction(), !noRefit, seed);
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
                o.printf(Locale.ROOT, "%5s %10s %10s %7s %8s %8s%n", "split", "rmse", "test_ll", "epochs", "rho", "train_s");
                for (final UciProtocol.SplitResult s : r.splits()) {
                    o.printf(Locale.ROOT, "%5d %10.4f %10.4f %7d %8.3f %8.2f%n", s.split(), s.rmse(), s.logLikelihood(),
                            s.epochs(), s.varianceScale(), s.trainSeconds());
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

        @Option(names = "--memory", defaultValue = "2000",
                description = "Effective memory N_eff = B/(1-beta) in records (default ${DEFAULT-VALUE}).")
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
                    d.beta(), kappa, standardize, seed);
            final OodEvaluation.Result r = ProgressBar.around("eval ood (epochs)", epochs,
                    bar -> OodEvaluation.run(trainX, trainY, testX, testY, oodX, settings, e -> bar.accept(e + 1)));
            if (output.json) {
                final Map<String, Object> out = new LinkedHashMap<>();
                out.put("accuracy", r.accuracy());
                out.put("nll", r.nll());
                out.put("ece", r.ece());
                out.put("auroc", r.auroc());
                out.put("train_seconds", r.trainSeconds());
                System.out.println(Json.write(out));
            } else {
                final PrintStream o = System.out;
                o.printf(Locale.ROOT, "trained on %,d images (%d epochs, %s) in %.1f s%n", trainX.length, epochs,
                        settings, r.trainSeconds());
                o.printf(Locale.ROOT, "test: accuracy %.4f  NLL %.4f  ECE %.4f  (%,d images)%n", r.accuracy(), r.nll(),
                        r.ece(), testX.length);
                o.printf(Locale.ROOT, "AUROC test vs OOD (%,d images): %s%n", oodX.length, format(r.auroc()));
            }
            return 0;
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
