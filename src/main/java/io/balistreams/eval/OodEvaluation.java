package io.balistreams.eval;

import io.balistreams.metrics.ClassificationScorer;
import io.balistreams.metrics.Metrics;
import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.Rng;
import io.balistreams.monitor.DecayingQuantileSketch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Out-of-distribution check: train a BALI classifier offline on one data set (e.g. Fashion-MNIST),
 * report its test accuracy, NLL and ECE, then score its test inputs (in-distribution, negatives) and
 * inputs of another data set (e.g. MNIST digits, positives) with each uncertainty score — predictive
 * entropy, mutual information and last-layer leverage āᵀΛ⁻¹ā (docs/method.md §5) — and report the AUROC of
 * separating the two by that score (higher ⇒ out of distribution).
 *
 * <p>It also reports what the service's calibrated flag would do: the threshold is the 99th percentile of
 * the training records' leverages under the final model (a {@link DecayingQuantileSketch} of quantile 0.99
 * without forgetting, as the service's monitor keeps one with forgetting), and the flag rates are the
 * fractions of in-distribution test inputs and of out-of-distribution inputs whose leverage exceeds it.
 *
 * <p>With an ensemble of E networks (different seeds and orders, trained in parallel) the predictive is the
 * mixture p̄ = (1/E) Σ_e p̄_e; its entropy is H[p̄]; its mutual information is H[p̄] minus the members'
 * mean expected entropy (1/E) Σ_e (H[p̄_e] − MI_e), so it counts both each member's posterior and the
 * members' disagreement (docs/method.md §5, §10); the leverage is the members' mean.
 */
public final class OodEvaluation {

    /**
     * Architecture and training knobs; {@link #defaults()} produce the figures in docs/results.md.
     *
     * @param kappa            relative floor of the hidden layer's Σ⁻¹ (docs/method.md §4, γ = κ tr(Ḡ)/q)
     * @param standardizeInputs standardise each input online; off for pixel intensities already in
     *                          [0, 1], where near-constant border pixels would be blown up
     */
    public record Settings(int hidden, Activation activation, int epochs, int batchSize, double beta, double kappa,
                           boolean standardizeInputs, int ensembleSize, long seed) {
        public static Settings defaults() {
            return new Settings(128, Activation.RELU, 5, 128, 0.9, 300.0, false, 3, 1L);
        }
    }

    /**
     * @param accuracy test accuracy
     * @param nll      mean test negative log-likelihood (nats)
     * @param ece      expected calibration error, 15 bins
     * @param auroc    AUROC per score: "entropy", "mutual_information", "leverage"
     * @param trainSeconds training time
     * @param leverageThreshold 99th percentile of the training records' leverages under the final model
     * @param flagged  fraction of inputs whose leverage exceeds {@code leverageThreshold}: "in_distribution"
     *                 (the test set) and "ood"
     */
    public record Result(double accuracy, double nll, double ece, Map<String, Double> auroc, double trainSeconds,
                         double leverageThreshold, Map<String, Double> flagged, Scores scores) {
    }

    /**
     * What each scored input gave, for plots: the test set first, then the OOD set.
     *
     * @param scores            per score name ("entropy", "mutual_information", "leverage"): one value per input
     * @param outOfDistribution whether input i is from the OOD set
     * @param confidence        the largest predictive probability of each test input
     * @param correct           whether the predicted class of each test input was its label
     */
    public record Scores(Map<String, double[]> scores, boolean[] outOfDistribution, double[] confidence,
                         boolean[] correct) {
    }

    /** Quantile of the training leverages used as the flag threshold, as the service's default. */
    public static final double FLAG_QUANTILE = 0.99;

    private OodEvaluation() {
    }

    /**
     * @param epochDone called after each epoch of each member (E × epochs calls in all, from the training
     *                  threads; may be null)
     */
    public static Result run(final double[][] trainX, final int[] trainY, final double[][] testX, final int[] testY,
                             final double[][] oodX, final Settings s, final IntConsumer epochDone) {
        if (trainX.length == 0 || testX.length == 0 || oodX.length == 0) {
            throw new IllegalArgumentException("train, test and OOD sets must not be empty");
        }
        final int d = trainX[0].length;
        if (testX[0].length != d || oodX[0].length != d) {
            throw new IllegalArgumentException("input sizes differ: train " + d + ", test " + testX[0].length
                    + ", OOD " + oodX[0].length);
        }
        int classes = 0;
        for (final int y : trainY) {
            classes = Math.max(classes, y + 1);
        }
        final long start = System.nanoTime();
        final BaliModel[] members = trainEnsemble(trainX, trainY, classes, s, epochDone);
        final double trainSeconds = (System.nanoTime() - start) / 1e9;

        final ClassificationScorer scorer = new ClassificationScorer(classes);
        final int total = testX.length + oodX.length;
        final double[] entropy = new double[total];
        final double[] mutualInformation = new double[total];
        final double[] leverage = new double[total];
        final boolean[] outOfDistribution = new boolean[total];
        final double[] confidence = new double[testX.length];
        final boolean[] correct = new boolean[testX.length];
        for (int i = 0; i < total; i++) {
            final boolean ood = i >= testX.length;
            final ClassificationPrediction p = classify(members, ood ? oodX[i - testX.length] : testX[i]);
            if (!ood) {
                scorer.add(p.probabilities(), p.predictedClass(), testY[i]);
                confidence[i] = p.probabilities()[p.predictedClass()];
                correct[i] = p.predictedClass() == testY[i];
            }
            entropy[i] = p.entropy();
            mutualInformation[i] = p.mutualInformation();
            leverage[i] = p.leverage();
            outOfDistribution[i] = ood;
        }
        final Map<String, Double> auroc = new LinkedHashMap<>();
        auroc.put("entropy", Metrics.auroc(entropy, outOfDistribution));
        auroc.put("mutual_information", Metrics.auroc(mutualInformation, outOfDistribution));
        auroc.put("leverage", Metrics.auroc(leverage, outOfDistribution));

        // the calibrated flag: 99th percentile of the training records' leverages (final model)
        final DecayingQuantileSketch sketch = new DecayingQuantileSketch(FLAG_QUANTILE, 1.0);
        for (final double[] x : trainX) {
            sketch.add(classify(members, x).leverage());
        }
        final double threshold = sketch.quantile();
        long flaggedIn = 0;
        long flaggedOut = 0;
        for (int i = 0; i < total; i++) {
            if (leverage[i] > threshold) {
                if (outOfDistribution[i]) {
                    flaggedOut++;
                } else {
                    flaggedIn++;
                }
            }
        }
        final Map<String, Double> flagged = new LinkedHashMap<>();
        flagged.put("in_distribution", flaggedIn / (double) testX.length);
        flagged.put("ood", flaggedOut / (double) oodX.length);
        final Map<String, double[]> scores = new LinkedHashMap<>();
        scores.put("entropy", entropy);
        scores.put("mutual_information", mutualInformation);
        scores.put("leverage", leverage);
        return new Result(scorer.accuracy(), scorer.negativeLogLikelihood(), scorer.expectedCalibrationError(), auroc,
                trainSeconds, threshold, flagged, new Scores(scores, outOfDistribution, confidence, correct));
    }

