package io.balistreams.bench;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.FlopModel;
import io.balistreams.bali.Rng;
import io.balistreams.bali.Task;
import io.balistreams.bali.UpdateResult;
import java.util.concurrent.TimeUnit;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The engine against the machine's roofline, single thread: how many of the floating-point operations the
 * machine can do per second the engine does, learning and scoring, for small and large networks and small and
 * large mini-batches. {@link RooflineReport} runs it and turns the scores into GFLOP/s with {@link FlopModel}.
 *
 * <ul>
 *   <li>{@link #learn}: one BALI update ({@link BaliModel#learn}) from a mini-batch of {@code batch} records;
 *       score = updates per second. Networks: {@code 8-32-32-2} (tanh, classification: {@code eval prequential}'s
 *       defaults on Elec2), {@code 8-64-64-1} (tanh, regression) and {@code 784-128-10} (ReLU, classification:
 *       the image model of {@code eval ood}); batch ∈ {4, 8, 32}.</li>
 *   <li>{@link #score}: one closed-form prediction ({@link BaliModel#predict} / {@link BaliModel#classify});
 *       score = records per second.</li>
 *   <li>{@link #peak}: one dense EJML product C = A B of 256 × 256 matrices (2·256³ flops), the size at which
 *       {@code CommonOps_DDRM.mult} runs fastest here (64: ~2.5, 128: ~3.3, 256: ~3.8, 512: ~2.9 GFLOP/s on
 *       the 2-core development VM), and {@link #peakTiled}, the same product in plain Java tiled as the engine's
 *       kernels are: the larger of the two is the peak the other two are measured against, in the same run.</li>
 * </ul>
 * Data: the fixed random teachers of {@link LearnBenchmark} (seeded), a pool of 64 mini-batches cycled through
 * so the model keeps learning as on a stream; models are streaming with S = 10 and warmed with 50 updates
 * before timing (for 784-128-10, 5). Defaults: 1 fork, 2 warm-up and 3 measurement iterations of 1 s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(1)
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
public class RooflineBenchmark {
    static final int POOL = 64;

    /** The networks of the benchmark by name: widths, task and activation. */
    static BaliConfig.Builder network(final String name) {
        switch (name) {
            case "8-32-32-2":
                return BaliConfig.classification(8, 32, 32, 2).activation(Activation.TANH);
            case "8-64-64-1":
                return BaliConfig.regression(8, 64, 64, 1).activation(Activation.TANH);
            case "784-128-10":
                return BaliConfig.classification(784, 128, 10).activation(Activation.RELU);
            default:
                throw new IllegalArgumentException("unknown network " + name);
        }
    }

    /** The model of {@link #network} with batch size {@code batch}, streaming, S = 10, seed 42. */
    static BaliConfig config(final String name, final int batch) {
        return network(name).streaming().batchSize(batch).monteCarloSamples(10).seed(42L).build();
    }

    /** A model, warmed, and a pool of mini-batches from the benchmark teachers. */
    abstract static class Workload {
        BaliModel model;
        double[][][] features;
        double[][] targets;
        int[][] labels;
        int next;

        void build(final String name, final int batch) {
            final BaliConfig config = config(name, batch);
            model = new BaliModel(config);
            features = new double[POOL][batch][];
            final int d = config.inputSize();
            if (config.task() == Task.REGRESSION) {
                targets = new double[POOL][batch];
                final LearnBenchmark.Synthetic.Regression data = new LearnBenchmark.Synthetic.Regression(d, 11L);
                for (int i = 0; i < POOL; i++) {
                    data.fill(features[i], targets[i]);
                }
            } else {
                labels = new int[POOL][batch];
                final LearnBenchmark.Synthetic.Classification data =
                        new LearnBenchmark.Synthetic.Classification(d, config.numClasses(), 21L);
                for (int i = 0; i < POOL; i++) {
                    data.fill(features[i], labels[i]);
                }
            }
            final int warm = d > 100 ? 5 : 50;
            for (int i = 0; i < warm; i++) {
                LearnBenchmark.Synthetic.requireAccepted(learnNext());
            }
        }

        UpdateResult learnNext() {
            final int i = next;
            next = (i + 1) & (POOL - 1);
            return targets != null ? model.learn(features[i], targets[i]) : model.learn(features[i], labels[i]);
        }
    }

    /** A learning workload: network and batch size. */
    @State(Scope.Thread)
    public static class LearnState extends Workload {
        @Param({"8-32-32-2", "8-64-64-1", "784-128-10"})
        public String network;
        @Param({"4", "8", "32"})
        public int batch;
        long updates;
        long rejected;

        @Setup(Level.Trial)
        public void setUp() {
            build(network, batch);
        }

        @TearDown(Level.Trial)
        public void report() {
            LearnBenchmark.Synthetic.reportRejections("learn " + network + " B=" + batch, updates, rejected);
        }
    }

    /** A scoring workload: network only (the batch size does not change a prediction's cost). */
    @State(Scope.Thread)
    public static class ScoreState extends Workload {
        @Param({"8-32-32-2", "8-64-64-1", "784-128-10"})
        public String network;
        int record;

        @Setup(Level.Trial)
        public void setUp() {
            build(network, 32);
            if (labels != null) {
                model.classify(features[0][0]); // draws this version's logit offsets outside the timing
            }
        }
    }

    /** Two 256 × 256 matrices and their product. */
    @State(Scope.Thread)
    public static class PeakState {
        static final int N = 256;
        final DMatrixRMaj a = new DMatrixRMaj(N, N);
        final DMatrixRMaj b = new DMatrixRMaj(N, N);
        final DMatrixRMaj c = new DMatrixRMaj(N, N);

        @Setup(Level.Trial)
        public void setUp() {
            final Rng rng = new Rng(5L);
            rng.fillGaussian(a.data, N * N);
            rng.fillGaussian(b.data, N * N);
        }
    }

    /** One update; ops/s = updates per second. */
    @Benchmark
    public void learn(final LearnState st, final Blackhole bh) {
        final UpdateResult r = st.learnNext();
        st.updates++;
        if (!r.accepted()) {
            st.rejected++;
        }
        bh.consume(r);
    }

    /** One closed-form prediction; ops/s = records per second. */
    @Benchmark
    public void score(final ScoreState st, final Blackhole bh) {
        final int i = st.record;
        st.record = (i + 1) & (POOL * 32 - 1);
        final double[] x = st.features[i >>> 5][i & 31];
        bh.consume(st.labels != null ? st.model.classify(x) : st.model.predict(x));
    }

    /** One dense 256 × 256 product; ops/s × 2·256³ = the peak flops per second. */
    @Benchmark
    public DMatrixRMaj peak(final PeakState st) {
        CommonOps_DDRM.mult(st.a, st.b, st.c);
        return st.c;
    }

    /**
     * One 256 × 256 product C = A Bᵀ in plain Java, tiled 2 × 4 entries in registers (the technique of the engine's
     * own inner-product kernel): on this machine it outruns EJML's {@code mult}, so the report takes the larger
     * of the two as the peak that scalar Java code reaches here.
     */
    @Benchmark
    public double[] peakTiled(final PeakState st) {
        final int n = PeakState.N;
        final double[] a = st.a.data;
        final double[] b = st.b.data;
        final double[] c = st.c.data;
        for (int i = 0; i < n; i += 2) {
            final int a0 = i * n;
            final int a1 = a0 + n;
            for (int j = 0; j < n; j += 4) {
                final int b0 = j * n;
                final int b1 = b0 + n;
                final int b2 = b1 + n;
                final int b3 = b2 + n;
                double s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
                for (int k = 0; k < n; k++) {
                    final double x0 = a[a0 + k];
                    final double x1 = a[a1 + k];
                    final double y0 = b[b0 + k];
                    final double y1 = b[b1 + k];
                    final double y2 = b[b2 + k];
                    final double y3 = b[b3 + k];
                    s00 += x0 * y0;
                    s01 += x0 * y1;
                    s02 += x0 * y2;
                    s03 += x0 * y3;
                    s10 += x1 * y0;
                    s11 += x1 * y1;
                    s12 += x1 * y2;
                    s13 += x1 * y3;
                }
                c[a0 + j] = s00;
                c[a0 + j + 1] = s01;
                c[a0 + j + 2] = s02;
                c[a0 + j + 3] = s03;
                c[a1 + j] = s10;
                c[a1 + j + 1] = s11;
                c[a1 + j + 2] = s12;
                c[a1 + j + 3] = s13;
            }
        }
        return c;
    }

    /** Flops of one {@link #learn} invocation. */
    static long learnFlops(final String network, final int batch) {
        return FlopModel.of(config(network, batch)).updateTotal(batch);
    }

    /** Flops of one {@link #score} invocation. */
    static long scoreFlops(final String network) {
        return FlopModel.of(config(network, 32)).scoreTotal();
    }

    /** Flops of one {@link #peak} invocation. */
    static long peakFlops() {
        return 2L * PeakState.N * PeakState.N * PeakState.N;
    }
}
