package io.balistreams.cli;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DriftAlert;
import io.balistreams.avro.Event;
import io.balistreams.avro.Prediction;
import io.balistreams.eval.SeaConcepts;
import io.balistreams.streams.BaliService;
import io.balistreams.streams.ModelSpec;
import io.balistreams.local.EmbeddedKafka;
import io.balistreams.local.EndToEndRun;
import io.balistreams.streams.ServiceConfig;
import io.balistreams.local.TempDirectory;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code bali demo}: the whole service on a real Kafka broker with no setup. Starts a single-node KRaft broker
 * inside the JVM (or uses {@code --bootstrap-servers}), creates the topics, starts the service, streams the
 * SEA concepts (abrupt drift at known points) into {@code events} with a few malformed records mixed in, reads
 * back every prediction and dead letter with {@code read_committed}, and summarises: predictions = valid events
 * sent, dead letters = bad records sent, accuracy before and after each drift, latency and throughput.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the service on an embedded Kafka broker: stream a drifting data set (SEA concepts) "
                + "through it, test-then-train, and summarise predictions, dead letters and accuracy around each drift.")
public final class DemoCommand implements Callable<Integer> {
    static final long MAX_EVENTS = 100_000_000L;

    @Spec
    CommandSpec spec;

    @Option(names = "--events", defaultValue = "40000", description = "Number of events (default ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--concept-length", defaultValue = "10000",
            description = "Events per SEA concept; a drift every this many events (default ${DEFAULT-VALUE}).")
    long conceptLength;

    @Option(names = "--noise", defaultValue = "0.1", description = "Label noise (default ${DEFAULT-VALUE}).")
    double noise;

    @Option(names = "--memory", defaultValue = "2000",
            description = "Effective memory N_eff of the model in records; sets beta = 1 - B/N_eff (default ${DEFAULT-VALUE}).")
    double memory;

