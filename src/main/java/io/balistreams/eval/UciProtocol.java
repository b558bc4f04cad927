package io.balistreams.eval;

import io.balistreams.metrics.Metrics;
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
 * Ghahramani 2016) with BALI, following the recipe of docs/method.md §10. For each split:
 * <ol>
 *   <li>standardise inputs and target with the training part's mean and standard deviation;</li>
 *   <li>split the training part into {@code folds} folds (default 5); for each fold, train an ensemble
 *       of {@code ensembleSize} BALI networks (different seeds) on the other folds, offline (N = their
 *       size), and predict the fold's records at each candidate number of epochs (default 20, 40, 80, 160),
 *       each network after an evidence refit of its last layer on its training records (§10,
 *       {@link BaliModel#refitLastLayer}, on a copy so that training continues undisturbed);</li>
 *   <li>pool these out-of-fold predictions, one per training record, and at each candidate number of
 *       epochs choose the variance calibration that maximises their mean log-likelihood under the
 *       ensemble's mixture predictive (1/E) Σ_e N(μ_e, ρ_noise σ²_e + ρ_epistemic v_e), where σ²_e is a
 *       member's noise variance and v_e its epistemic (last-layer) variance: two factors by default, or
 *       one common ρ for their sum (§10 item 1: the noise learned from training residuals is
 *       overconfident on small data sets). Scaling the two apart lets the calibration lean on the part
 *       that tracks the error: on Boston and Concrete the epistemic variance, which grows with the
 *       leverage of an input, carries most of it. Keep the epochs and scales with the best value. On a small
 *       set every training record takes part in the choice, which a single 80/20 hold-out (91 records on
 *       Boston) makes noisy (§10: "too few records to choose reliably"); on a large one the folds are trained
 *       only until their held-out records number {@link Settings#outOfFoldRecords()} (one fold of 1,800 on a
 *       set of 9,000 training records), which chooses as reliably at a fifth of the cost. The candidates are visited in increasing
 *       order, every fold's ensemble trained on from one to the next; with {@code stopEarly} (the default) the
 *       search stops at the first candidate whose likelihood does not improve on the best so far, so the
 *       larger numbers of epochs are trained only while they help;</li>
 *   <li>retrain the ensemble on the whole training part for the chosen epochs, refit, scale its
 *       variances by the chosen factors, and score the test part: RMSE of the mixture mean and the mean
 *       log-likelihood log((1/E) Σ_e N(y; μ_e, ρ_noise σ²_e + ρ_epistemic v_e)), both in the target's
 *       original units.</li>
 * </ol>
 * The test part is used for nothing but the final scores.
 */
public final class UciProtocol {

    /**
     * Everything the protocol can vary; {@link #defaults()} are the values behind the figures in
     * docs/results.md, the same for every data set.
     */
    public record Settings(int hidden, Activation activation, List<Integer> epochs, int batchSize, double beta,
                           double kappa, double priorPrecision, int ensembleSize, int folds,
                           boolean evidenceRefit, boolean separateScales, long seed, boolean stopEarly,
                           int outOfFoldRecords) {
        /** Candidate numbers of epochs: 20, 40, 80 and 160 (docs/method.md §10: small sets over-fit after 20–40, larger ones still improve at 80; Concrete chooses 160 on 18 of 20 splits). */
        public static final List<Integer> EPOCH_CANDIDATES = List.of(20, 40, 80, 160);

        /**
         * Out-of-fold predictions enough to choose the epochs and the two variance factors: the folds are trained
         * one after the other until their held-out records number at least this many. Boston (91 records per
         * fold) and Concrete (185) train all five folds; a set of 9,000 training records trains one fold of 1,800
         * (docs/method.md §10).
         */
        public static final int DEFAULT_OUT_OF_FOLD_RECORDS = 1000;

        public static Settings defaults() {
            return new Settings(50, Activation.RELU, EPOCH_CANDIDATES, 32, 0.9, 1.0, 1.0, 5, 5, true, true, 1L, true,
                    DEFAULT_OUT_OF_FOLD_RECORDS);
        }

        /** With {@link #DEFAULT_OUT_OF_FOLD_RECORDS}. */
        public Settings(final int hidden, final Activation activation, final List<Integer> epochs, final int batchSize,
                        final double beta, final double kappa, final double priorPrecision, final int ensembleSize,
                        final int folds, final boolean evidenceRefit, final boolean separateScales, final long seed,
                        final boolean stopEarly) {
            this(hidden, activation, epochs, batchSize, beta, kappa, priorPrecision, ensembleSize, folds, evidenceRefit,
                    separateScales, seed, stopEarly, DEFAULT_OUT_OF_FOLD_RECORDS);
        }

        /** With early stopping on the out-of-fold likelihood ({@code stopEarly}). */
        public Settings(final int hidden, final Activation activation, final List<Integer> epochs, final int batchSize,
                        final double beta, final double kappa, final double priorPrecision, final int ensembleSize,
                        final int folds, final boolean evidenceRefit, final boolean separateScales, final long seed) {
            this(hidden, activation, epochs, batchSize, beta, kappa, priorPrecision, ensembleSize, folds, evidenceRefit,
                    separateScales, seed, true);
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
            if (folds < 2) {
                throw new IllegalArgumentException("need at least 2 folds, got " + folds);
            }
            if (outOfFoldRecords < 1) {
                throw new IllegalArgumentException("out-of-fold records must be >= 1, got " + outOfFoldRecords);
            }
        }
    }

    /**
     * Scores of one split, with the epochs and variance scale chosen on its training part, and the probability
     * integral transform of each test target, F(y) under its predictive mixture (uniform on [0, 1] if the
     * predictive distributions are calibrated; a central interval of level p covers y iff |F(y) − ½| ≤ p/2).
     */
    public record SplitResult(int split, double rmse, double logLikelihood, int epochs, double noiseScale,
                              double epistemicScale, double trainSeconds, double[] pit) {
        /** The fraction of this split's test targets inside the central interval of level {@code p}. */
        public double coverage(final double p) {
            long inside = 0;
            for (final double u : pit) {
                if (Math.abs(u - 0.5) <= p / 2) {
                    inside++;
                }
            }
            return inside / (double) pit.length;
        }
    }

    /**
     * Scores of all splits evaluated.
     *
     * @param wallSeconds wall time of the whole run (splits run {@code threads} at a time)
     */
    public record Result(String dataset, List<SplitResult> splits, double wallSeconds, int threads) {
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

    /** Candidate scales of the noise variance when it is scaled apart: 0, then 2^-8 … 2^6 in steps of 2^(1/4). */
    private static final double[] NOISE_GRID = geometricGridWithZero(-8, 6, 4);
    /** Candidate scales of the epistemic variance when it is scaled apart: 0, then 2^-4 … 2^12 in steps of 2^(1/4). */
    private static final double[] EPISTEMIC_GRID = geometricGridWithZero(-4, 12, 4);

    static {
        for (int i = 0; i < SCALE_GRID.length; i++) {
            SCALE_GRID[i] = Math.pow(2, -3 + 9.0 * i / (SCALE_GRID.length - 1));
        }
    }

    private UciProtocol() {
    }

    /**
     * Runs the first {@code splits} splits, one after the other.
     *
     * @param splitDone called after each split with its index (may be null)
     */
    public static Result run(final UciDataset data, final int splits, final Settings settings, final IntConsumer splitDone) {
        return run(data, splits, settings, 1, splitDone);
    }

    /**
     * Runs the first {@code splits} splits on {@code threads} threads at once. A split depends only on its index
     * (its folds, shuffles and seeds come from streams of the split), so the results are the same for any number
     * of threads; only {@link SplitResult#trainSeconds()} (wall time of that split) differs.
     *
     * @param splitDone called with the number of splits finished minus one, each time one finishes (may be null;
     *                  calls never overlap)
     */
    public static Result run(final UciDataset data, final int splits, final Settings settings, final int threads,
                             final IntConsumer splitDone) {
        settings.validate();
        if (splits < 1 || splits > data.numSplits()) {
            throw new IllegalArgumentException("splits must be in [1, " + data.numSplits() + "], got " + splits);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        final long start = System.nanoTime();
        final SplitResult[] results = new SplitResult[splits];
        if (threads == 1) {
            for (int s = 0; s < splits; s++) {
                results[s] = runSplit(data, s, settings);
                if (splitDone != null) {
                    splitDone.accept(s);
                }
            }
        } else {
            final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                    Math.min(threads, splits));
            try {
                final List<java.util.concurrent.Future<SplitResult>> futures = new ArrayList<>();
                final int[] finished = {0};
                for (int s = 0; s < splits; s++) {
                    final int split = s;
                    futures.add(pool.submit(() -> {
                        final SplitResult r = runSplit(data, split, settings);
                        if (splitDone != null) {
                            synchronized (finished) {
                                splitDone.accept(finished[0]++);
                            }
                        }
                        return r;
                    }));
                }
                for (int s = 0; s < splits; s++) {
                    results[s] = futures.get(s).get();
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the splits ran", e);
            } catch (final java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException("a split failed: " + e.getCause(), e.getCause());
            } finally {
                pool.shutdownNow();
            }
        }
        return new Result(data.name(), List.of(results), (System.nanoTime() - start) / 1e9, threads);
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
        // 2–3. K-fold cross-validation on the training part: choose the epochs and ρ on the pooled
        // out-of-fold predictions of every training record. Every fold's ensemble is trained on from one candidate
        // number of epochs to the next (its shuffles from its own stream); after each candidate the pooled
        // out-of-fold likelihood is scored, and with stopEarly the search ends at the first candidate that does
        // not improve on the best so far.
        final Rng rng = new Rng(settings.seed() * 7919 + split);
        final int[] fold = foldAssignment(train.length, settings.folds(), rng);
        final int folds = foldsToTrain(fold, settings.folds(), settings.outOfFoldRecords());
        final int[][] heldRows = new int[folds][];
        final double[][][] fitX = new double[folds][][];
        final double[][] fitY = new double[folds][];
        final double[][][] heldX = new double[folds][][];
        final BaliModel[][] inner = new BaliModel[folds][];
        final Rng[] shuffles = new Rng[folds];
        for (int k = 0; k < folds; k++) {
            final int[] fitRows = rowsWhere(fold, k, false);
            heldRows[k] = rowsWhere(fold, k, true);
            fitX[k] = select(xs, fitRows);
            fitY[k] = select(ys, fitRows);
            heldX[k] = select(xs, heldRows[k]);
            inner[k] = newEnsemble(d, fitRows.length, settings, split * 31 + k + 1);
            shuffles[k] = Rng.forStream(settings.seed() * 7919 + split, k);
        }
        // The pooled out-of-fold predictions, fold 0's held-out records first, then fold 1's, …
        int pooled = 0;
        final int[] firstPooled = new int[folds];
        for (int k = 0; k < folds; k++) {
            firstPooled[k] = pooled;
            pooled += heldRows[k].length;
        }
        final double[] pooledTargets = new double[pooled];
        for (int k = 0; k < folds; k++) {
            for (int i = 0; i < heldRows[k].length; i++) {
                pooledTargets[firstPooled[k] + i] = ys[heldRows[k][i]];
            }
        }
        final double[][] outOfFoldMeans = new double[pooled][];
        final double[][] outOfFoldNoise = new double[pooled][];
        final double[][] outOfFoldEpistemic = new double[pooled][];
        int bestEpochs = settings.epochs().get(0);
        double[] rho = {1.0, 1.0};
        double bestLogLik = Double.NEGATIVE_INFINITY;
        int trained = 0;
        for (final int epochs : settings.epochs()) {
            for (int k = 0; k < folds; k++) {
                train(inner[k], fitX[k], fitY[k], epochs - trained, settings.batchSize(), shuffles[k]);
                final double[][][] held = heldOutPredictions(inner[k], fitX[k], fitY[k], heldX[k],
                        settings.evidenceRefit());
                System.arraycopy(held[0], 0, outOfFoldMeans, firstPooled[k], heldRows[k].length);
                System.arraycopy(held[1], 0, outOfFoldNoise, firstPooled[k], heldRows[k].length);
                System.arraycopy(held[2], 0, outOfFoldEpistemic, firstPooled[k], heldRows[k].length);
            }
            trained = epochs;
            final double[] scales = bestVarianceScales(outOfFoldMeans, outOfFoldNoise, outOfFoldEpistemic,
                    pooledTargets, settings.separateScales());
            final double logLik = mixtureLogLikelihood(outOfFoldMeans, outOfFoldNoise, outOfFoldEpistemic,
                    pooledTargets, scales[0], scales[1]);
            if (logLik > bestLogLik) {
                bestLogLik = logLik;
                rho = scales;
                bestEpochs = epochs;
            } else if (settings.stopEarly()) {
                break;
            }
        }

        // 4. Retrain on the whole training part and score the test part in original units.
        final BaliModel[] members = newEnsemble(d, train.length, settings, split * 31);
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
        final double[] pit = new double[test.length];
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
                vars[e] = (rho[0] * p.aleatoricVariance() + rho[1] * p.epistemicVariance()) * yScale * yScale;
                mixtureMean += means[e] / members.length;
            }
            predicted[i] = mixtureMean;
            actual[i] = y[test[i]];
            logLik[i] = Metrics.gaussianMixtureLogLikelihood(actual[i], means, vars, weights);
            pit[i] = new io.balistreams.bali.GaussianMixture(weights.clone(), means.clone(), vars.clone()).cdf(actual[i]);
        }
        return new SplitResult(split, Metrics.rmse(predicted, actual), Metrics.mean(logLik), bestEpochs, rho[0], rho[1],
                trainSeconds, pit);
    }

    private static BaliModel[] newEnsemble(final int inputs, final int records, final Settings s, final int stream) {
        final BaliModel[] models = new BaliModel[s.ensembleSize()];
        for (int e = 0; e < models.length; e++) {
            models[e] = new BaliModel(BaliConfig.regression(inputs, s.hidden(), 1).activation(s.activation())
                    .batchSize(s.batchSize()).beta(s.beta()).hiddenKappa(s.kappa()).priorPrecision(s.priorPrecision())
                    .dataScale(records).standardizeInputs(false).standardizeTargets(false)
                    .seed(s.seed() * 1_000_003L + stream * 101L + e).build());
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
     * The ensemble's predictive means and variances on the held-out inputs, as it is now (each member
     * evidence-refitted on the fitting records if asked, on a copy so that training can continue
     * undisturbed): {means[i][e], noise variances[i][e], epistemic variances[i][e]} in standardised units.
     */
    private static double[][][] heldOutPredictions(final BaliModel[] models, final double[][] fitX,
                                                   final double[] fitY, final double[][] heldX, final boolean refit) {
        final int held = heldX.length;
        final double[][] means = new double[held][models.length];
        final double[][] noise = new double[held][models.length];
        final double[][] epistemic = new double[held][models.length];
        for (int e = 0; e < models.length; e++) {
            final BaliModel model = refit ? ModelStateCodec.decode(ModelStateCodec.encode(models[e])) : models[e];
            if (refit) {
                model.refitLastLayer(fitX, fitY);
            }
            for (int i = 0; i < held; i++) {
                final RegressionPrediction p = model.predict(heldX[i]);
                means[i][e] = p.mean();
                noise[i][e] = p.aleatoricVariance();
                epistemic[i][e] = p.epistemicVariance();
            }
        }
        return new double[][][]{means, noise, epistemic};
    }

    /**
     * Assigns each of {@code n} records to one of {@code folds} folds of sizes differing by at most one,
     * in a random order: fold[i] ∈ [0, folds).
     */
    static int[] foldAssignment(final int n, final int folds, final Rng rng) {
        if (folds < 2 || folds > n) {
            throw new IllegalArgumentException("need 2 <= folds <= records, got " + folds + " folds for " + n + " records");
        }
        final int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        shuffle(order, rng);
        final int[] fold = new int[n];
        for (int i = 0; i < n; i++) {
            fold[order[i]] = i % folds;
        }
        return fold;
    }

    /**
     * How many of the {@code folds} folds the cross-validation trains: the fewest first folds whose records
     * number at least {@code outOfFoldRecords}, or all of them when the records are fewer.
     */
    static int foldsToTrain(final int[] fold, final int folds, final int outOfFoldRecords) {
        final int[] sizes = new int[folds];
        for (final int f : fold) {
            sizes[f]++;
        }
        int held = 0;
        for (int k = 0; k < folds; k++) {
            held += sizes[k];
            if (held >= outOfFoldRecords) {
                return k + 1;
            }
        }
        return folds;
    }

    /** The indices i with fold[i] == k (inside) or fold[i] != k (outside), in increasing order. */
    private static int[] rowsWhere(final int[] fold, final int k, final boolean inside) {
        return java.util.stream.IntStream.range(0, fold.length).filter(i -> (fold[i] == k) == inside).toArray();
    }

    private static double[][] select(final double[][] rows, final int[] indices) {
        final double[][] out = new double[indices.length][];
        for (int i = 0; i < indices.length; i++) {
            out[i] = rows[indices[i]];
        }
        return out;
    }

    private static double[] select(final double[] values, final int[] indices) {
        final double[] out = new double[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = values[indices[i]];
        }
        return out;
    }

    /**
     * The mean log-likelihood of y under the mixtures (1/E) Σ_e N(μ_ie, ρ_noise·σ²_ie + ρ_epistemic·v_ie);
     * −∞ if any of these variances is not positive.
     */
    private static double mixtureLogLikelihood(final double[][] means, final double[][] noise,
                                               final double[][] epistemic, final double[] y, final double noiseScale,
                                               final double epistemicScale) {
        final int e = means[0].length;
        final double[] weights = new double[e];
        java.util.Arrays.fill(weights, 1.0 / e);
        final double[] scaled = new double[e];
        double ll = 0;
        for (int i = 0; i < y.length; i++) {
            for (int k = 0; k < e; k++) {
                scaled[k] = noiseScale * noise[i][k] + epistemicScale * epistemic[i][k];
                if (!(scaled[k] > 0)) {
                    return Double.NEGATIVE_INFINITY;
                }
            }
            ll += Metrics.gaussianMixtureLogLikelihood(y[i], means[i], scaled, weights);
        }
        return ll / y.length;
    }

    /**
     * The variance scales {ρ_noise, ρ_epistemic} with the highest mean log-likelihood of y under the
     * ensemble's mixture predictive: one common ρ from {@link #SCALE_GRID} for both parts, or, when
     * {@code separate}, the best pair of {@link #NOISE_GRID} × {@link #EPISTEMIC_GRID} (a pair with a zero
     * variance anywhere scores −∞ and is never chosen).
     */
    static double[] bestVarianceScales(final double[][] means, final double[][] noise, final double[][] epistemic,
                                       final double[] y, final boolean separate) {
        double best = Double.NEGATIVE_INFINITY;
        double[] bestScales = {1.0, 1.0};
        if (!separate) {
            for (final double rho : SCALE_GRID) {
                final double ll = mixtureLogLikelihood(means, noise, epistemic, y, rho, rho);
                if (ll > best) {
                    best = ll;
                    bestScales = new double[]{rho, rho};
                }
            }
            return bestScales;
        }
        for (final double rhoNoise : NOISE_GRID) {
            for (final double rhoEpistemic : EPISTEMIC_GRID) {
                final double ll = mixtureLogLikelihood(means, noise, epistemic, y, rhoNoise, rhoEpistemic);
                if (ll > best) {
                    best = ll;
                    bestScales = new double[]{rhoNoise, rhoEpistemic};
                }
            }
        }
        return bestScales;
    }

    /** {0, 2^from, 2^(from + 1/perOctave), …, 2^to}. */
    private static double[] geometricGridWithZero(final int from, final int to, final int perOctave) {
        final double[] grid = new double[(to - from) * perOctave + 2];
        for (int i = 1; i < grid.length; i++) {
            grid[i] = Math.pow(2, from + (i - 1) / (double) perOctave);
        }
        return grid;
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
