package io.balistreams.local;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.eval.ClassificationStream;
import io.balistreams.eval.DriftStreams;
import io.balistreams.eval.IdxReader;
import io.balistreams.eval.UciDataset;
import io.balistreams.metrics.ClassificationScorer;
import io.balistreams.metrics.RegressionScorer;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The cold-start report of docs/results.md ("Cold start"): how a new streaming model predicts over its first
 * 250, 500, 1,000 and 2,000 records, test-then-train with the service's monitor, for the service's model
 * defaults (64-64 ReLU, B = 32, β = 0.9, seed 42) and the single model that was {@code eval prequential}'s
 * default before the mixture over memories (32-32 tanh, N_eff 320; {@code --experts none --hidden 32,32}), beside
 * the trivial predictors: the running Gaussian of the targets seen so far (its mean for the RMSE), and
 * ln K for a classifier. Streams: y = Σx + N(0, 0.1²) over 8 standard-normal features, Boston housing and
 * Concrete in a seeded random order, Elec2 in file order, SEA and the rotating hyperplane (one concept), and
 * the first 4,000 Fashion-MNIST training images; and ({@code drift}) SEA with drifts at 10,000 and 20,000, the 250
 * and 1,000 records before and after each. It also prints metrics per window of 250 records and, for
 * regression, the learned noise sd of the last prediction in each window.
 *
 * <pre>java -cp target/bali-streams.jar io.balistreams.local.ColdStartReport [all|linear|uci|cls|fmnist|drift] [seed] [datasets dir]</pre>
 */

public final class ColdStartReport {
    private ColdStartReport() {
    }

    /** The spans 1..N reported cumulatively. */
    private static final int[] SPANS = {250, 500, 1000, 2000};
    /** Records per window of the per-window lines, and the most records read of any stream. */
    private static final int WINDOW = 250;
    private static final int MAX_RECORDS = 4000;

    private static final List<String> PARTS = List.of("all", "linear", "uci", "cls", "fmnist", "drift");
    private static final String USAGE = "usage: ColdStartReport [all|linear|uci|cls|fmnist|drift] [seed] [datasets dir]";

    public static void main(final String[] args) {
        final String which = args.length > 0 ? args[0] : "all";
        if (!PARTS.contains(which) || args.length > 3) {
            fail(USAGE);
        }
        long parsedSeed = 1;
        if (args.length > 1) {
            try {
                parsedSeed = Long.parseLong(args[1]);
            } catch (final NumberFormatException e) {
                fail("seed must be an integer, got '" + args[1] + "'\n" + USAGE);
            }
        }
        final long seed = parsedSeed;
        final Path datasets = Paths.get(args.length > 2 ? args[2] : "../shared/datasets");
        if (!which.equals("linear") && !which.equals("drift") && !Files.isDirectory(datasets)) {
            fail("datasets directory " + datasets.toAbsolutePath().normalize()
                    + " not found (pass it as the third argument; 'linear' needs none)\n" + USAGE);
        }
        if (which.equals("all") || which.equals("linear")) {
            final Random random = new Random(seed + 100);
            final double[][] x = new double[MAX_RECORDS][8];
            final double[] y = new double[MAX_RECORDS];
            for (int i = 0; i < MAX_RECORDS; i++) {
                for (int j = 0; j < 8; j++) {
                    x[i][j] = random.nextGaussian();
                    y[i] += x[i][j];
                }
                y[i] += 0.1 * random.nextGaussian();
            }
            regression("linear", x, y, seed);
        }
        if (which.equals("all") || which.equals("uci")) {
            for (final String name : new String[]{"bostonHousing", "concrete"}) {
                final UciDataset data = UciDataset.read(datasets.resolve("uci/" + name));
                final Integer[] order = new Integer[data.rows()];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                Collections.shuffle(Arrays.asList(order), new Random(seed));
                final double[][] x = new double[order.length][];
                final double[] y = new double[order.length];
                for (int i = 0; i < order.length; i++) {
                    x[i] = data.features()[order[i]];
                    y[i] = data.targets()[order[i]];
                }
                regression(name, x, y, seed);
            }
        }
        if (which.equals("all") || which.equals("cls")) {
            classification(DriftStreams.elec2(datasets.resolve("streams/elec2.csv")), seed);
            classification(DriftStreams.sea(seed, MAX_RECORDS, 1_000_000), seed);
            classification(DriftStreams.hyperplane(seed, MAX_RECORDS, 1_000_000), seed);
        }
        if (which.equals("all") || which.equals("fmnist")) {
            final double[][] images = IdxReader.readImages(datasets.resolve("fashion-mnist/train-images-idx3-ubyte.gz"), MAX_RECORDS);
            final int[] labels = IdxReader.readLabels(datasets.resolve("fashion-mnist/train-labels-idx1-ubyte.gz"), MAX_RECORDS);
            classification(new ClassificationStream("fmnist", images, labels, 10, null), seed);
        }
        if (which.equals("all") || which.equals("drift")) {
            afterDrifts(DriftStreams.sea(seed, 30_000, 10_000), seed);
        }
    }

