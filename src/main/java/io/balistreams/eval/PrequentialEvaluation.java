package io.balistreams.eval;

import io.balistreams.metrics.RegressionScorer;
import io.balistreams.metrics.ClassificationScorer;
import io.balistreams.metrics.Metrics;
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
        final int k = config.numClasses();
        final int[] batchY = new int[config.batchSize()];
        final ClassificationScorer[] scorers = {new ClassificationScorer(k), new ClassificationScorer(k)};
        return run(features, window, progress, config.batchSize(), new Learner() {
            @Override
            public void scoreAndStage(final int record, final int slot) {
                final ClassificationPrediction p = model.classify(features[record]);
                for (final ClassificationScorer s : scorers) {
                    s.add(p.probabilities(), p.predictedClass(), labels[record]);
                }
                batchY[slot] = labels[record];
            }

            @Override
            public boolean learn(final double[][] batchX) {
                return model.learn(batchX, batchY).accepted();
            }

            @Override
            public Map<String, Double> closeWindow() {
                final Map<String, Double> m = scorers[1].metrics();
                scorers[1] = new ClassificationScorer(k);
                return m;
            }

            @Override
            public Map<String, Double> total() {
                return scorers[0].metrics();
            }
        });
    }

    /** Regression: RMSE, MAE, NLL, 95% interval coverage (in the target's units). */
    public static Result regression(final BaliConfig config, final double[][] features, final double[] targets,
                                    final int window, final LongConsumer progress) {
        requireTask(config, Task.REGRESSION);
        checkShapes(features.length, targets.length, window);
        final BaliModel model = new BaliModel(config);
        final double[] batchY = new double[config.batchSize()];
        final RegressionScorer[] scorers = {new RegressionScorer(), new RegressionScorer()};
        return run(features, window, progress, config.batchSize(), new Learner() {
            @Override
            public void scoreAndStage(final int record, final int slot) {
                final RegressionPrediction p = model.predict(features[record]);
                for (final RegressionScorer s : scorers) {
                    s.add(p.mean(), p.totalVariance(), targets[record]);
                }
                batchY[slot] = targets[record];
            }

            @Override
            public boolean learn(final double[][] batchX) {
                return model.learn(batchX, batchY).accepted();
            }

            @Override
            public Map<String, Double> closeWindow() {
                final Map<String, Double> m = scorers[1].metrics();
                scorers[1] = new RegressionScorer();
                return m;
            }

            @Override
            public Map<String, Double> total() {
                return scorers[0].metrics();
            }
        });
    }

    /** The task-specific half of the test-then-train loop. */
    private interface Learner {
        /** Predicts record {@code record}, scores it (cumulative and window), and stages its label in batch slot {@code slot}. */
        void scoreAndStage(int record, int slot);

        /** One update from the staged batch; false if the model rejected it. */
        boolean learn(double[][] batchX);

        /** Metrics of the current window, then starts a new one. */
        Map<String, Double> closeWindow();

        Map<String, Double> total();
    }

    private static Result run(final double[][] features, final int window, final LongConsumer progress,
                              final int batchSize, final Learner learner) {
        final double[][] batchX = new double[batchSize][];
        final List<Map<String, Double>> windows = new ArrayList<>();
        long rejected = 0;
        int pending = 0;
        final long start = System.nanoTime();
        for (int i = 0; i < features.length; i++) {
            learner.scoreAndStage(i, pending);
            batchX[pending++] = features[i];
            if (pending == batchSize) {
                if (!learner.learn(batchX)) {
                    rejected++;
                }
                pending = 0;
            }
            if ((i + 1) % window == 0) {
                windows.add(withEnd(learner.closeWindow(), i + 1));
            }
            if (progress != null && (i + 1) % 1000 == 0) {
                progress.accept(i + 1);
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(features.length, seconds, rejected, learner.total(), Collections.unmodifiableList(windows));
    }

    private static Map<String, Double> withEnd(final Map<String, Double> metrics, final long end) {
        final Map<String, Double> m = new java.util.LinkedHashMap<>();
        m.put("end", (double) end);
        m.putAll(metrics);
        return m;
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
