package io.balistreams.eval;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.Rng;
import io.balistreams.monitor.DecayingQuantileSketch;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Out-of-distribution check: train a BALI classifier offline on one data set (e.g. Fashion-MNIST),
 * report its test accuracy, NLL and ECE, then score its test inputs (in-distribution, negatives) and
 * inputs of another data set (e.g. MNIST digits, positives) with each uncertainty score — predictive
 * entropy, mutual information and last-layer leverage āᵀΛ⁻¹ā (BALI.md §5) — and report the AUROC of
 * separating the two by that score (higher ⇒ out of distribution).
 *
 * <p>It also reports what the service's calibrated flag would do: the threshold is the 99th percentile of
 * the training records' leverages under the final model (a {@link DecayingQuantileSketch} of quantile 0.99
 * without forgetting, as the service's monitor keeps one with forgetting), and the flag rates are the
 * fractions of in-distribution test inputs and of out-of-distribution inputs whose leverage exceeds it.
 */
public final class OodEvaluation {

    /**
     * Architecture and training knobs; {@link #defaults()} produce the figures in docs/results.md.
     *
     * @param kappa            relative floor of the hidden layer's Σ⁻¹ (BALI.md §4, γ = κ tr(Ḡ)/q)
     * @param standardizeInputs standardise each input online; off for pixel intensities already in
     *                          [0, 1], where near-constant border pixels would be blown up
     */
    public record Settings(int hidden, Activation activation, int epochs, int batchSize, double beta, double kappa,
                           boolean standardizeInputs, long seed) {
        public static Settings defaults() {
            return new Settings(128, Activation.RELU, 5, 128, 0.9, 300.0, false, 1L);
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
                         double leverageThreshold, Map<String, Double> flagged) {
    }

    /** Quantile of the training leverages used as the flag threshold, as the service's default. */
    public static final double FLAG_QUANTILE = 0.99;

    private OodEvaluation() {
    }

    /**
     * @param epochDone called with the epoch index after each epoch (may be null)
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
        final BaliConfig config = BaliConfig.classification(d, s.hidden(), classes).activation(s.activation())
                .batchSize(s.batchSize()).beta(s.beta()).hiddenKappa(s.kappa()).standardizeInputs(s.standardizeInputs())
                .dataScale(trainX.length).seed(s.seed()).build();
        final BaliModel model = new BaliModel(config);
        final Rng rng = new Rng(s.seed());
        final int n = trainX.length;
        final int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        final long start = System.nanoTime();
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
            if (epochDone != null) {
                epochDone.accept(epoch);
            }
        }
        final double trainSeconds = (System.nanoTime() - start) / 1e9;

        final ClassificationScorer scorer = new ClassificationScorer(classes);
        final int total = testX.length + oodX.length;
        final double[] entropy = new double[total];
        final double[] mutualInformation = new double[total];
        final double[] leverage = new double[total];
        final boolean[] outOfDistribution = new boolean[total];
        for (int i = 0; i < total; i++) {
            final boolean ood = i >= testX.length;
            final ClassificationPrediction p = model.classify(ood ? oodX[i - testX.length] : testX[i]);
            if (!ood) {
                scorer.add(p.probabilities(), p.predictedClass(), testY[i]);
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
            sketch.add(model.classify(x).leverage());
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
        return new Result(scorer.accuracy(), scorer.negativeLogLikelihood(), scorer.expectedCalibrationError(), auroc,
                trainSeconds, threshold, flagged);
    }
}
