package io.balistreams.metrics;

import io.balistreams.bali.RegressionPrediction;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accumulates prequential regression metrics one prediction at a time: RMSE, MAE, negative log-likelihood
 * −log N(y; μ, σ²), and the coverage of the central 95% interval μ ± 1.95996 σ; for a mixture over memories
 * the log-likelihood and the interval are the mixture's own.
 */
public final class RegressionScorer {

    private long n;
    private double squaredError;
    private double absoluteError;
    private double nll;
    private long covered;

    /** The running sums {@code [n, squared error, absolute error, nll, covered]}, for persisting a scorer. */
    public double[] exportState() {
        return new double[]{n, squaredError, absoluteError, nll, covered};
    }

    /** A scorer continuing from {@link #exportState()}. */
    public static RegressionScorer restore(final double[] state) {
        if (state.length != 5) {
            throw new IllegalArgumentException("regression scorer state needs 5 values, got " + state.length);
        }
        final RegressionScorer r = new RegressionScorer();
        r.n = (long) state[0];
        r.squaredError = state[1];
        r.absoluteError = state[2];
        r.nll = state[3];
        r.covered = (long) state[4];
        return r;
    }

    /**
     * Adds one prediction with mean {@code mean} and total variance {@code variance} of the target {@code y}. A
     * prediction or target that is not a finite number (a variance that is not finite and positive) is not scored:
     * one absurd record must not end the evaluation, nor turn its sums into infinities.
     */
    public void add(final double mean, final double variance, final double y) {
        if (!Double.isFinite(mean) || !Double.isFinite(y) || !(variance > 0) || !Double.isFinite(variance)) {
            return;
        }
        n++;
        final double r = y - mean;
        squaredError += r * r;
        absoluteError += Math.abs(r);
        nll -= Metrics.gaussianLogLikelihood(y, mean, variance);
        if (Math.abs(r) <= RegressionPrediction.Z95 * Math.sqrt(variance)) {
            covered++;
        }
    }

    /**
     * Adds one prediction of the target {@code y}: as {@link #add(double, double, double)} with its mean and total
     * variance, except for a mixture over memories, whose log-likelihood is its own density and whose interval is
     * its own central 95% (docs/method.md §11).
     */
    public void add(final RegressionPrediction p, final double y) {
        if (!Double.isFinite(p.mean()) || !Double.isFinite(y) || !(p.totalVariance() > 0)
                || !Double.isFinite(p.totalVariance())) {
            return; // not scored, as in add(mean, variance, y)
        }
        if (p.mixture() == null) {
            add(p.mean(), p.totalVariance(), y);
            return;
        }
        n++;
        final double r = y - p.mean();
        squaredError += r * r;
        absoluteError += Math.abs(r);
        nll -= p.mixture().logDensity(y);
        if (p.mixture().covers95(y)) {
            covered++;
        }
    }

    public long count() {
        return n;
    }

    public double rmse() {
        return n == 0 ? Double.NaN : Math.sqrt(squaredError / n);
    }

    public double mae() {
        return n == 0 ? Double.NaN : absoluteError / n;
    }

    public double negativeLogLikelihood() {
        return n == 0 ? Double.NaN : nll / n;
    }

    public double coverage95() {
        return n == 0 ? Double.NaN : covered / (double) n;
    }

    /** The metrics by their JSON names. */
    public Map<String, Double> metrics() {
        final Map<String, Double> m = new LinkedHashMap<>();
        m.put("rmse", rmse());
        m.put("mae", mae());
        m.put("nll", negativeLogLikelihood());
        m.put("coverage95", coverage95());
        return m;
    }
}
