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
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The cold-start report of docs/results.md ("Cold start"): how a new streaming model predicts over its first
 * 250, 500, 1,000 and 2,000 records, test-then-train with the service's monitor, for the service's model
 * defaults (64-64 ReLU, B = 32, β = 0.9, seed 42) and {@code eval prequential}'s (32-32 tanh, N_eff 320), beside
 * the trivial predictors: the running Gaussian of the targets seen so far (its mean for the RMSE), and
 * ln K for a classifier. Streams: y = Σx + N(0, 0.1²) over 8 standard-normal features, Boston housing and
 * Concrete in a seeded random order, Elec2 in file order, SEA and the rotating hyperplane (one concept), and
 * the first 4,000 Fashion-MNIST training images. It also prints metrics per window of 250 records and, for
 * regression, the learned noise sd of the last prediction in each window.
 *
 * <pre>java -cp target/bali-streams.jar io.balistreams.local.ColdStartReport [all|linear|uci|cls|fmnist] [seed] [datasets dir]</pre>
 */

public final class ColdStartReport {
    private ColdStartReport() {
    }

    static final int[] MARKS = {250, 500, 1000, 2000};
    public static void main(String[] a) throws Exception {
        String which = a.length > 0 ? a[0] : "all";
        long seed = a.length > 1 ? Long.parseLong(a[1]) : 1;
        Path shared = Paths.get(a.length > 2 ? a[2] : "../shared/datasets");
        if (which.equals("all") || which.equals("linear")) {
            Random r = new Random(seed + 100);
            int n = 4000; double[][] x = new double[n][8]; double[] y = new double[n];
            for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < 8; j++) { x[i][j] = r.nextGaussian(); s += x[i][j]; } y[i] = s + 0.1 * r.nextGaussian(); }
            reg("linear", x, y, seed);
        }
        if (which.equals("all") || which.equals("uci")) {
            for (String d : new String[]{"bostonHousing", "concrete"}) {
                UciDataset u = UciDataset.read(shared.resolve("uci/" + d));
                double[][] x = u.features(); double[] y = u.targets();
                int n = x.length; Integer[] idx = new Integer[n]; for (int i = 0; i < n; i++) idx[i] = i;
                Collections.shuffle(Arrays.asList(idx), new Random(seed));
                double[][] xs = new double[n][]; double[] ys = new double[n];
                for (int i = 0; i < n; i++) { xs[i] = x[idx[i]]; ys[i] = y[idx[i]]; }
                reg(d, xs, ys, seed);
            }
        }
        if (which.equals("all") || which.equals("cls")) {
            cls(DriftStreams.elec2(shared.resolve("streams/elec2.csv")), seed);
            cls(DriftStreams.sea(seed, 4000, 1_000_000), seed);
            cls(DriftStreams.hyperplane(seed, 4000, 1_000_000), seed);
        }
        if (which.equals("all") || which.equals("fmnist")) {
            double[][] im = IdxReader.readImages(shared.resolve("fashion-mnist/train-images-idx3-ubyte.gz"), 4000);
            int[] lb = IdxReader.readLabels(shared.resolve("fashion-mnist/train-labels-idx1-ubyte.gz"), 4000);
            cls(new ClassificationStream("fmnist", im, lb, 10, null), seed);
        }
    }
    static BaliConfig.Builder service(BaliConfig.Builder b) { return b.activation(Activation.RELU).batchSize(32).beta(0.9); }
    static void reg(String name, double[][] x, double[] y, long seed) {
        int d = x[0].length;
        for (String cfgName : new String[]{"service", "eval"}) {
            BaliConfig cfg = cfgName.equals("service") ? service(BaliConfig.regression(d, 64, 64, 1)).seed(42).build()
                : BaliConfig.regression(d, 32, 32, 1).activation(Activation.TANH).batchSize(32).effectiveMemory(320).seed(seed).build();
            OnlineLearner learner = OnlineLearner.create("x", cfg, List.of(), LearnerSettings.defaults().withMetricsWindow(250));
            RegressionScorer[] cum = new RegressionScorer[MARKS.length];
            for (int i = 0; i < cum.length; i++) cum[i] = new RegressionScorer();
            RegressionScorer base[] = new RegressionScorer[MARKS.length];
            for (int i = 0; i < base.length; i++) base[i] = new RegressionScorer();
            RegressionScorer win = new RegressionScorer();
            double m = 0, s2 = 0; int cnt = 0;
            StringBuilder out = new StringBuilder();
            double lastSigma = Double.NaN;
            int n = Math.min(x.length, 4000);
            for (int i = 0; i < n; i++) {
                ScoredEvent e = learner.score(x[i], 0);
                RegressionPrediction p = e.regression();
                // baseline: running Gaussian of the target (prior predictive), var floor
                double bm = cnt == 0 ? 0 : m, bv = cnt < 2 ? Math.max(1, m * m) : Math.max(s2 / (cnt - 1), 1e-9);
                for (int k = 0; k < MARKS.length; k++) if (i < MARKS[k]) { cum[k].add(p.mean(), p.totalVariance(), y[i]); base[k].add(bm, bv, y[i]); }
                win.add(p.mean(), p.totalVariance(), y[i]);
                cnt++; double dl = y[i] - m; m += dl / cnt; s2 += dl * (y[i] - m);
                learner.label(e, y[i], 0);
                if (learner.batchDue()) learner.learn();
                if ((i + 1) % 250 == 0 && ((i + 1) <= 2000 || i + 1 == n)) {
                    double sd = Math.sqrt(p.aleatoricVariance());
                    out.append(String.format("   win %4d: rmse %8.3f nll %7.3f cov %.3f sigma %.3f%n", i + 1, win.rmse(), win.negativeLogLikelihood(), win.coverage95(), sd));
                    win = new RegressionScorer();
                }
            }
            System.out.printf("%s/%s (target sd %.3f)%n", name, cfgName, Math.sqrt(s2 / (cnt - 1)));
            for (int k = 0; k < MARKS.length; k++) if (MARKS[k] <= n)
                System.out.printf("  first %4d: rmse %8.3f (mean %6.3f)  nll %7.3f (prior %6.3f)  cov %.3f%n", MARKS[k], cum[k].rmse(), base[k].rmse(), cum[k].negativeLogLikelihood(), base[k].negativeLogLikelihood(), cum[k].coverage95());
            System.out.print(out);
        }
    }
    static void cls(ClassificationStream st, long seed) {
        int d = st.features()[0].length; int k = st.classes();
        boolean image = d == 784;
        for (String cfgName : new String[]{"service", "eval"}) {
            BaliConfig cfg;
            if (cfgName.equals("service")) cfg = service(BaliConfig.classification(d, 64, 64, k)).seed(42).build();
            else cfg = image ? DriftStreams.imageModel(d, k, 32, 320, seed) : DriftStreams.tabularModel(d, k, 32, 320, seed);
            OnlineLearner learner = OnlineLearner.create("x", cfg, List.of(), LearnerSettings.defaults().withMetricsWindow(250));
            ClassificationScorer[] cum = new ClassificationScorer[MARKS.length];
            for (int i = 0; i < cum.length; i++) cum[i] = new ClassificationScorer(k);
            ClassificationScorer win = new ClassificationScorer(k);
            StringBuilder out = new StringBuilder();
            int n = Math.min(st.features().length, 4000);
            double[][] x = st.features(); int[] y = st.labels();
            for (int i = 0; i < n; i++) {
                ScoredEvent e = learner.score(x[i], 0);
                ClassificationPrediction p = e.classification();
                for (int j = 0; j < MARKS.length; j++) if (i < MARKS[j]) cum[j].add(p.probabilities(), p.predictedClass(), y[i]);
                win.add(p.probabilities(), p.predictedClass(), y[i]);
                learner.label(e, y[i], 0);
                if (learner.batchDue()) learner.learn();
                if ((i + 1) % 250 == 0 && ((i + 1) <= 2000 || i + 1 == n)) {
                    out.append(String.format("   win %4d: acc %.3f nll %.3f ece %.3f%n", i + 1, win.accuracy(), win.negativeLogLikelihood(), win.expectedCalibrationError()));
                    win = new ClassificationScorer(k);
                }
            }
            System.out.printf("%s/%s (log K %.3f)%n", st.name(), cfgName, Math.log(k));
            for (int j = 0; j < MARKS.length; j++)
                System.out.printf("  first %4d: acc %.3f nll %.3f ece %.3f%n", MARKS[j], cum[j].accuracy(), cum[j].negativeLogLikelihood(), cum[j].expectedCalibrationError());
            System.out.print(out);
        }
    }
}