    /**
     * The same figures around each drift point of a stream, where the monitor shortens the memory after its
     * alarms: the 250 and 1,000 records before and after each point.
     */
    private static void afterDrifts(final ClassificationStream stream, final long seed) {
        final int k = stream.classes();
        for (final String modelName : new String[]{"service", "eval"}) {
            final BaliConfig config = modelName.equals("service")
                    ? serviceModel(BaliConfig.classification(stream.dimension(), 64, 64, k))
                    : DriftStreams.tabularModel(stream.dimension(), k, 32, 320, seed);
            final OnlineLearner learner = learner(config);
            final java.util.Map<String, ClassificationScorer> spans = new java.util.LinkedHashMap<>();
            int alarms = 0;
            for (int i = 0; i < stream.events(); i++) {
                final ScoredEvent scored = learner.score(stream.features()[i], 0);
                final ClassificationPrediction p = scored.classification();
                final int y = stream.labels()[i];
                for (final long point : stream.driftPoints()) {
                    for (final int span : new int[]{250, 1000}) {
                        final String name = i < point ? "before " + point + " -" + span : "after " + point + " +" + span;
                        if (i >= point - span && i < point + span) {
                            spans.computeIfAbsent(name, x -> new ClassificationScorer(k))
                                    .add(p.probabilities(), p.predictedClass(), y);
                        }
                    }
                }
                learner.label(scored, y, 0);
                if (learner.batchDue()) {
                    alarms += learner.learn().alarms().size();
                }
            }
            System.out.printf("%s/%s around its drift points (%d alarms)%n", stream.name(), modelName, alarms);
            spans.forEach((name, s) -> System.out.printf("  %-18s acc %.3f nll %.3f ece %.3f%n", name, s.accuracy(),
                    s.negativeLogLikelihood(), s.expectedCalibrationError()));
        }
    }

    private static void fail(final String message) {
        System.err.println(message);
        System.exit(2);
    }

    /** The service's model defaults (bali.model.*): ReLU, B = 32, β = 0.9, seed 42. */
    private static BaliConfig serviceModel(final BaliConfig.Builder architecture) {
        return architecture.activation(Activation.RELU).batchSize(32).beta(0.9).seed(42).build();
    }

    private static OnlineLearner learner(final BaliConfig config) {
        return OnlineLearner.create("cold-start", config, List.of(), LearnerSettings.defaults().withMetricsWindow(WINDOW));
    }

