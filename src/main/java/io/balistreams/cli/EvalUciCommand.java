package io.balistreams.cli;

import io.balistreams.bali.Activation;
import io.balistreams.eval.UciDataset;
import io.balistreams.eval.UciProtocol;
import io.balistreams.metrics.Metrics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bali eval uci}. */
@Command(name = "uci", mixinStandardHelpOptions = true,
        description = "The UCI Bayesian-NN regression protocol on a folder in the benchmark layout "
                + "(data.txt, index_*.txt); test RMSE and log-likelihood per split, mean ± s.e.")
public final class EvalUciCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dir", required = true, description = "Data set folder (e.g. ../shared/datasets/uci/concrete).")
    Path dir;

    @Option(names = "--splits", description = "Evaluate the first K splits (default: all).")
    Integer splits;

    @Mixin
    OutputOptions output;

    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Also write a self-contained HTML report (no network needed to open it): RMSE and "
                    + "log-likelihood per split against the published anchor, and the calibration of the predictive "
                    + "intervals (observed against nominal coverage).")
    Path report;

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

    @Option(names = "--out-of-fold-records", paramLabel = "N", description = "The folds are trained one after "
            + "the other until their held-out records number at least N; all of them on smaller sets "
            + "(default ${DEFAULT-VALUE}).", defaultValue = "" + UciProtocol.Settings.DEFAULT_OUT_OF_FOLD_RECORDS)
    int outOfFoldRecords;

    @Option(names = "--seed", description = "Seed (default ${DEFAULT-VALUE}).", defaultValue = "1")
    long seed;

    @Option(names = "--full-grid", negatable = false,
            description = "Train every candidate number of epochs; by default the search stops at the first "
                    + "candidate whose out-of-fold likelihood does not improve on the best so far.")
    boolean fullGrid;

    @Option(names = "--threads", paramLabel = "N",
            description = "Splits run at once; the results are the same for any N (default: the machine's cores).")
    Integer threads;

    private int threadCount() {
        final int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + n);
        }
        return n;
    }

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
                d.beta(), d.kappa(), d.priorPrecision(), ensemble, folds, !noRefit, separateScales, seed, !fullGrid,
                outOfFoldRecords);
        final UciProtocol.Result r = ProgressBar.around(spec.commandLine().getErr(), output.progress(), "eval uci " + data.name(), k,
                bar -> UciProtocol.run(data, k, settings, threadCount(), s -> bar.accept(s + 1)));
        final double[] rmse = r.rmse();
        final double[] ll = r.logLikelihood();
        if (output.json) {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("dataset", data.name());
            out.put("splits", k);
            out.put("rmse", meanSe(rmse));
            out.put("ll", meanSe(ll));
            out.put("train_seconds", r.trainSeconds());
            out.put("wall_seconds", r.wallSeconds());
            out.put("threads", r.threads());
            final Map<String, Double> coverage = new LinkedHashMap<>();
            final double[] observed = EvalReports.pooledCoverage(r);
            for (int l = 0; l < observed.length; l++) {
                coverage.put(String.valueOf(EvalReports.COVERAGE_LEVELS[l]), observed[l]);
            }
            out.put("coverage", coverage);
            spec.commandLine().getOut().println(Json.write(out));
        } else {
            final PrintWriter o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "%s: %d records, %d features; %d splits; %s%n", data.name(), data.rows(),
                    data.numFeatures(), k, settings);
            o.printf(Locale.ROOT, "%5s %10s %10s %7s %8s %8s %8s%n", "split", "rmse", "test_ll", "epochs", "rho", "rho_epi", "train_s");
            for (final UciProtocol.SplitResult s : r.splits()) {
                o.printf(Locale.ROOT, "%5d %10.4f %10.4f %7d %8.3f %8.3f %8.2f%n", s.split(), s.rmse(), s.logLikelihood(),
                        s.epochs(), s.noiseScale(), s.epistemicScale(), s.trainSeconds());
            }
            o.printf(Locale.ROOT, "RMSE %.3f ± %.3f   test log-likelihood %.3f ± %.3f   (mean ± s.e.; train %.1f s, "
                            + "wall %.1f s on %d thread%s)%n",
                    Metrics.mean(rmse), Metrics.standardError(rmse), Metrics.mean(ll), Metrics.standardError(ll),
                    r.trainSeconds(), r.wallSeconds(), r.threads(), r.threads() == 1 ? "" : "s");
        }
        spec.commandLine().getOut().flush();
        if (report != null) {
            final Map<String, Object> run = new LinkedHashMap<>();
            run.put("data set", data.name() + " (" + data.rows() + " records, " + data.numFeatures() + " features)");
            run.put("splits", k);
            run.put("settings", settings.toString());
            run.put("train seconds (sum over splits)", r.trainSeconds());
            run.put("wall seconds", r.wallSeconds());
            EvalReports.write(EvalReports.uci("bali eval uci: " + data.name(), run, r), report, spec.commandLine().getErr());
        }
        return 0;
    }

    private static Map<String, Double> meanSe(final double[] values) {
        final Map<String, Double> m = new LinkedHashMap<>();
        m.put("mean", Metrics.mean(values));
        m.put("se", Metrics.standardError(values));
        return m;
    }
}
