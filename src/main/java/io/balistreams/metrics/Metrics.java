package io.balistreams.metrics;

import io.balistreams.bali.ClassificationPrediction;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Evaluation metrics for probabilistic classification and regression. All methods are pure functions of
 * their arguments; they throw {@link IllegalArgumentException} on empty input, mismatched lengths, labels
 * out of range, non-finite values, or parameters out of their stated domain.
 *
 * <p>Conventions: n is the number of records, K the number of classes, {@code probabilities[i][k]} the
 * predicted probability of class k for record i (every row of the same length K, entries in [0, 1]), and
 * {@code labels[i]} the true class in 0..K−1.
 */
public final class Metrics {
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private Metrics() {
    }

    /**
     * Area under the ROC curve of the rule "higher score ⇒ positive", computed as the normalised
     * Mann–Whitney statistic with average ranks for ties:
     * <pre>
     *   AUROC = (R₊ − n₊(n₊+1)/2) / (n₊·n₋)
     * </pre>
     * where R₊ is the sum of the (1-based, tie-averaged) ranks of the positives' scores among all scores.
     * Equivalently, the probability that a random positive scores higher than a random negative, a tie
     * counting 1/2. 1 = perfect separation, 0 = perfectly reversed, 0.5 = no information.
     *
     * @param scores   score of each record (finite or infinite, not NaN)
     * @param positive whether each record is positive
     * @throws IllegalArgumentException if the lengths differ, a score is NaN, or either class is empty
     */
    public static double auroc(final double[] scores, final boolean[] positive) {
        sameLength(scores.length, positive.length, "scores", "positive");
        final int n = scores.length;
        long positives = 0;
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(scores[i])) {
                throw new IllegalArgumentException("scores[" + i + "] is NaN");
            }
            if (positive[i]) {
                positives++;
            }
        }
        final long negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            throw new IllegalArgumentException("AUROC needs both classes: " + positives + " positives, "
                    + negatives + " negatives");
        }
        final Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
        double positiveRankSum = 0;
        int start = 0;
        while (start < n) {
            int end = start + 1;
            while (end < n && scores[order[end]] == scores[order[start]]) {
                end++;
            }
            // Records order[start..end) are tied; 1-based ranks start+1..end average to (start+1+end)/2.
            final double rank = (start + 1 + end) / 2.0;
            for (int k = start; k < end; k++) {
                if (positive[order[k]]) {
                    positiveRankSum += rank;
                }
            }
            start = end;
        }
        final double u = positiveRankSum - positives * (positives + 1) / 2.0;
        return u / ((double) positives * negatives);
    }

    /**
     * Expected calibration error with B equal-width bins on the confidence c_i = max_k p_ik. Bin b
     * (0-based) holds the confidences in (b/B, (b+1)/B]; a confidence of 0 goes to bin 0. With n_b records
     * in bin b, acc_b the fraction of them whose predicted class (the first arg max of the row) equals the
     * label, and conf_b their mean confidence:
     * <pre>
     *   ECE = Σ_b (n_b / n) · |acc_b − conf_b|      (empty bins contribute 0)
     * </pre>
     *
     * @param bins B ≥ 1
     */
    public static double expectedCalibrationError(final double[][] probabilities, final int[] labels,
                                                  final int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("bins must be >= 1, got " + bins);
        }
        checkProbabilities(probabilities, labels);
        final long[] count = new long[bins];
        final long[] correct = new long[bins];
        final double[] confidenceSum = new double[bins];
        for (int i = 0; i < labels.length; i++) {
            final double[] p = probabilities[i];
            int predicted = 0;
            for (int k = 1; k < p.length; k++) {
                if (p[k] > p[predicted]) {
                    predicted = k;
                }
            }
            final double confidence = p[predicted];
            final int b = confidenceBin(confidence, bins);
            count[b]++;
            confidenceSum[b] += confidence;
            if (predicted == labels[i]) {
                correct[b]++;
            }
        }
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (count[b] > 0) {
                final double accuracy = (double) correct[b] / count[b];
                final double confidence = confidenceSum[b] / count[b];
                ece += (double) count[b] / labels.length * Math.abs(accuracy - confidence);
            }
        }
        return ece;
    }

    /**
     * The 0-based equal-width confidence bin of {@link #expectedCalibrationError}: the b in 0..B−1 with
     * b/B &lt; c ≤ (b+1)/B, and b = 0 for c = 0. Edges are compared against b/B as computed in floating point,
     * so a confidence equal to an edge (e.g. 0.3 with B = 10, where 0.3·10 rounds above 3) lands in the bin
     * it closes.
     *
     * @param confidence c in [0, 1]
     * @param bins       B ≥ 1
     * @throws IllegalArgumentException if c is not in [0, 1] or B &lt; 1
     */
    public static int confidenceBin(final double confidence, final int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("bins must be >= 1, got " + bins);
        }
        if (!(confidence >= 0 && confidence <= 1)) {
            throw new IllegalArgumentException("confidence must be in [0, 1], got " + confidence);
        }
        int b = (int) Math.ceil(confidence * bins) - 1;
        b = Math.max(0, Math.min(bins - 1, b));
        while (b > 0 && confidence <= (double) b / bins) {
            b--;
        }
        while (b < bins - 1 && confidence > (double) (b + 1) / bins) {
            b++;
        }
        return b;
    }

    /**
     * Cohen's kappa of predicted against actual classes. With the confusion counts C, row sums r_k (actual
     * k), column sums c_k (predicted k):
     * <pre>
     *   p_o = Σ_k C_kk / n,   p_e = Σ_k r_k·c_k / n²,   κ = (p_o − p_e) / (1 − p_e)
     * </pre>
     * computed exactly in integers as κ = (n·Σ_k C_kk − Σ_k r_k c_k) / (n² − Σ_k r_k c_k). In the degenerate
     * case p_e = 1 (predicted and actual are all one and the same class, so p_o = 1 too and the formula is
     * 0/0) this returns 0: agreement that chance alone explains carries no information.
     *
     * @param numClasses K ≥ 1; every entry of both arrays must be in 0..K−1
     */
    public static double cohenKappa(final int[] predicted, final int[] actual, final int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, got " + numClasses);
        }
        sameLength(predicted.length, actual.length, "predicted", "actual");
        nonEmpty(actual.length, "actual");
        final long n = actual.length;
        final long[] rowSums = new long[numClasses];
        final long[] columnSums = new long[numClasses];
        long agree = 0;
        for (int i = 0; i < n; i++) {
            checkClass(predicted[i], numClasses, "predicted", i);
            checkClass(actual[i], numClasses, "actual", i);
            rowSums[actual[i]]++;
            columnSums[predicted[i]]++;
            if (predicted[i] == actual[i]) {
                agree++;
            }
        }
        long chance = 0;
        for (int k = 0; k < numClasses; k++) {
            chance += rowSums[k] * columnSums[k];
        }
        final long denominator = n * n - chance;
        if (denominator == 0) {
            return 0.0;
        }
        return (double) (n * agree - chance) / denominator;
    }

    /**
     * Brier score (multi-class, summed over classes, averaged over records):
     * <pre>
     *   BS = (1/n) Σ_i Σ_k (p_ik − 1[k = y_i])²
     * </pre>
     * 0 is perfect; a certain wrong prediction scores 2.
     */
    public static double brierScore(final double[][] probabilities, final int[] labels) {
        checkProbabilities(probabilities, labels);
        double sum = 0;
        for (int i = 0; i < labels.length; i++) {
            final double[] p = probabilities[i];
            for (int k = 0; k < p.length; k++) {
                final double d = p[k] - (k == labels[i] ? 1.0 : 0.0);
                sum += d * d;
            }
        }
        return sum / labels.length;
    }

    /**
     * Mean negative log-likelihood of the true classes (natural log), with the probability floored at
     * 1e-300 so a confident mistake costs at most about 690.8 instead of infinity:
     * <pre>
     *   NLL = −(1/n) Σ_i log max(p_{i,y_i}, 1e-300)
     * </pre>
     */
    public static double negativeLogLikelihood(final double[][] probabilities, final int[] labels) {
        checkProbabilities(probabilities, labels);
        double sum = 0;
        for (int i = 0; i < labels.length; i++) {
            sum -= Math.log(Math.max(probabilities[i][labels[i]], ClassificationPrediction.PROBABILITY_FLOOR));
        }
        return sum / labels.length;
    }

    /**
     * Log density of a normal distribution:
     * <pre>
     *   log N(y; m, v) = −½ log(2π v) − (y − m)² / (2v)
     * </pre>
     *
     * @param variance v > 0
     */
    public static double gaussianLogLikelihood(final double y, final double mean, final double variance) {
        finite(y, "y");
        finite(mean, "mean");
        if (!(variance > 0) || !Double.isFinite(variance)) {
            throw new IllegalArgumentException("variance must be finite and > 0, got " + variance);
        }
        final double d = y - mean;
        return -0.5 * (LOG_2PI + Math.log(variance)) - d * d / (2 * variance);
    }

    /**
     * Log density of a mixture of normals, evaluated stably with log-sum-exp:
     * <pre>
     *   log Σ_i w_i N(y; m_i, v_i) = M + log Σ_i exp(a_i − M),   a_i = log w_i + log N(y; m_i, v_i),  M = max_i a_i
     * </pre>
     * Components of weight 0 contribute nothing.
     *
     * @param weights w_i ≥ 0 with |Σ_i w_i − 1| ≤ 1e-9
     * @throws IllegalArgumentException if the arrays are empty or of different lengths, a variance is not
     *                                  positive, or the weights are negative or do not sum to 1
     */
    public static double gaussianMixtureLogLikelihood(final double y, final double[] means, final double[] variances,
                                                      final double[] weights) {
        sameLength(means.length, variances.length, "means", "variances");
        sameLength(means.length, weights.length, "means", "weights");
        nonEmpty(means.length, "means");
        double weightSum = 0;
        for (int i = 0; i < weights.length; i++) {
            if (!(weights[i] >= 0) || !Double.isFinite(weights[i])) {
                throw new IllegalArgumentException("weights[" + i + "] must be finite and >= 0, got " + weights[i]);
            }
            weightSum += weights[i];
        }
        if (Math.abs(weightSum - 1.0) > 1e-9) {
            throw new IllegalArgumentException("weights must sum to 1 within 1e-9, sum is " + weightSum);
        }
        final double[] terms = new double[means.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < means.length; i++) {
            final double logDensity = gaussianLogLikelihood(y, means[i], variances[i]);
            terms[i] = weights[i] == 0 ? Double.NEGATIVE_INFINITY : Math.log(weights[i]) + logDensity;
            max = Math.max(max, terms[i]);
        }
        double sum = 0;
        for (final double a : terms) {
            if (a != Double.NEGATIVE_INFINITY) {
                sum += Math.exp(a - max);
            }
        }
        return max + Math.log(sum);
    }

    /** Root mean squared error: √((1/n) Σ_i (ŷ_i − y_i)²). */
    public static double rmse(final double[] predicted, final double[] actual) {
        sameLength(predicted.length, actual.length, "predicted", "actual");
        nonEmpty(actual.length, "actual");
        double sum = 0;
        for (int i = 0; i < actual.length; i++) {
            final double d = predicted[i] - actual[i];
            sum += d * d;
        }
        return Math.sqrt(sum / actual.length);
    }

    /** Mean absolute error: (1/n) Σ_i |ŷ_i − y_i|. */
    public static double mae(final double[] predicted, final double[] actual) {
        sameLength(predicted.length, actual.length, "predicted", "actual");
        nonEmpty(actual.length, "actual");
        double sum = 0;
        for (int i = 0; i < actual.length; i++) {
            sum += Math.abs(predicted[i] - actual[i]);
        }
        return sum / actual.length;
    }

    /**
     * Empirical coverage of central normal prediction intervals: the fraction of records with
     * <pre>
     *   |y_i − m_i| ≤ z·√v_i,   z = Φ⁻¹((1 + level) / 2)
     * </pre>
     * (z ≈ 1.959964 for level 0.95). A well-calibrated Gaussian predictive gives about {@code level}.
     *
     * @param variances v_i ≥ 0 (0 gives the degenerate interval {m_i})
     * @param level     nominal coverage in (0, 1)
     */
    public static double intervalCoverage(final double[] means, final double[] variances, final double[] actual,
                                          final double level) {
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("level must be in (0, 1), got " + level);
        }
        sameLength(means.length, variances.length, "means", "variances");
        sameLength(means.length, actual.length, "means", "actual");
        nonEmpty(actual.length, "actual");
        final double z = normalQuantile((1 + level) / 2);
        int inside = 0;
        for (int i = 0; i < actual.length; i++) {
            if (!(variances[i] >= 0) || !Double.isFinite(variances[i])) {
                throw new IllegalArgumentException("variances[" + i + "] must be finite and >= 0, got "
                        + variances[i]);
            }
            if (Math.abs(actual[i] - means[i]) <= z * Math.sqrt(variances[i])) {
                inside++;
            }
        }
        return (double) inside / actual.length;
    }

    /**
     * The standard normal quantile Φ⁻¹(p), by Wichura's algorithm AS 241 (PPND16, Applied Statistics 37,
     * 1988): rational approximations in q = p − ½ for |q| ≤ 0.425 and in r = √(−log min(p, 1−p)) in the
     * tails, with relative error about 1e-16 over the whole range.
     *
     * @param p probability in [0, 1]
     * @return Φ⁻¹(p); −∞ for p = 0 and +∞ for p = 1
     * @throws IllegalArgumentException if p is NaN or outside [0, 1]
     */
    public static double normalQuantile(final double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("p must be in [0, 1], got " + p);
        }
        if (p == 0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (p == 1) {
            return Double.POSITIVE_INFINITY;
        }
        final double q = p - 0.5;
        if (Math.abs(q) <= 0.425) {
            final double r = 0.180625 - q * q;
            final double num = (((((((2.5090809287301226727e+3 * r
                    + 3.3430575583588128105e+4) * r
                    + 6.7265770927008700853e+4) * r
                    + 4.5921953931549871457e+4) * r
                    + 1.3731693765509461125e+4) * r
                    + 1.9715909503065514427e+3) * r
                    + 1.3314166789178437745e+2) * r
                    + 3.3871328727963666080e+0) * q;
            final double den = (((((((5.2264952788528545610e+3 * r
                    + 2.8729085735721942674e+4) * r
                    + 3.9307895800092710610e+4) * r
                    + 2.1213794301586595867e+4) * r
                    + 5.3941960214247511077e+3) * r
                    + 6.8718700749205790830e+2) * r
                    + 4.2313330701600911252e+1) * r
                    + 1.0);
            return num / den;
        }
        double r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
        final double num;
        final double den;
        if (r <= 5.0) {
            r -= 1.6;
            num = (((((((7.7454501427834140764e-4 * r
                    + 2.2723844989269184583e-2) * r
                    + 2.4178072517745061177e-1) * r
                    + 1.2704582524523683826e+0) * r
                    + 3.6478483247632045605e+0) * r
                    + 5.7694972214606914055e+0) * r
                    + 4.6303378461565452959e+0) * r
                    + 1.4234371107496835773e+0);
            den = (((((((1.0507500716444168432e-9 * r
                    + 5.4759380849953449460e-4) * r
                    + 1.5198666563616457197e-2) * r
                    + 1.4810397642748007459e-1) * r
                    + 6.8976733498510000455e-1) * r
                    + 1.6763848301838038494e+0) * r
                    + 2.0531916266377588219e+0) * r
                    + 1.0);
        } else {
            r -= 5.0;
            num = (((((((2.0103343992922881327e-7 * r
                    + 2.7115555687434875782e-5) * r
                    + 1.2426609473880784386e-3) * r
                    + 2.6532189526576123093e-2) * r
                    + 2.9656057182850489123e-1) * r
                    + 1.7848265399172913358e+0) * r
                    + 5.4637849111641143699e+0) * r
                    + 6.6579046435011037772e+0);
            den = (((((((2.0442631033899397856e-15 * r
                    + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r
                    + 7.8686913114561329059e-4) * r
                    + 1.4875361290850614853e-2) * r
                    + 1.3692988092273580531e-1) * r
                    + 5.9983220655588793769e-1) * r
                    + 1.0);
        }
        final double x = num / den;
        return q < 0 ? -x : x;
    }

    /**
     * Arithmetic mean (1/n) Σ x_i.
     *
     * @throws IllegalArgumentException if {@code values} is empty
     */
    public static double mean(final double[] values) {
        nonEmpty(values.length, "values");
        double sum = 0;
        for (final double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    /**
     * Standard error of the mean: s / √n with the sample standard deviation
     * s = √(Σ (x_i − x̄)² / (n − 1)); 0 for n = 1.
     *
     * @throws IllegalArgumentException if {@code values} is empty
     */
    public static double standardError(final double[] values) {
        final double mean = mean(values);
        final int n = values.length;
        if (n == 1) {
            return 0.0;
        }
        double sum = 0;
        for (final double v : values) {
            final double d = v - mean;
            sum += d * d;
        }
        return Math.sqrt(sum / (n - 1)) / Math.sqrt(n);
    }

    private static void sameLength(final int a, final int b, final String nameA, final String nameB) {
        if (a != b) {
            throw new IllegalArgumentException(nameA + " has length " + a + " but " + nameB + " has length " + b);
        }
    }

    private static void nonEmpty(final int length, final String name) {
        if (length == 0) {
            throw new IllegalArgumentException(name + " is empty");
        }
    }

    private static void finite(final double value, final String name) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, got " + value);
        }
    }

    private static void checkClass(final int label, final int numClasses, final String name, final int i) {
        if (label < 0 || label >= numClasses) {
            throw new IllegalArgumentException(name + "[" + i + "] = " + label + " is not a class in 0.."
                    + (numClasses - 1));
        }
    }

    /** Same number of rows and labels, n ≥ 1, rows of one length K ≥ 1 with entries in [0, 1], labels in 0..K−1. */
    private static void checkProbabilities(final double[][] probabilities, final int[] labels) {
        sameLength(probabilities.length, labels.length, "probabilities", "labels");
        nonEmpty(labels.length, "labels");
        final int k = probabilities[0].length;
        nonEmpty(k, "probabilities[0]");
        for (int i = 0; i < labels.length; i++) {
            final double[] row = probabilities[i];
            if (row.length != k) {
                throw new IllegalArgumentException("probabilities[" + i + "] has " + row.length
                        + " classes, probabilities[0] has " + k);
            }
            for (int j = 0; j < k; j++) {
                if (!(row[j] >= 0 && row[j] <= 1)) {
                    throw new IllegalArgumentException("probabilities[" + i + "][" + j + "] = " + row[j]
                            + " is not in [0, 1]");
                }
            }
            checkClass(labels[i], k, "labels", i);
        }
    }
}
