package io.balistreams.metrics;

import io.balistreams.bali.ClassificationPrediction;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accumulates prequential classification metrics one prediction at a time, in O(K² + bins) memory:
 * accuracy, Cohen's kappa (from the confusion matrix), negative log-likelihood, Brier score and the
 * expected calibration error over equal-width confidence bins (same definitions as {@link Metrics}).
 */
public final class ClassificationScorer {
    /** Number of confidence bins of the ECE. */
    public static final int ECE_BINS = 15;

    private final int numClasses;
    private final long[] confusion;
    private final long[] binCount = new long[ECE_BINS];
    private final double[] binConfidence = new double[ECE_BINS];
    private final long[] binCorrect = new long[ECE_BINS];
    private long n;
    private long correct;
    private double nll;
    private double brier;

    public ClassificationScorer(final int numClasses) {
        if (numClasses < 2) {
            throw new IllegalArgumentException("numClasses must be >= 2, got " + numClasses);
        }
        this.numClasses = numClasses;
        this.confusion = new long[numClasses * numClasses];
    }

    /**
     * The running sums as one array, for persisting a scorer (the service keeps it in a state store):
     * {@code [n, correct, nll, brier, confusion (K² row-major, actual × predicted), bin counts, bin confidence
     * sums, bin correct counts]}, counts stored exactly as doubles (below 2⁵³).
     */
    public double[] exportState() {
        final int k2 = numClasses * numClasses;
        final double[] s = new double[4 + k2 + 3 * ECE_BINS];
        s[0] = n;
        s[1] = correct;
        s[2] = nll;
        s[3] = brier;
        for (int i = 0; i < k2; i++) {
            s[4 + i] = confusion[i];
        }
        for (int b = 0; b < ECE_BINS; b++) {
            s[4 + k2 + b] = binCount[b];
            s[4 + k2 + ECE_BINS + b] = binConfidence[b];
            s[4 + k2 + 2 * ECE_BINS + b] = binCorrect[b];
        }
        return s;
    }

    /** A scorer continuing from {@link #exportState()} of a scorer with the same number of classes. */
    public static ClassificationScorer restore(final int numClasses, final double[] state) {
        final ClassificationScorer c = new ClassificationScorer(numClasses);
        final int k2 = numClasses * numClasses;
        if (state.length != 4 + k2 + 3 * ECE_BINS) {
            throw new IllegalArgumentException("classification scorer state for " + numClasses
                    + " classes needs " + (4 + k2 + 3 * ECE_BINS) + " values, got " + state.length);
        }
        c.n = (long) state[0];
        c.correct = (long) state[1];
        c.nll = state[2];
        c.brier = state[3];
        for (int i = 0; i < k2; i++) {
            c.confusion[i] = (long) state[4 + i];
        }
        for (int b = 0; b < ECE_BINS; b++) {
            c.binCount[b] = (long) state[4 + k2 + b];
            c.binConfidence[b] = state[4 + k2 + ECE_BINS + b];
            c.binCorrect[b] = (long) state[4 + k2 + 2 * ECE_BINS + b];
        }
        return c;
    }

    /** Adds one prediction (class probabilities summing to 1, arg-max {@code predicted}) of a record labelled {@code label}. */
    public void add(final double[] probabilities, final int predicted, final int label) {
        n++;
        if (predicted == label) {
            correct++;
        }
        confusion[label * numClasses + predicted]++;
        nll -= Math.log(Math.max(probabilities[label], ClassificationPrediction.PROBABILITY_FLOOR));
        for (int k = 0; k < numClasses; k++) {
            final double d = probabilities[k] - (k == label ? 1.0 : 0.0);
            brier += d * d;
        }
        final double confidence = probabilities[predicted];
        final int bin = Metrics.confidenceBin(confidence, ECE_BINS);
        binCount[bin]++;
        binConfidence[bin] += confidence;
        if (predicted == label) {
            binCorrect[bin]++;
        }
    }

    public long count() {
        return n;
    }

    public double accuracy() {
        return n == 0 ? Double.NaN : correct / (double) n;
    }

    /** (p_o − p_e)/(1 − p_e) from the confusion matrix; 0 when p_e = 1. */
    public double kappa() {
        if (n == 0) {
            return Double.NaN;
        }
        double expected = 0;
        for (int k = 0; k < numClasses; k++) {
            long actual = 0;
            long predicted = 0;
            for (int j = 0; j < numClasses; j++) {
                actual += confusion[k * numClasses + j];
                predicted += confusion[j * numClasses + k];
            }
            expected += (actual / (double) n) * (predicted / (double) n);
        }
        final double observed = correct / (double) n;
        return expected >= 1.0 ? 0.0 : (observed - expected) / (1.0 - expected);
    }

    public double negativeLogLikelihood() {
        return n == 0 ? Double.NaN : nll / n;
    }

    public double brier() {
        return n == 0 ? Double.NaN : brier / n;
    }

    /** Σ_b (n_b/n) |acc_b − conf_b|. */
    public double expectedCalibrationError() {
        if (n == 0) {
            return Double.NaN;
        }
        double ece = 0;
        for (int b = 0; b < ECE_BINS; b++) {
            if (binCount[b] > 0) {
                ece += Math.abs(binCorrect[b] - binConfidence[b]) / n;
            }
        }
        return ece;
    }

    /** The metrics by their JSON names. */
    public Map<String, Double> metrics() {
        final Map<String, Double> m = new LinkedHashMap<>();
        m.put("accuracy", accuracy());
        m.put("kappa", kappa());
        m.put("nll", negativeLogLikelihood());
        m.put("ece", expectedCalibrationError());
        m.put("brier", brier());
        return m;
    }
}
