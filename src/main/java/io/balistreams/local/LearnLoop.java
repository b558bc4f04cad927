package io.balistreams.local;

import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.Task;
import io.balistreams.bali.UpdateResult;

import java.time.Duration;

/**
 * The engine's learning rate measured in-process, without Kafka: {@link BaliModel#learn} in a tight loop,
 * what the JMH benchmark {@code LearnBenchmark.learnRegression} measures, for the network and batch size of
 * {@code bali bench} ({@code bali bench --suite}, part d). As there, a pool of {@value #POOL_BATCHES}
 * distinct mini-batches is generated before any timing and cycled through, and the model keeps learning
 * all the time, so the posterior moves as it does on a stream; unlike JMH it runs in the bench's own JVM
 * (after the Kafka parts, with the embedded broker idle), timed with {@link System#nanoTime()} over one
 * period after a warm-up period, so it is comparable to the JMH figure but noisier. The network is the
 * service's (the bench's default 8→64→64→1 has the service's default ReLU, where the JMH regression network
 * is tanh), and the data is the bench's events ({@link SyntheticRegression}). Rejected updates return
 * early and are cheaper, so they are counted ({@link Result#rejected()}); none are expected.
 */
public final class LearnLoop {
    /** Distinct mini-batches cycled through. */
    public static final int POOL_BATCHES = 64;

    /**
     * What the loop measured.
     *
     * @param updates   BALI updates (calls of {@link BaliModel#learn}) in the measured period
     * @param rejected  of those, the rejected ones
     * @param batchSize records per update (B)
     * @param seconds   the measured period
     */
    public record Result(long updates, long rejected, int batchSize, double seconds) {
        /** Records learned per second: updates × B / seconds. */
        public double recordsPerSecond() {
            return updates * (double) batchSize / seconds;
        }
    }

    private LearnLoop() {
    }

    /**
     * Learns from {@code data} for {@code warmup} (not timed), then for {@code measured}.
     *
     * @param config a regression network with {@code data.inputs()} inputs
     */
    public static Result run(final BaliConfig config, final SyntheticRegression data, final Duration warmup,
                             final Duration measured) {
        if (config.task() != Task.REGRESSION || config.inputSize() != data.inputs()) {
            throw new IllegalArgumentException("the learning loop needs a regression network with " + data.inputs()
                    + " inputs, got " + config.describe());
        }
        final int b = config.batchSize();
        final double[][][] features = new double[POOL_BATCHES][b][data.inputs()];
        final double[][] targets = new double[POOL_BATCHES][b];
        for (int i = 0; i < POOL_BATCHES; i++) {
            for (int n = 0; n < b; n++) {
                targets[i][n] = data.next(features[i][n]);
            }
        }
        final BaliModel model = new BaliModel(config);
        int next = loop(model, features, targets, 0, warmup.toNanos(), null);
        final long[] counts = new long[2];
        final long start = System.nanoTime();
        loop(model, features, targets, next, measured.toNanos(), counts);
        return new Result(counts[0], counts[1], b, (System.nanoTime() - start) / 1e9);
    }

    /** Learns batch after batch for {@code nanos}; counts updates and rejections into {@code counts} if given. */
    private static int loop(final BaliModel model, final double[][][] features, final double[][] targets, int next,
                            final long nanos, final long[] counts) {
        final long end = System.nanoTime() + nanos;
        do {
            final UpdateResult r = model.learn(features[next], targets[next]);
            next = (next + 1) % POOL_BATCHES;
            if (counts != null) {
                counts[0]++;
                if (!r.accepted()) {
                    counts[1]++;
                }
            }
        } while (System.nanoTime() < end);
        return next;
    }
}
