package io.balistreams.cli;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.UpdateResult;
import io.balistreams.eval.SeaConcepts;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bali demo}: learns a streaming BALI classifier on the SEA concepts stream (abrupt drift at
 * known points), test-then-train, and reports accuracy just before and just after each drift.
 *
 * <p>This runs the learning engine in-process; the Kafka Streams service (embedded broker, topics)
 * is a separate piece of work and not part of this command yet.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Stream a drifting data set (SEA concepts) through an online BALI classifier, "
                + "test-then-train, and summarise accuracy around each drift.")
public final class DemoCommand implements Callable<Integer> {
    static final long MAX_EVENTS = 100_000_000L;

    @Option(names = "--events", defaultValue = "40000", description = "Number of events (default ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--concept-length", defaultValue = "10000",
            description = "Events per SEA concept; a drift every this many events (default ${DEFAULT-VALUE}).")
    long conceptLength;

    @Option(names = "--noise", defaultValue = "0.1", description = "Label noise (default ${DEFAULT-VALUE}).")
    double noise;

    @Option(names = "--memory", defaultValue = "2000",
            description = "Effective memory N_eff of the model in records (default ${DEFAULT-VALUE}).")
    double memory;

    @Option(names = "--window", defaultValue = "1000",
            description = "Events averaged for the accuracy before and after each drift (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the stream and the model (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        if (events < 1 || conceptLength < 1 || window < 1) {
            throw new IllegalArgumentException("--events, --concept-length and --window must be >= 1");
        }
        if (events > MAX_EVENTS) {
            throw new IllegalArgumentException("--events must be at most " + MAX_EVENTS + " (one hit flag per event is kept)");
        }
        final BaliConfig config = BaliConfig.classification(3, 32, 32, 2).activation(Activation.TANH)
                .batchSize(32).effectiveMemory(memory).seed(seed).build();
        final BaliModel model = new BaliModel(config);
        final SeaConcepts stream = new SeaConcepts(seed, conceptLength, noise);
        final int b = config.batchSize();
        final double[][] batchX = new double[b][3];
        final int[] batchY = new int[b];
        int pending = 0;
        long correct = 0;
        long rejected = 0;
        final boolean[] hits = new boolean[(int) events];
        final PrintStream err = System.err;
        final long start = System.nanoTime();
        long lastReport = start;
        for (long i = 0; i < events; i++) {
            final double[] x = batchX[pending];
            final int label = stream.next(x);
            final ClassificationPrediction p = model.classify(x);
            final boolean hit = p.predictedClass() == label;
            hits[(int) i] = hit;
            if (hit) {
                correct++;
            }
            batchY[pending++] = label;
            if (pending == b) {
                final UpdateResult r = model.learn(batchX, batchY);
                if (!r.accepted()) {
                    rejected++;
                }
                pending = 0;
            }
            final long now = System.nanoTime();
            if (!output.json && now - lastReport > 500_000_000L) {
                err.printf(Locale.ROOT, "\r%,d events  %,.0f events/s  accuracy %.4f", i + 1,
                        (i + 1) / ((now - start) / 1e9), correct / (double) (i + 1));
                lastReport = now;
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        if (!output.json) {
            err.print("\r" + " ".repeat(72) + "\r");
            err.flush();
        }
        final List<double[]> drifts = new ArrayList<>();
        for (long d = conceptLength; d < events; d += conceptLength) {
            drifts.add(new double[]{d, accuracy(hits, d - window, d), accuracy(hits, d, d + window)});
        }
        final double accuracy = correct / (double) events;
        if (output.json) {
            final StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "{\"events\":%d,\"events_per_second\":%.1f,\"accuracy\":%.6f,"
                    + "\"rejected_updates\":%d,\"model_version\":%d,\"drifts\":[", events, events / seconds, accuracy,
                    rejected, model.step()));
            for (int k = 0; k < drifts.size(); k++) {
                final double[] d = drifts.get(k);
                sb.append(k == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"position\":%d,\"accuracy_before\":%.6f,\"accuracy_after\":%.6f}", (long) d[0], d[1], d[2]));
            }
            System.out.println(sb.append("]}"));
        } else {
            final PrintStream out = System.out;
            out.printf(Locale.ROOT, "SEA concepts, %,d events, drift every %,d, label noise %.2f%n", events,
                    conceptLength, noise);
            out.printf(Locale.ROOT, "model %s%n", config);
            out.printf(Locale.ROOT, "prequential accuracy %.4f   %,.0f events/s   model version %d   rejected updates %d%n",
                    accuracy, events / seconds, model.step(), rejected);
            for (final double[] d : drifts) {
                out.printf(Locale.ROOT, "drift at %,d: accuracy %.4f in the %d events before, %.4f in the %d after%n",
                        (long) d[0], d[1], window, d[2], window);
            }
        }
        return 0;
    }

    private static double accuracy(final boolean[] hits, final long from, final long to) {
        final int a = (int) Math.max(0, from);
        final int b = (int) Math.min(hits.length, to);
        int c = 0;
        for (int i = a; i < b; i++) {
            if (hits[i]) {
                c++;
            }
        }
        return b > a ? c / (double) (b - a) : Double.NaN;
    }
}
