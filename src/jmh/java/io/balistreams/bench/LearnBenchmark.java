package io.balistreams.bench;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.Rng;
import io.balistreams.bali.UpdateResult;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Learning throughput of the BALI engine, single thread, in <b>records per second</b>.
 *
 * <p>One benchmark invocation is one call of {@link BaliModel#learn}: one complete BALI update (input
 * and target standardisation, forward and backward pass with the posterior means, pseudo-targets, the
 * EMA update of every layer's natural-parameter sums, the factorisations and the new posterior means)
 * from one mini-batch of {@value #BATCH} records. The method is annotated with
 * {@code @OperationsPerInvocation(32)}, so the reported {@code ops/s} is records learned per second;
 * divide by 32 for updates per second.
 *
 * <p>Workloads (both streaming, {@code batchSize(32)}, default β = 0.9):
 * <ul>
 *   <li>{@link #learnRegression}: regression network 8→64→64→1, tanh. The data is a fixed random
 *       teacher y = v·tanh(A x / √8) + 0.1 ε with x ~ N(0, I).</li>
 *   <li>{@link #learnClassification}: classification network 784→128→10 (MNIST-sized), ReLU. The
 *       inputs are x ~ N(0, I) and the label is the arg-max of a fixed random linear teacher, so the
 *       ten classes are about equally frequent.</li>
 * </ul>
 *
 * <p>Set-up, per trial (fork): the data is generated once from fixed seeds with {@link Rng} into a
 * pool of {@value #POOL_BATCHES} distinct mini-batches; the model is built from a fixed seed and warmed
 * with {@value #WARM_UPDATES} updates so its posterior is no longer the prior. Every invocation then
 * learns from the next batch of the pool (cycling), so the JIT sees changing data and the model keeps
 * learning through warm-up and measurement, as it does on a stream. The {@link UpdateResult} is sunk
 * into a {@link Blackhole}. A rejected update returns early and is cheaper than an accepted one, so
 * rejections are counted and reported at the end of the trial (none are expected).
 *
 * <p>Defaults: 1 fork, 3 warm-up and 5 measurement iterations of 2 s; override on the command line,
 * e.g. {@code java -jar target/bali-benchmarks.jar LearnBenchmark -f 3 -i 10}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(1)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
public class LearnBenchmark {
    /** Records per mini-batch, the configured B. */
    static final int BATCH = 32;
    /** Distinct mini-batches cycled through (a power of two). */
    static final int POOL_BATCHES = 64;
    /** Updates applied in set-up, before any timing. */
    static final int WARM_UPDATES = 50;

    /** Regression 8→64→64→1 (tanh, streaming, B = 32) and its pool of batches. */
    @State(Scope.Thread)
    public static class RegressionState {
        BaliModel model;
        double[][][] features;
        double[][] targets;
        int next;
        long updates;
        long rejected;

        @Setup(Level.Trial)
        public void setUp() {
            model = new BaliModel(Synthetic.regressionConfig().build());
            features = new double[POOL_BATCHES][][];
            targets = new double[POOL_BATCHES][];
            final Synthetic.Regression data = new Synthetic.Regression(Synthetic.REGRESSION_SIZES[0], 11L);
            for (int i = 0; i < POOL_BATCHES; i++) {
                features[i] = new double[BATCH][];
                targets[i] = new double[BATCH];
                data.fill(features[i], targets[i]);
            }
            for (int i = 0; i < WARM_UPDATES; i++) {
                Synthetic.requireAccepted(model.learn(features[i % POOL_BATCHES], targets[i % POOL_BATCHES]));
            }
            next = WARM_UPDATES % POOL_BATCHES;
        }

        @TearDown(Level.Trial)
        public void report() {
            Synthetic.reportRejections("learnRegression", updates, rejected);
        }
    }

    /** Classification 784→128→10 (ReLU, streaming, B = 32) and its pool of batches. */
    @State(Scope.Thread)
    public static class ClassificationState {
        BaliModel model;
        double[][][] features;
        int[][] labels;
        int next;
        long updates;
        long rejected;

        @Setup(Level.Trial)
        public void setUp() {
            model = new BaliModel(Synthetic.classificationConfig().build());
            features = new double[POOL_BATCHES][][];
            labels = new int[POOL_BATCHES][];
            final Synthetic.Classification data = new Synthetic.Classification(
                    Synthetic.CLASSIFICATION_SIZES[0], Synthetic.CLASSIFICATION_SIZES[2], 21L);
            for (int i = 0; i < POOL_BATCHES; i++) {
                features[i] = new double[BATCH][];
                labels[i] = new int[BATCH];
                data.fill(features[i], labels[i]);
            }
            for (int i = 0; i < WARM_UPDATES; i++) {
                Synthetic.requireAccepted(model.learn(features[i % POOL_BATCHES], labels[i % POOL_BATCHES]));
            }
            next = WARM_UPDATES % POOL_BATCHES;
        }

        @TearDown(Level.Trial)
        public void report() {
            Synthetic.reportRejections("learnClassification", updates, rejected);
        }
    }

    /** One BALI update of the 8→64→64→1 regression net on 32 records; score = records/s. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void learnRegression(final RegressionState st, final Blackhole bh) {
        final int i = st.next;
        st.next = (i + 1) & (POOL_BATCHES - 1);
        final UpdateResult r = st.model.learn(st.features[i], st.targets[i]);
        st.updates++;
        if (!r.accepted()) {
            st.rejected++;
        }
        bh.consume(r);
    }

    /** One BALI update of the 784→128→10 classifier on 32 records; score = records/s. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void learnClassification(final ClassificationState st, final Blackhole bh) {
        final int i = st.next;
        st.next = (i + 1) & (POOL_BATCHES - 1);
        final UpdateResult r = st.model.learn(st.features[i], st.labels[i]);
        st.updates++;
        if (!r.accepted()) {
            st.rejected++;
        }
        bh.consume(r);
    }

    /**
     * The benchmark workloads, shared with {@link ScoreBenchmark}: the two network configurations and
     * synthetic data from fixed seeds ({@link Rng}), so every run sees the same numbers.
     */
    static final class Synthetic {
        static final int[] REGRESSION_SIZES = {8, 64, 64, 1};
        static final int[] CLASSIFICATION_SIZES = {784, 128, 10};
        static final long MODEL_SEED = 42L;

        private Synthetic() {
        }

        /** 8→64→64→1, tanh, streaming, B = 32, S = 10. */
        static BaliConfig.Builder regressionConfig() {
            return BaliConfig.regression(REGRESSION_SIZES)
                    .activation(Activation.TANH)
                    .streaming()
                    .batchSize(BATCH)
                    .monteCarloSamples(10)
                    .seed(MODEL_SEED);
        }

        /** 784→128→10, ReLU, streaming, B = 32, S = 10. */
        static BaliConfig.Builder classificationConfig() {
            return BaliConfig.classification(CLASSIFICATION_SIZES)
                    .activation(Activation.RELU)
                    .streaming()
                    .batchSize(BATCH)
                    .monteCarloSamples(10)
                    .seed(MODEL_SEED);
        }

        static void requireAccepted(final UpdateResult r) {
            if (!r.accepted()) {
                throw new IllegalStateException("benchmark set-up: BALI update " + (r.step() + 1)
                        + " was rejected, so the model cannot be warmed and no meaningful score can be measured: "
                        + r.reason());
            }
        }

        static void reportRejections(final String name, final long updates, final long rejected) {
            if (rejected > 0) {
                System.out.println("WARNING " + name + ": " + rejected + " of " + updates
                        + " timed updates were rejected (rejected updates return early; the score is optimistic)");
            }
        }

        /** y = v·tanh(A x / √d) + 0.1 ε, x ~ N(0, I), with A (16×d) and v fixed by the seed. */
        static final class Regression {
            private static final int HIDDEN = 16;
            private final Rng rng;
            private final int d;
            private final double[][] a;
            private final double[] v;

            Regression(final int d, final long seed) {
                this.rng = new Rng(seed);
                this.d = d;
                this.a = new double[HIDDEN][d];
                this.v = new double[HIDDEN];
                for (int h = 0; h < HIDDEN; h++) {
                    rng.fillGaussian(a[h], d);
                    v[h] = rng.nextGaussian() / Math.sqrt(HIDDEN);
                }
            }

            /** Fills {@code x.length} fresh records into x (new rows) and y. */
            void fill(final double[][] x, final double[] y) {
                final double scale = 1.0 / Math.sqrt(d);
                for (int n = 0; n < x.length; n++) {
                    final double[] row = new double[d];
                    rng.fillGaussian(row, d);
                    double t = 0.0;
                    for (int h = 0; h < HIDDEN; h++) {
                        double z = 0.0;
                        for (int j = 0; j < d; j++) {
                            z += a[h][j] * row[j];
                        }
                        t += v[h] * Math.tanh(z * scale);
                    }
                    x[n] = row;
                    y[n] = t + 0.1 * rng.nextGaussian();
                }
            }
        }

        /** x ~ N(0, I), label = arg-max of W x with W (K×d) fixed by the seed. */
        static final class Classification {
            private final Rng rng;
            private final int d;
            private final int k;
            private final double[][] w;

            Classification(final int d, final int k, final long seed) {
                this.rng = new Rng(seed);
                this.d = d;
                this.k = k;
                this.w = new double[k][d];
                for (int c = 0; c < k; c++) {
                    rng.fillGaussian(w[c], d);
                }
            }

            /** Fills {@code x.length} fresh records into x (new rows) and labels. */
            void fill(final double[][] x, final int[] labels) {
                for (int n = 0; n < x.length; n++) {
                    final double[] row = new double[d];
                    rng.fillGaussian(row, d);
                    int best = 0;
                    double bestScore = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < k; c++) {
                        double z = 0.0;
                        for (int j = 0; j < d; j++) {
                            z += w[c][j] * row[j];
                        }
                        if (z > bestScore) {
                            bestScore = z;
                            best = c;
                        }
                    }
                    x[n] = row;
                    labels[n] = best;
                }
            }
        }
    }
}
