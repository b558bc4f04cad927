package io.balistreams.eval;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The UCI Bayesian-neural-network regression protocol (Hernández-Lobato and Adams 2015; Gal and
 * Ghahramani 2016) with BALI, following the recipe of BALI.md §10. For each split:
 * <ol>
 *   <li>standardise inputs and target with the training part's mean and standard deviation;</li>
 *   <li>hold out a fraction of the training part (default 20%) and train an ensemble of
 *       {@code ensembleSize} BALI networks (different seeds) on the rest, offline (N = its size), each
 *       followed by an evidence refit of its last layer on the same records (§10,
 *       {@link BaliModel#refitLastLayer});</li>
 *   <li>at each candidate number of epochs (default 20, 40, 80), choose one variance scale ρ that
 *       maximises the held-out log-likelihood of the ensemble's mixture predictive (for one network
 *       this is ρ = mean r²/((1+h)σ²), §10 item 1) — the noise learned from training residuals is
 *       overconfident on small data sets — and keep the epochs and ρ with the best held-out value;</li>
 *   <li>retrain the ensemble on the whole training part for the chosen epochs, refit, scale its
 *       predictive variances by ρ, and
 *       score the test part: RMSE of the mixture mean and the mean log-likelihood of the mixture
 *       log((1/E) Σ_e N(y; μ_e, ρ v_e)), both in the target's original units.</li>
 * </ol>
 * The test part is used for nothing but the final scores.
 */
public final class UciProtocol {

    /**
     * Everything the protocol can vary; {@link #defaults()} are the values behind the figures in
     * docs/results.md, the same for every data set.
     */
    public record Settings(int hidden, Activation activation, List<Integer> epochs, int batchSize, double beta,
                           double kappa, double priorPrecision, int ensembleSize, double validationFraction,
                           boolean evidenceRefit, long seed) {
        /** Candidate numbers of epochs: 20, 40 and 80 (BALI.md §10: small sets over-fit after 20–40, larger ones improve to 80). */
        public static final List<Integer> EPOCH_CANDIDATES = List.of(20, 40, 80);

        public static Settings defaults() {
            return new Settings(50, Activation.RELU, EPOCH_CANDIDATES, 32, 0.9, 1.0, 1.0, 5, 0.2, true, 1L);
        }

        void validate() {
            if (hidden < 1 || batchSize < 1 || ensembleSize < 1) {
                throw new IllegalArgumentException("hidden, batch size and ensemble size must be >= 1");
            }
            if (epochs.isEmpty()) {
                throw new IllegalArgumentException("need at least one candidate number of epochs");
            }
            for (int i = 0; i < epochs.size(); i++) {
                if (epochs.get(i) < 1 || (i > 0 && epochs.get(i) <= epochs.get(i - 1))) {
                    throw new IllegalArgumentException("epoch candidates must be >= 1 and increasing, got " + epochs);
                }
            }
            if (!(validationFraction > 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + validationFraction);
            }
        }
    }

    /** Scores of one split, with the epochs and variance scale chosen on its training part. */
    public record SplitResult(int split, double rmse, double logLikelihood, int epochs, double varianceScale,
                              double trainSeconds) {
    }

    /** Scores of all splits evaluated. */
    public record Result(String dataset, List<SplitResult> splits) {
        public double[] rmse() {
            return splits.stream().mapToDouble(SplitResult::rmse).toArray();
        }

        public double[] logLikelihood() {
            return splits.stream().mapToDouble(SplitResult::logLikelihood).toArray();
        }

        public double trainSeconds() {
            return splits.stream().mapToDouble(SplitResult::trainSeconds).sum();
        }
    }

    /** Candidate variance scales ρ: a geometric grid from 1/8 to 64. */
    private static final double[] SCALE_GRID = new double[91];

    static {
        for (int i = 0; i < SCALE_GRID.length; i++) {
            SCALE_GRID[i] = Math.pow(2, -3 + 9.0 * i / (SCALE_GRID.length - 1));
        }
    }

    private UciProtocol() {
    }

    /**
     * Runs the first {@code splits} splits.
     *
     * @param splitDone called after each split with its index (may be null)
     */
    public static Result run(final UciDataset data, final int splits, final Settings settings, final IntConsumer splitDone) {
        settings.validate();
        if (splits < 1 || splits > data.numSplits()) {
            throw new IllegalArgumentException("splits must be in [1, " + data.numSplits() + "], got " + splits);
        }
        final List<SplitResult> results = new ArrayList<>();
        for (int s = 0; s < splits; s++) {
            results.add(runSplit(data, s, settings));
            if (splitDone != null) {
                splitDone.accept(s);
            }
        }
        return new Result(data.name(), List.copyOf(results));
    }

    static SplitResult runSplit(final UciDataset data, final int split, final Settings settings) {
        final int[] train = data.trainIndices(split);
        final int[] test = data.testIndices(split);
        final double[][] x = data.features();
        final double[] y = data.targets();
        final int d = data.numFeatures();

        // 1. Standardise on the training part only.
        final double[] xMean = new double[d];
        final double[] xScale = new double[d];
        for (int j = 0; j < d; j++) {
            final double[] column = new double[train.length];
            for (int i = 0; i < train.length; i++) {
                column[i] = x[train[i]][j];
            }
            xMean[j] = Metrics.mean(column);
            xScale[j] = scale(column, xMean[j]);
        }
        final double[] trainTargets = new double[train.length];
        for (int i = 0; i < train.length; i++) {
            trainTargets[i] = y[train[i]];
        }
        final double yMean = Metrics.mean(trainTargets);
        final double yScale = scale(trainTargets, yMean);
        final double[][] xs = new double[train.length][];
        final double[] ys = new double[train.length];
        for (int i = 0; i < train.length; i++) {
            xs[i] = standardise(x[train[i]], xMean, xScale);
            ys[i] = (y[train[i]] - yMean) / yScale;
        }

        final long start = System.nanoTime();
        // 2–3. Inner split of the training part; choose ρ on its held-out records.
        final Rng rng = new Rng(settings.seed() * 7919 + split);
        final int[] order = new int[train.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        shuffle(order, rng);
        final int held = Math.max(1, (int) Math.round(settings.validationFraction() * train.length));
        final int fit = train.length - held;
        final double[][] fitX = new double[fit][];
        final double[] fitY = new double[fit];
        for (int i = 0; i < fit; i++) {
            fitX[i] = xs[order[i]];
            fitY[i] = ys[order[i]];
        }
        final double[][] heldX = new double[held][];
        final double[] heldY = new double[held];
        for (int i = 0; i < held; i++) {
            heldX[i] = xs[order[fit + i]];
            heldY[i] = ys[order[fit + i]];
        }
        final BaliModel[] inner = newEnsemble(d, fit, settings, split);
        int bestEpochs = settings.epochs().get(0);
        double rho = 1.0;
        double bestLogLik = Double.NEGATIVE_INFINITY;
        int trained = 0;
        for (final int epochs : settings.epochs()) {
            train(inner, fitX, fitY, epochs - trained, settings.batchSize(), rng);
            trained = epochs;
            final double[] choice = heldOutChoice(inner, fitX, fitY, heldX, heldY, settings.evidenceRefit());
            if (choice[1] > bestLogLik) {
                bestLogLik = choice[1];
                rho = choice[0];
                bestEpochs = epochs;
            }
        }

        // 4. Retrain on the whole training part and score the test part in original units.
        final BaliModel[] members = newEnsemble(d, train.length, settings, split);
        train(members, xs, ys, bestEpochs, settings.batchSize(), rng);
        if (settings.evidenceRefit()) {
            for (final BaliModel m : members) {
                m.refitLastLayer(xs, ys);
            }
        }
        final double trainSeconds = (System.nanoTime() - start) / 1e9;
        final double[] predicted = new double[test.length];
        final double[] actual = new double[test.length];
        final double[] logLik = new double[test.length];
        final double[] means = new double[members.length];
        final double[] vars = new double[members.length];
        final double[] weights = new double[members.length];
        java.util.Arrays.fill(weights, 1.0 / members.length);
        for (int i = 0; i < test.length; i++) {
            final double[] xi = standardise(x[test[i]], xMean, xScale);
            double mixtureMean = 0;
            for (int e = 0; e < members.length; e++) {
                final RegressionPrediction p = members[e].predict(xi);
                means[e] = yMean + yScale * p.mean();
                vars[e] = rho * p.totalVariance() * yScale * yScale;
                mixtureMean += means[e] / members.length;
            }
            predicted[i] = mixtureMean;
            actual[i] = y[test[i]];
            logLik[i] = Metrics.gaussianMixtureLogLikelihood(actual[i], means, vars, weights);
        }
        return new SplitResult(split, Metrics.rmse(predicted, actual), Metrics.mean(logLik), bestEpochs, rho,
                trainSeconds);
    }

    private static BaliModel[] newEnsemble(final int inputs, final int records, final Settings s, final int split) {
        final BaliModel[] models = new BaliModel[s.ensembleSize()];
        for (int e = 0; e < models.length; e++) {
            models[e] = new BaliModel(BaliConfig.regression(inputs, s.hidden(), 1).activation(s.activation())
                    .batchSize(s.batchSize()).beta(s.beta()).hiddenKappa(s.kappa()).priorPrecision(s.priorPrecision())
                    .dataScale(records).standardizeInputs(false).standardizeTargets(false)
                    .seed(s.seed() * 1_000_003L + split * 101L + e).build());
        }
        return models;
    }

    /** {@code epochs} more shuffled passes of mini-batches over (x, y) for every model. */
    private static void train(final BaliModel[] models, final double[][] x, final double[] y, final int epochs,
                              final int batchSize, final Rng rng) {
        final int n = x.length;
        final int[] order = new int[n];
        for (final BaliModel model : models) {
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            for (int epoch = 0; epoch < epochs; epoch++) {
                shuffle(order, rng);
                for (int start = 0; start < n; start += batchSize) {
                    final int b = Math.min(batchSize, n - start);
                    final double[][] bx = new double[b][];
                    final double[] by = new double[b];
                    for (int i = 0; i < b; i++) {
                        bx[i] = x[order[start + i]];
                        by[i] = y[order[start + i]];
                    }
                    model.learn(bx, by);
                }
            }
        }
    }

    /**
     * The variance scale ρ that maximises the held-out mixture log-likelihood of the ensemble as it is
     * now (each member evidence-refitted on the fitting records if asked, on a copy so that training can
     * continue undisturbed), and that log-likelihood: {ρ, mean log-likelihood}.
     */
    private static double[] heldOutChoice(final BaliModel[] models, final double[][] fitX, final double[] fitY,
                                          final double[][] heldX, final double[] heldY, final boolean refit) {
        final int held = heldX.length;
        final double[][] means = new double[held][models.length];
        final double[][] vars = new double[held][models.length];
        for (int e = 0; e < models.length; e++) {
            final BaliModel model = refit ? ModelStateCodec.decode(ModelStateCodec.encode(models[e])) : models[e];
            if (refit) {
                model.refitLastLayer(fitX, fitY);
            }
            for (int i = 0; i < held; i++) {
                final RegressionPrediction p = model.predict(heldX[i]);
                means[i][e] = p.mean();
                vars[i][e] = p.totalVariance();
            }
        }
        final double rho = bestVarianceScale(means, vars, heldY);
        return new double[]{rho, mixtureLogLikelihood(means, vars, heldY, rho)};
    }

    private static double mixtureLogLikelihood(final double[][] means, final double[][] vars, final double[] y,
                                               final double rho) {
        final int e = means[0].length;
        final double[] weights = new double[e];
        java.util.Arrays.fill(weights, 1.0 / e);
        final double[] scaled = new double[e];
        double ll = 0;
        for (int i = 0; i < y.length; i++) {
            for (int k = 0; k < e; k++) {
                scaled[k] = rho * vars[i][k];
            }
            ll += Metrics.gaussianMixtureLogLikelihood(y[i], means[i], scaled, weights);
        }
        return ll / y.length;
    }

    /** The ρ of {@link #SCALE_GRID} with the highest mean held-out mixture log-likelihood. */
    static double bestVarianceScale(final double[][] means, final double[][] vars, final double[] y) {
        double best = Double.NEGATIVE_INFINITY;
        double bestScale = 1.0;
        for (final double rho : SCALE_GRID) {
            final double ll = mixtureLogLikelihood(means, vars, y, rho);
            if (ll > best) {
                best = ll;
                bestScale = rho;
            }
        }
        return bestScale;
    }

    private static double scale(final double[] values, final double mean) {
        double ss = 0;
        for (final double v : values) {
            ss += (v - mean) * (v - mean);
        }
        final double sd = Math.sqrt(ss / values.length);
        return sd > 1e-12 ? sd : 1.0;
    }

    private static double[] standardise(final double[] row, final double[] mean, final double[] scale) {
        final double[] out = new double[row.length];
        for (int j = 0; j < row.length; j++) {
            out[j] = (row[j] - mean[j]) / scale[j];
        }
        return out;
    }

    static void shuffle(final int[] order, final Rng rng) {
        for (int i = order.length - 1; i > 0; i--) {
            final int j = rng.nextInt(i + 1);
            final int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
}