    private static void regression(final String name, final double[][] x, final double[] y, final long seed) {
        final int d = x[0].length;
        final int n = Math.min(x.length, MAX_RECORDS);
        for (final String modelName : new String[]{"service", "eval"}) {
            final BaliConfig config = modelName.equals("service") ? serviceModel(BaliConfig.regression(d, 64, 64, 1))
                    : BaliConfig.regression(d, 32, 32, 1).activation(Activation.TANH).batchSize(32).effectiveMemory(320)
                    .seed(seed).build();
            final OnlineLearner learner = learner(config);
            final RegressionScorer[] model = new RegressionScorer[SPANS.length];
            final RegressionScorer[] runningGaussian = new RegressionScorer[SPANS.length];
            for (int k = 0; k < SPANS.length; k++) {
                model[k] = new RegressionScorer();
                runningGaussian[k] = new RegressionScorer();
            }
            RegressionScorer window = new RegressionScorer();
            final StringBuilder windowLines = new StringBuilder();
            double mean = 0;
            double squaredDeviations = 0;
            for (int i = 0; i < n; i++) {
                final ScoredEvent scored = learner.score(x[i], 0);
                final RegressionPrediction p = scored.regression();
                // the running Gaussian of the targets before this one; for the first two records, which have no
                // variance yet, N(mean, max(1, mean²))
                final double baselineVariance = i < 2 ? Math.max(1, mean * mean) : Math.max(squaredDeviations / (i - 1), 1e-9);
                for (int k = 0; k < SPANS.length; k++) {
                    if (i < SPANS[k]) {
                        model[k].add(p, y[i]);
                        runningGaussian[k].add(mean, baselineVariance, y[i]);
                    }
                }
                window.add(p, y[i]);
                final double deviation = y[i] - mean;
                mean += deviation / (i + 1);
                squaredDeviations += deviation * (y[i] - mean);
                learner.label(scored, y[i], 0);
                if (learner.batchDue()) {
                    learner.learn();
                }
                if (windowEnds(i, n)) {
                    windowLines.append(String.format("   win %4d: rmse %8.3f nll %7.3f cov %.3f sigma %.3f%n", i + 1,
                            window.rmse(), window.negativeLogLikelihood(), window.coverage95(),
                            Math.sqrt(p.aleatoricVariance())));
                    window = new RegressionScorer();
                }
            }
            System.out.printf("%s/%s (target sd %.3f)%n", name, modelName, Math.sqrt(squaredDeviations / (n - 1)));
            for (int k = 0; k < SPANS.length && SPANS[k] <= n; k++) {
                System.out.printf("  first %4d: rmse %8.3f (mean %6.3f)  nll %7.3f (prior %6.3f)  cov %.3f%n", SPANS[k],
                        model[k].rmse(), runningGaussian[k].rmse(), model[k].negativeLogLikelihood(),
                        runningGaussian[k].negativeLogLikelihood(), model[k].coverage95());
            }
            System.out.print(windowLines);
        }
    }

    private static void classification(final ClassificationStream stream, final long seed) {
        final int d = stream.dimension();
        final int k = stream.classes();
        final int n = Math.min(stream.events(), MAX_RECORDS);
        for (final String modelName : new String[]{"service", "eval"}) {
            final BaliConfig config;
            if (modelName.equals("service")) {
                config = serviceModel(BaliConfig.classification(d, 64, 64, k));
            } else {
                config = d == 784 ? DriftStreams.imageModel(d, k, 32, 320, seed) : DriftStreams.tabularModel(d, k, 32, 320, seed);
            }
            final OnlineLearner learner = learner(config);
            final ClassificationScorer[] model = new ClassificationScorer[SPANS.length];
            for (int j = 0; j < SPANS.length; j++) {
                model[j] = new ClassificationScorer(k);
            }
            ClassificationScorer window = new ClassificationScorer(k);
            final StringBuilder windowLines = new StringBuilder();
            final int[] y = stream.labels();
            for (int i = 0; i < n; i++) {
                final ScoredEvent scored = learner.score(stream.features()[i], 0);
                final ClassificationPrediction p = scored.classification();
                for (int j = 0; j < SPANS.length; j++) {
                    if (i < SPANS[j]) {
                        model[j].add(p.probabilities(), p.predictedClass(), y[i]);
                    }
                }
                window.add(p.probabilities(), p.predictedClass(), y[i]);
                learner.label(scored, y[i], 0);
                if (learner.batchDue()) {
                    learner.learn();
                }
                if (windowEnds(i, n)) {
                    windowLines.append(String.format("   win %4d: acc %.3f nll %.3f ece %.3f%n", i + 1, window.accuracy(),
                            window.negativeLogLikelihood(), window.expectedCalibrationError()));
                    window = new ClassificationScorer(k);
                }
            }
            System.out.printf("%s/%s (log K %.3f)%n", stream.name(), modelName, Math.log(k));
            for (int j = 0; j < SPANS.length; j++) {
                System.out.printf("  first %4d: acc %.3f nll %.3f ece %.3f%n", SPANS[j], model[j].accuracy(),
                        model[j].negativeLogLikelihood(), model[j].expectedCalibrationError());
            }
            System.out.print(windowLines);
        }
    }

    /** Whether record {@code i} closes a window that is printed: the first 2,000 records' and the last one. */
    private static boolean windowEnds(final int i, final int n) {
        return (i + 1) % WINDOW == 0 && (i + 1 <= 2000 || i + 1 == n);
    }
}