    @Option(names = "--window", defaultValue = "1000",
            description = "Events averaged for the accuracy before and after each drift (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--bad-every", defaultValue = "5000",
            description = "Send one malformed record (rotating: undecodable bytes, NaN feature, wrong dimension, "
                    + "label out of range) after every this many events; 0 = none (default ${DEFAULT-VALUE}).")
    long badEvery;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the stream and the model (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Use this Kafka cluster instead of an embedded broker (topics get a unique demo prefix).")
    String bootstrapServers;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a service or Kafka Streams setting (repeatable), e.g. --set bali.model.hidden=64,64 "
                    + "--set processing.guarantee=at_least_once.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        if (events < 1 || conceptLength < 1 || window < 1 || badEvery < 0) {
            throw new IllegalArgumentException("--events, --concept-length and --window must be >= 1, --bad-every >= 0");
        }
        if (events > MAX_EVENTS) {
            throw new IllegalArgumentException("--events must be at most " + MAX_EVENTS + " (one hit flag per event is kept)");
        }
        if (!(memory > 32)) {
            throw new IllegalArgumentException("--memory must exceed the batch size 32, got " + memory);
        }
        final PrintWriter err = spec.commandLine().getErr();
        final String runId = UUID.randomUUID().toString().substring(0, 8);
        final TempDirectory stateDir = TempDirectory.create("bali-demo-state-");
        EmbeddedKafka broker = null;
        try {
            if (bootstrapServers == null) {
                if (!output.json) {
                    err.println("starting an embedded Kafka broker (KRaft) ...");
                    err.flush();
                }
                broker = new EmbeddedKafka();
            }
            final String servers = broker != null ? broker.bootstrapServers() : bootstrapServers;
            final ServiceConfig config = ServiceConfig.from(settings(servers, runId, stateDir.path(), broker == null));
            return run(config, err);
        } finally {
            if (broker != null) {
                broker.close();
            }
            stateDir.close();
        }
    }

    private Map<String, String> settings(final String servers, final String runId, final Path stateDir,
                                         final boolean sharedCluster) {
        final Map<String, String> s = new LinkedHashMap<>();
        s.put("bootstrap.servers", servers);
        s.put("application.id", "bali-demo-" + runId);
        s.put("state.dir", stateDir.toString());
        if (sharedCluster) {
            final String prefix = "bali-demo-" + runId + "-";
            for (final String key : ServiceConfig.TOPIC_KEYS) {
                s.put(key, prefix + ServiceConfig.DEFAULTS.get(key)[0]);
            }
        }
        s.put("bali.model.default.id", "sea");
        s.put("bali.model.task", "classification");
        s.put("bali.model.classes", "2");
        s.put("bali.model.input.dimension", "3");
        s.put("bali.model.hidden", "32,32");
        s.put("bali.model.activation", "tanh");
        s.put("bali.model.batch.size", "32");
        s.put("bali.model.beta", String.valueOf(1.0 - 32 / memory));
        s.put("bali.model.seed", String.valueOf(seed));
        s.put("bali.batch.max.wait.ms", "0"); // full batches only: the demo's figures are reproducible
        s.putAll(overrides);
        return s;
    }

    private int run(final ServiceConfig config, final PrintWriter err) {
        // a live progress line (redrawn with \r) only on a terminal: in a log file it would be noise
        final boolean showProgress = !output.json && System.console() != null;
        final SeaConcepts stream = new SeaConcepts(seed, conceptLength, noise);
        final int[] labels = new int[(int) events];
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final long bad = badEvery == 0 ? 0 : events / badEvery;
        final long total = events + bad;
        final double[] x = new double[3];
        final long[] nextEvent = {0};
        final java.util.function.LongFunction<ProducerRecord<byte[], byte[]>> records = i -> {
            // record i: event e = nextEvent, or a bad record after every badEvery events
            final long e = nextEvent[0];
            if (badEvery > 0 && e > 0 && e % badEvery == 0 && i - e < e / badEvery) {
                return badRecord(serde, i - e);
            }
            final int label = stream.next(x);
            labels[(int) e] = label;
            nextEvent[0]++;
            return new ProducerRecord<>("", null, null, serde.encode(new Event("sea-" + e, null,
                    Instant.now(), List.of(x[0], x[1], x[2]), (double) label)));
        };

        final boolean[] hits = new boolean[(int) events];
        final boolean[] scored = new boolean[(int) events];
        final long[] counters = new long[3]; // correct, ood flags, last model version
        final Map<io.balistreams.avro.DeadLetterReason, Long> deadByReason =
                new EnumMap<>(io.balistreams.avro.DeadLetterReason.class);
        final List<DriftAlert> alarms = new ArrayList<>();
        final EndToEndRun.Listener listener = new EndToEndRun.Listener() {
            @Override
            public void prediction(final Prediction p, final long latencyMs) {
                final int e = Integer.parseInt(p.getEventId().substring(4));
                scored[e] = true;
                hits[e] = p.getClassification().getPredictedClass() == labels[e];
                if (hits[e]) {
                    counters[0]++;
                }
                if (p.getOodFlag()) {
                    counters[1]++;
                }
                counters[2] = Math.max(counters[2], p.getModelVersion());
            }

            @Override
            public void deadLetter(final DeadLetter d) {
                deadByReason.merge(d.getReason(), 1L, Long::sum);
            }

            @Override
            public void driftAlert(final DriftAlert a) {
                alarms.add(a);
            }

            @Override
            public void progress(final long sent, final long predictions, final long deadLetters, final double seconds) {
                if (showProgress) {
                    err.printf(Locale.ROOT, "\rsent %,d  predictions %,d  %,.0f events/s  accuracy %.4f  dead letters %d  drift alarms %d   ",
                            sent, predictions, predictions / Math.max(seconds, 1e-9),
                            counters[0] / (double) Math.max(1, predictions), deadLetters, alarms.size());
                    err.flush();
                }
            }
        };

        try (BaliService service = new BaliService(config)) {
            service.createTopics(1, Optional.empty());
            service.start();
            service.awaitRunning(Duration.ofSeconds(60));
            final EndToEndRun.Result result = EndToEndRun.run(config, total, records, listener, Duration.ofSeconds(60));
            if (showProgress) {
                err.print("\r" + " ".repeat(110) + "\r");
                err.flush();
            }
            if (!result.complete()) {
                throw new IllegalStateException("the service answered " + result.predictions() + " predictions and "
                        + result.deadLetters() + " dead letters for " + result.sent() + " records within the time limit"
                        + service.failure().map(f -> "; it failed: " + f).orElse(""));
            }
            report(config, result, hits, scored, counters, deadByReason, alarms);
        }
        return 0;
    }

    /** The k-th malformed record, rotating through four kinds of bad input. */
    private static ProducerRecord<byte[], byte[]> badRecord(final AvroSerde<Event> serde, final long k) {
        final byte[] value = switch ((int) (k % 4)) {
            case 0 -> "not an avro message".getBytes(StandardCharsets.UTF_8);
            case 1 -> serde.encode(new Event("bad-" + k, null, Instant.now(), List.of(1.0, Double.NaN, 3.0), 1.0));
            case 2 -> serde.encode(new Event("bad-" + k, null, Instant.now(), List.of(1.0, 2.0), 1.0));
            default -> serde.encode(new Event("bad-" + k, null, Instant.now(), List.of(1.0, 2.0, 3.0), 7.0));
        };
        return new ProducerRecord<>("", null, null, value);
    }

    private void report(final ServiceConfig config, final EndToEndRun.Result result, final boolean[] hits,
                        final boolean[] scored, final long[] counters,
                        final Map<io.balistreams.avro.DeadLetterReason, Long> deadByReason, final List<DriftAlert> alarms) {
        final List<double[]> drifts = new ArrayList<>();
        for (long d = conceptLength; d < events; d += conceptLength) {
            drifts.add(new double[]{d, accuracy(hits, d - window, d), accuracy(hits, d, d + window)});
        }
        long missing = 0;
        for (final boolean s : scored) {
            if (!s) {
                missing++;
            }
        }
        final double accuracy = counters[0] / (double) events;
        if (output.json) {
            final StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "{\"events_sent\":%d,\"valid_events\":%d,\"predictions\":%d,"
                            + "\"unscored_events\":%d,\"dead_letters\":%d,\"events_per_second\":%.1f,\"accuracy\":%.6f,"
                            + "\"latency_ms\":{\"p50\":%.0f,\"p99\":%.0f},\"model_version\":%d,\"ood_flags\":%d,\"drift_alarms\":[",
                    result.sent(), events, result.predictions(), missing, result.deadLetters(), result.eventsPerSecond(),
                    accuracy, result.latencyQuantileMs(0.5), result.latencyQuantileMs(0.99), counters[2], counters[1]));
            for (int k = 0; k < alarms.size(); k++) {
                final DriftAlert a = alarms.get(k);
                sb.append(k == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"position\":%d,\"detector\":\"%s\",\"level\":\"%s\"}", a.getPosition(), a.getDetector(), a.getLevel()));
            }
            sb.append("],\"drifts\":[");
            for (int k = 0; k < drifts.size(); k++) {
                final double[] d = drifts.get(k);
                sb.append(k == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"position\":%d,\"accuracy_before\":%.6f,\"accuracy_after\":%.6f}", (long) d[0], d[1], d[2]));
            }
            spec.commandLine().getOut().println(sb.append("]}"));
            spec.commandLine().getOut().flush();
            return;
        }
        final PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "SEA concepts through Kafka Streams (%s, exactly-once): %,d events, drift every %,d, label noise %.2f%n",
                config.streamsProperties().getProperty("bootstrap.servers"), events, conceptLength, noise);
        final ModelSpec model = config.modelDefaults();
        out.printf(Locale.ROOT, "model %s%n", model.toBaliConfig(model.inputDimension() == null ? 3 : model.inputDimension())
                .describe());
        out.printf(Locale.ROOT, "records sent %,d = %,d events + %,d malformed%n", result.sent(), events, result.sent() - events);
        out.printf(Locale.ROOT, "predictions %,d (events without one: %d)   dead letters %,d %s%n", result.predictions(),
                missing, result.deadLetters(), deadByReason);
        out.printf(Locale.ROOT, "prequential accuracy %.4f   %,.0f events/s end to end   latency p50 %.0f ms, p99 %.0f ms   model version %d%n",
                accuracy, result.eventsPerSecond(), result.latencyQuantileMs(0.5), result.latencyQuantileMs(0.99), counters[2]);
        for (final double[] d : drifts) {
            out.printf(Locale.ROOT, "drift at %,d: accuracy %.4f in the %d events before, %.4f in the %d after%n",
                    (long) d[0], d[1], window, d[2], window);
        }
        final List<String> driftAlarms = new ArrayList<>();
        long warnings = 0;
        for (final DriftAlert a : alarms) {
            if (a.getLevel() == io.balistreams.avro.DriftLevel.DRIFT) {
                driftAlarms.add(String.format(Locale.ROOT, "%,d (%s)", a.getPosition(), a.getDetector()));
            } else {
                warnings++;
            }
        }
        out.printf(Locale.ROOT, "drift alarms at %s; %d warnings; out-of-distribution flags %,d (%.2f%% of events)%n",
                driftAlarms.isEmpty() ? "none" : String.join(", ", driftAlarms), warnings, counters[1],
                100.0 * counters[1] / events);
        out.flush();
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
