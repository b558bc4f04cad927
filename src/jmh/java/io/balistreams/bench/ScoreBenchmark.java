package io.balistreams.bench;

import io.balistreams.bali.BaliModel;
import io.balistreams.bench.LearnBenchmark.Synthetic;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Scoring throughput of the BALI engine, single thread, in <b>records per second</b>: one benchmark
 * operation is one prediction for one raw record, so the reported {@code ops/s} is records scored per
 * second.
 *
 * <p>Benchmarks:
 * <ul>
 *   <li>{@link #predict}: closed-form last-layer regression predictive ({@link BaliModel#predict}) of
 *       the 8→64→64→1 tanh network: standardisation, a forward pass with the means and the leverage
 *       āᵀΛ_L⁻¹ā.</li>
 *   <li>{@link #classify}: closed-form classification predictive ({@link BaliModel#classify}) of the
 *       784→128→10 ReLU network: the forward pass with the means, the leverage and S = 10 softmaxes of
 *       the logit draws.</li>
 *   <li>{@link #predictMonteCarlo} / {@link #classifyMonteCarlo}: Monte Carlo predictives
 *       ({@link BaliModel#predictMonteCarlo}, {@link BaliModel#classifyMonteCarlo}) with S = 10 weight
 *       samples ({@code monteCarloSamples(10)}): S full forward passes plus the leverage.</li>
 * </ul>
 * The networks and configurations (streaming, B = 32, S = 10) are those of {@link LearnBenchmark}.
 *
 * <p>What is <i>not</i> timed: the model caches its S weight samples and its S logit draws per model
 * version, and the model does not learn during these benchmarks, so the one-off cost of drawing the
 * samples after an update is paid in set-up; the scores are the steady-state cost of scoring records
 * between two updates. (On a stream that alternates one update with few predictions, add that draw to
 * the first prediction after each update.)
 *
 * <p>Set-up, per trial (fork): the model is built from a fixed seed and warmed with
 * {@value LearnBenchmark#WARM_UPDATES} updates on synthetic mini-batches from the fixed teachers of
 * {@link LearnBenchmark} (so the posterior is not the prior); a pool of {@value #POOL} further records
 * from the same teacher is generated with fixed seeds and cycled through, one record per operation,
 * so the JIT cannot constant-fold the input. Every prediction is sunk into a {@link Blackhole}.
 *
 * <p>Defaults: 1 fork, 3 warm-up and 5 measurement iterations of 2 s; override on the command line,
 * e.g. {@code java -jar target/bali-benchmarks.jar ScoreBenchmark -f 3 -i 10}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(1)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
public class ScoreBenchmark {
    /** Records cycled through (a power of two). */
    static final int POOL = 4096;

    /** Warmed regression model 8→64→64→1 and a pool of records to score. */
    @State(Scope.Thread)
    public static class RegressionState {
        BaliModel model;
        double[][] records;
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            model = new BaliModel(Synthetic.regressionConfig().build());
            final Synthetic.Regression data = new Synthetic.Regression(Synthetic.REGRESSION_SIZES[0], 11L);
            final double[][] x = new double[LearnBenchmark.BATCH][];
            final double[] y = new double[LearnBenchmark.BATCH];
            for (int i = 0; i < LearnBenchmark.WARM_UPDATES; i++) {
                data.fill(x, y);
                Synthetic.requireAccepted(model.learn(x, y));
            }
            records = new double[POOL][];
            data.fill(records, new double[POOL]);
            // Draw and cache this version's weight samples before timing.
            model.predictMonteCarlo(records[0]);
            next = 0;
        }
    }

    /** Warmed classification model 784→128→10 and a pool of records to score. */
    @State(Scope.Thread)
    public static class ClassificationState {
        BaliModel model;
        double[][] records;
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            model = new BaliModel(Synthetic.classificationConfig().build());
            final Synthetic.Classification data = new Synthetic.Classification(
                    Synthetic.CLASSIFICATION_SIZES[0], Synthetic.CLASSIFICATION_SIZES[2], 21L);
            final double[][] x = new double[LearnBenchmark.BATCH][];
            final int[] labels = new int[LearnBenchmark.BATCH];
            for (int i = 0; i < LearnBenchmark.WARM_UPDATES; i++) {
                data.fill(x, labels);
                Synthetic.requireAccepted(model.learn(x, labels));
            }
            records = new double[POOL][];
            data.fill(records, new int[POOL]);
            // Draw and cache this version's logit draws and weight samples before timing.
            model.classify(records[0]);
            model.classifyMonteCarlo(records[0]);
            next = 0;
        }
    }

    /** Closed-form regression predictive, 8→64→64→1; score = records/s. */
    @Benchmark
    public void predict(final RegressionState st, final Blackhole bh) {
        final int i = st.next;
        st.next = (i + 1) & (POOL - 1);
        bh.consume(st.model.predict(st.records[i]));
    }

    /** Closed-form classification predictive, 784→128→10; score = records/s. */
    @Benchmark
    public void classify(final ClassificationState st, final Blackhole bh) {
        final int i = st.next;
        st.next = (i + 1) & (POOL - 1);
        bh.consume(st.model.classify(st.records[i]));
    }

    /** Monte Carlo regression predictive with S = 10 cached weight samples, 8→64→64→1; score = records/s. */
    @Benchmark
    public void predictMonteCarlo(final RegressionState st, final Blackhole bh) {
        final int i = st.next;
        st.next = (i + 1) & (POOL - 1);
        bh.consume(st.model.predictMonteCarlo(st.records[i]));
    }

    /** Monte Carlo classification predictive with S = 10 cached weight samples, 784→128→10; score = records/s. */
    @Benchmark
    public void classifyMonteCarlo(final ClassificationState st, final Blackhole bh) {
        final int i = st.next;
        st.next = (i + 1) & (POOL - 1);
        bh.consume(st.model.classifyMonteCarlo(st.records[i]));
    }
}
