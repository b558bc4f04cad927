package io.balistreams.eval;

import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.Task;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Test-then-train over a stream in its given order, the way the service learns: every record is first
 * predicted by the current model (closed-form predictive) and scored, then added to the pending
 * mini-batch; a full batch triggers one BALI update. Metrics are reported cumulatively and over
 * consecutive windows of {@code window} records.
 */
public final class PrequentialEvaluation {

    /**
     * The outcome of one run.
     *
     * @param records           records scored
     * @param seconds           wall time of predicting and learning (excluding reading the data)
     * @param rejectedUpdates   updates the model refused (non-finite); their records were still scored
     * @param cumulative        metrics over the whole stream
     * @param windows           metrics per window, each with "end" (records scored so far)
     */
    public record Result(long records, double seconds, long rejectedUpdates, Map<String, Double> cumulative,
                         List<Map<String, Double>> windows) {
        public double recordsPerSecond() {
            return records / seconds;
        }
    }

    private PrequentialEvaluation() {
    }

    /**
     * Classification: accuracy, kappa, NLL, ECE, Brier.
     *
     * @param progress called with the number of records done, about every 1,000 records (may be null)
     */
    public static Result classification(final BaliConfig config, final double[][] features, final int[] labels,
                                        final int window, final LongConsumer progress) {
        requireTask(config, Task.CLASSIFICATION);
        checkShapes(features.length, labels.length, window);
        final BaliModel model = new BaliModel(config);
        final int b = config.batchSize();
        final double[][] batchX = new double[b][];
        final int[] batchY = new int[b];
        final ClassificationScorer total = new ClassificationScorer(config.numClasses());
        ClassificationScorer current = new ClassificationScorer(config.numClasses());
        final List<Map<String, Double>> windows = new ArrayList<>();
        long rejected = 0;
        int pending = 0;
        final long start = System.nanoTime();
        for (int i = 0; i < features.length; i++) {
            final ClassificationPrediction p = model.classify(features[i]);
            total.add(p.probabilities(), p.predictedClass(), labels[i]);
            current.add(p.probabilities(), p.predictedClass(), labels[i]);
            batchX[pending] = features[i];
            batchY[pending++] = labels[i];
            if (pending == b) {
                if (!model.learn(batchX, batchY).accepted()) {
                    rejected++;
                }
                pending = 0;
            }
            if (current.count() == window) {
                windows.add(withEnd(current.metrics(), i + 1));
                current = new ClassificationScorer(config.numClasses());
            }
            report(progress, i);
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(features.length, seconds, rejected, total.metrics(), Collections.unmodifiableList(windows));
    }

    /** Regression: RMSE, MAE, NLL, 95% interval coverage (in the target's units). */
    public static Result regression(final BaliConfig config, final double[][] features, final double[] targets,
                                    final int window, final LongConsumer progress) {
        requireTask(config, Task.REGRESSION);
        checkShapes(features.length, targets.length, window);
        final BaliModel model = new BaliModel(config);
        final int b = config.batchSize();
        final double[][] batchX = new double[b][];
        final double[] batchY = new double[b];
        final RegressionScorer total = new RegressionScorer();
        RegressionScorer current = new RegressionScorer();
        final List<Map<String, Double>> windows = new ArrayList<>();
        long rejected = 0;
        int pending = 0;
        final long start = System.nanoTime();
        for (int i = 0; i < features.length; i++) {
            final RegressionPrediction p = model.predict(features[i]);
            total.add(p.mean(), p.totalVariance(), targets[i]);
            current.add(p.mean(), p.totalVariance(), targets[i]);
            batchX[pending] = features[i];
            batchY[pending++] = targets[i];
            if (pending == b) {
                if (!model.learn(batchX, batchY).accepted()) {
                    rejected++;
                }
                pending = 0;
            }
            if (current.count() == window) {
                windows.add(withEnd(current.metrics(), i + 1));
                current = new RegressionScorer();
            }
            report(progress, i);
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(features.length, seconds, rejected, total.metrics(), Collections.unmodifiableList(windows));
    }

    private static Map<String, Double> withEnd(final Map<String, Double> metrics, final long end) {
        final Map<String, Double> m = new java.util.LinkedHashMap<>();
        m.put("end", (double) end);
        m.putAll(metrics);
        return m;
    }

    private static void report(final LongConsumer progress, final int i) {
        if (progress != null && (i + 1) % 1000 == 0) {
            progress.accept(i + 1);
        }
    }

    private static void requireTask(final BaliConfig config, final Task task) {
        if (config.task() != task) {
            throw new IllegalArgumentException("a " + task + " evaluation needs a " + task + " model configuration");
        }
    }

    private static void checkShapes(final int rows, final int targets, final int window) {
        if (rows != targets) {
            throw new IllegalArgumentException(rows + " feature rows but " + targets + " targets");
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1, got " + window);
        }
    }
}