    /**
     * Trains {@code s.ensembleSize()} networks, member e with seed {@code s.seed() + e} for its weights and
     * its order of the records, on up to as many threads as there are processors. Each member depends
     * only on its seed, so the result does not depend on the scheduling.
     */
    private static BaliModel[] trainEnsemble(final double[][] trainX, final int[] trainY, final int classes,
                                             final Settings s, final IntConsumer epochDone) {
        if (s.ensembleSize() < 1) {
            throw new IllegalArgumentException("ensemble size must be >= 1, got " + s.ensembleSize());
        }
        final BaliModel[] members = new BaliModel[s.ensembleSize()];
        final AtomicInteger epochsDone = new AtomicInteger();
        final int threads = Math.min(members.length, Runtime.getRuntime().availableProcessors());
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            final List<Future<BaliModel>> futures = new ArrayList<>();
            for (int e = 0; e < members.length; e++) {
                final long seed = s.seed() + e;
                futures.add(pool.submit(() -> trainMember(trainX, trainY, classes, s, seed, () -> {
                    final int done = epochsDone.incrementAndGet();
                    if (epochDone != null) {
                        epochDone.accept(done - 1);
                    }
                })));
            }
            for (int e = 0; e < members.length; e++) {
                members[e] = futures.get(e).get();
            }
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while training", ex);
        } catch (final ExecutionException ex) {
            throw ex.getCause() instanceof RuntimeException r ? r : new IllegalStateException(ex.getCause());
        } finally {
            pool.shutdownNow();
        }
        return members;
    }

    private static BaliModel trainMember(final double[][] trainX, final int[] trainY, final int classes,
                                         final Settings s, final long seed, final Runnable epochDone) {
        final BaliConfig config = BaliConfig.classification(trainX[0].length, s.hidden(), classes).activation(s.activation())
                .batchSize(s.batchSize()).beta(s.beta()).hiddenKappa(s.kappa()).standardizeInputs(s.standardizeInputs())
                .dataScale(trainX.length).seed(seed).build();
        final BaliModel model = new BaliModel(config);
        final Rng rng = new Rng(seed);
        final int n = trainX.length;
        final int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            UciProtocol.shuffle(order, rng);
            for (int from = 0; from < n; from += s.batchSize()) {
                final int b = Math.min(s.batchSize(), n - from);
                final double[][] bx = new double[b][];
                final int[] by = new int[b];
                for (int i = 0; i < b; i++) {
                    bx[i] = trainX[order[from + i]];
                    by[i] = trainY[order[from + i]];
                }
                model.learn(bx, by);
            }
            epochDone.run();
        }
        return model;
    }

    /**
     * The ensemble's predictive for one input: the mixture of the members' predictives, its entropy, the
     * mutual information H[p̄] − (1/E) Σ_e (H[p̄_e] − MI_e) and the mean leverage. One member: its own
     * prediction.
     */
    static ClassificationPrediction classify(final BaliModel[] members, final double[] x) {
        if (members.length == 1) {
            return members[0].classify(x);
        }
        double[] mixture = null;
        double expectedEntropy = 0;
        double leverage = 0;
        for (final BaliModel m : members) {
            final ClassificationPrediction p = m.classify(x);
            if (mixture == null) {
                mixture = new double[p.probabilities().length];
            }
            for (int k = 0; k < mixture.length; k++) {
                mixture[k] += p.probabilities()[k] / members.length;
            }
            expectedEntropy += (p.entropy() - p.mutualInformation()) / members.length;
            leverage += p.leverage() / members.length;
        }
        int best = 0;
        double entropy = 0;
        for (int k = 0; k < mixture.length; k++) {
            if (mixture[k] > mixture[best]) {
                best = k;
            }
            if (mixture[k] > 0) {
                entropy -= mixture[k] * Math.log(mixture[k]);
            }
        }
        return new ClassificationPrediction(mixture, best, entropy, Math.max(0, entropy - expectedEntropy), leverage);
    }
}
