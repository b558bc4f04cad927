package io.balistreams.cli;

import io.balistreams.eval.IdxReader;
import io.balistreams.eval.OodEvaluation;
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

/** {@code bali eval ood}. */
@Command(name = "ood", mixinStandardHelpOptions = true,
        description = "Train a classifier on IDX images, report test accuracy/NLL/ECE and the AUROC of each "
                + "uncertainty score for separating test inputs from out-of-distribution inputs.")
public final class EvalOodCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

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

    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Also write a self-contained HTML report (no network needed to open it): the metrics, "
                    + "histograms of each score for in- and out-of-distribution inputs (the leverage flag's threshold "
                    + "marked), the ROC curves with their AUROC, and the reliability diagram with the ECE.")
    Path report;

    @Mixin
    OutputOptions output;

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
        final OodEvaluation.Result r = ProgressBar.around(spec.commandLine().getErr(), output.progress(), "eval ood (epochs)",
                epochs * ensemble, bar -> OodEvaluation.run(trainX, trainY, testX, testY, oodX, settings, e -> bar.accept(e + 1)));
        if (output.json) {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("accuracy", r.accuracy());
            out.put("nll", r.nll());
            out.put("ece", r.ece());
            out.put("auroc", r.auroc());
            out.put("train_seconds", r.trainSeconds());
            out.put("leverage_threshold", r.leverageThreshold());
            out.put("flagged", r.flagged());
            spec.commandLine().getOut().println(Json.write(out));
        } else {
            final PrintWriter o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "trained on %,d images (%d epochs, %s) in %.1f s%n", trainX.length, epochs,
                    settings, r.trainSeconds());
            o.printf(Locale.ROOT, "test: accuracy %.4f  NLL %.4f  ECE %.4f  (%,d images)%n", r.accuracy(), r.nll(),
                    r.ece(), testX.length);
            o.printf(Locale.ROOT, "AUROC test vs OOD (%,d images): %s%n", oodX.length, EvalCommand.format(r.auroc()));
            o.printf(Locale.ROOT, "flagged by leverage > %.4g (99th percentile of the training leverages): "
                    + "test %.4f  OOD %.4f%n", r.leverageThreshold(), r.flagged().get("in_distribution"),
                    r.flagged().get("ood"));
        }
        spec.commandLine().getOut().flush();
        if (report != null) {
            final Map<String, Object> run = new LinkedHashMap<>();
            run.put("training images", train.get(0).getFileName() + " (" + trainX.length + ")");
            run.put("test images (in distribution)", test.get(0).getFileName() + " (" + testX.length + ")");
            run.put("out-of-distribution images", ood.getFileName() + " (" + oodX.length + ")");
            run.put("ensemble", settings.toString());
            run.put("epochs", epochs);
            run.put("training seconds", r.trainSeconds());
            final String title = "bali eval ood: " + test.get(0).getFileName() + " against " + ood.getFileName();
            EvalReports.write(EvalReports.ood(title, run, r), report, spec.commandLine().getErr());
        }
        return 0;
    }
}
