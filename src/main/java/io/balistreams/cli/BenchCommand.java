package io.balistreams.cli;

import io.balistreams.avro.Event;
import io.balistreams.avro.Prediction;
import io.balistreams.bali.Rng;
import io.balistreams.local.EmbeddedKafka;
import io.balistreams.local.EndToEndRun;
import io.balistreams.local.PassThrough;
import io.balistreams.local.TempDirectory;
import io.balistreams.streams.BaliService;
import io.balistreams.streams.ServiceConfig;
import io.balistreams.streams.TopicSetup;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * {@code bali bench}: the end-to-end benchmark of the service (a measurement, not a test). Starts an embedded
 * broker and the service, warms it up, then pushes labelled regression events (a smooth function of
 * {@code --inputs} features plus noise) through it and reports events per second end to end and the
 * latency from an event's record timestamp to the arrival of its prediction at a read_committed consumer.
 * With {@code --rate 0} the producer sends as fast as it can (throughput; latency then includes the
 * backlog); with a rate it measures latency at that load. {@code --backlog} measures how fast the service
 * works through events sent before it starts.
 *
 * <p>{@code --pass-through} measures a trivial Kafka Streams application ({@link PassThrough}) in the same
 * way instead: the platform's ceiling. {@code --models N} spreads the events over N models, and with
 * {@code --set num.stream.threads=T} the topics get T partitions (or {@code --partitions}), so that the
 * scaling with stream threads can be measured. After the measurement (not timed) the predictions topic
 * is read again to check that every event, warm-up included, got exactly one answer.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "End-to-end benchmark on an embedded broker: events/s and p50/p99 latency event -> prediction.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--events", defaultValue = "200000", description = "Measured events (default ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--warmup", defaultValue = "50000", description = "Warm-up events before measuring (default ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--rate", defaultValue = "0",
            description = "Events per second to send; 0 = as fast as possible (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--backlog", description = "Send all events before the service starts and measure how fast it "
            + "works through them (its capacity without a competing load generator; no latency).")
    boolean backlog;

    @Option(names = "--pass-through", description = "Measure a trivial Kafka Streams application instead of the "
            + "service: the same records, broker, settings and answer counting, each event forwarded unchanged to "
            + "the predictions topic (the platform's ceiling on this machine).")
    boolean passThrough;

    @Option(names = "--models", defaultValue = "1",
            description = "Spread the events over this many models, round robin (default ${DEFAULT-VALUE}).")
    int models;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Partitions of the topics; 0 = one per stream thread (num.stream.threads, default 1).")
    int partitions;

    @Option(names = "--inputs", defaultValue = "8", description = "Features per event (default ${DEFAULT-VALUE}).")
    int inputs;

    @Option(names = "--hidden", defaultValue = "64,64", description = "Hidden layer widths (default ${DEFAULT-VALUE}).")
    String hidden;

    @Option(names = "--batch", defaultValue = "32", description = "Mini-batch size B (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a service or Kafka Streams setting (repeatable), e.g. --set processing.guarantee=at_least_once.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        if (events < 1 || warmup < 0 || rate < 0 || inputs < 1 || batch < 1 || models < 1 || partitions < 0) {
            throw new IllegalArgumentException("--events, --inputs, --batch and --models must be >= 1; "
                    + "--warmup, --rate and --partitions >= 0");
        }
        if (backlog && rate > 0) {
            throw new IllegalArgumentException("--backlog sends every event before the service starts; it takes no --rate");
        }
        try (TempDirectory stateDir = TempDirectory.create("bali-bench-state-");
             EmbeddedKafka broker = new EmbeddedKafka()) {
            final Map<String, String> s = new LinkedHashMap<>();
            s.put("bootstrap.servers", broker.bootstrapServers());
            s.put("application.id", "bali-bench");
            s.put("state.dir", stateDir.path().toString());
            s.put("bali.model.default.id", "bench");
            s.put("bali.model.task", "regression");
            s.put("bali.model.input.dimension", String.valueOf(inputs));
            s.put("bali.model.hidden", hidden);
            s.put("bali.model.batch.size", String.valueOf(batch));
            s.put("bali.batch.max.wait.ms", "0");
            s.putAll(overrides);
            final ServiceConfig config = ServiceConfig.from(s);
            final int threads = Integer.parseInt(config.streamsProperties().getProperty("num.stream.threads", "1").trim());
            final int topicPartitions = partitions > 0 ? partitions : Math.max(1, threads);
            final List<String> modelIds = modelIds(models, topicPartitions);
            try (Admin admin = Admin.create(config.clientProperties())) {
                TopicSetup.ensureTopics(admin, config, topicPartitions, Optional.empty());
            }
            final AvroSerde<Event> serde = AvroSerde.of(Event.class);
            final Rng rng = Rng.forStream(1, 0);
            // event i is for model i mod --models; every event is keyed by its model id, so that
            // bali.events.keyed.by.model=true can be measured too
            final Function<String, LongFunction<ProducerRecord<byte[], byte[]>>> records = idPrefix -> i -> {
                final List<Double> x = new ArrayList<>(inputs);
                double y = 0;
                for (int j = 0; j < inputs; j++) {
                    final double v = rng.nextGaussian();
                    x.add(v);
                    y += Math.sin(v + j);
                }
                y += 0.1 * rng.nextGaussian();
                final String modelId = modelIds.get((int) (i % models));
                final byte[] key = modelId.getBytes(StandardCharsets.UTF_8);
                return new ProducerRecord<>("", null, null, key, serde.encode(
                        new Event(idPrefix + i, models == 1 ? null : modelId, Instant.now(), x, y)));
            };
            try (BaliService app = passThrough ? new BaliService(config, PassThrough.topology(config))
                    : new BaliService(config)) {
                final String what = passThrough ? "the pass-through application" : "the service";
                final EndToEndRun.Result r;
                if (backlog) {
                    progress("sending " + (warmup + events) + " events, then starting " + what + " ...");
                    r = EndToEndRun.backlog(config, warmup, events, records.apply("b"), () -> {
                                app.start();
                                app.awaitRunning(Duration.ofSeconds(60));
                            },
                            Duration.ofSeconds(60));
                } else {
                    app.start();
                    app.awaitRunning(Duration.ofSeconds(60));
                    final EndToEndRun.Listener quiet = new EndToEndRun.Listener() {
                        @Override
                        public boolean decodes() {
                            return false; // count the answers only (the pass-through's are events, not predictions)
                        }
                    };
                    if (warmup > 0) {
                        progress("warming up with " + warmup + " events ...");
                        EndToEndRun.run(config, warmup, records.apply("w"), quiet, Duration.ofSeconds(60), rate);
                    }
                    progress("measuring " + events + " events ...");
                    r = EndToEndRun.run(config, events, records.apply("b"), quiet, Duration.ofSeconds(60), rate);
                }
                if (!r.complete()) {
                    throw new IllegalStateException("not all of the " + events + " events were answered before the answers "
                            + "stopped coming"
                            + app.failure().map(f -> "; " + what + " failed: " + f).orElse(""));
                }
                // not timed: every event (warm-up included) got exactly one answer
                final Deserializer<Prediction> predictions = config.recordSerdes().serde(Prediction.class).deserializer();
                final EndToEndRun.Answers answers = EndToEndRun.countAnswers(config, value -> (passThrough
                                ? serde.decode(value).getEventId()
                                : predictions.deserialize(config.predictionsTopic(), value).getEventId()).toString(),
                        warmup + events, Duration.ofSeconds(60));
                if (!answers.exactlyOnce()) {
                    throw new IllegalStateException(answers.distinctEvents() + " of " + answers.expected()
                            + " events were answered, " + answers.duplicates() + " answers were duplicates");
                }
                report(config, r, answers, threads, topicPartitions, modelIds);
            }
        }
        return 0;
    }

    private void report(final ServiceConfig config, final EndToEndRun.Result r, final EndToEndRun.Answers answers,
                        final int threads, final int topicPartitions, final List<String> modelIds) {
        final String guarantee = config.streamsProperties().getProperty("processing.guarantee");
        final String model = inputs + "-" + hidden.replace(',', '-') + "-1";
        final String described = config.modelDefaults().toBaliConfig(inputs).describe();
        final PrintWriter o = spec.commandLine().getOut();
        if (output.json) {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("mode", passThrough ? "pass-through" : "service");
            out.put("events", events);
            out.put("rate", rate);
            out.put("backlog", backlog);
            out.put("model", model);
            out.put("batch", batch);
            out.put("guarantee", guarantee);
            out.put("keyed_by_model", config.eventsKeyedByModel());
            out.put("threads", threads);
            out.put("models", models);
            out.put("partitions", topicPartitions);
            out.put("models_per_partition", modelsPerPartition(modelIds, topicPartitions));
            out.put("answers", answers.records());
            out.put("answered_events", answers.distinctEvents());
            out.put("events_per_second", r.eventsPerSecond());
            if (!backlog) {
                final Map<String, Object> latency = new LinkedHashMap<>();
                latency.put("p50", r.latencyQuantileMs(0.5));
                latency.put("p99", r.latencyQuantileMs(0.99));
                latency.put("max", r.latencyQuantileMs(1.0));
                out.put("latency_ms", latency);
            }
            o.println(Json.write(out));
        } else {
            final String subject = passThrough ? "Kafka Streams pass-through (the platform's ceiling)"
                    : "the service, model " + described;
            o.printf(Locale.ROOT, "%,d events%s, %s, %s, %d stream thread(s), %d model(s) on %d partition(s)%n",
                    events, backlog ? " from a backlog" : "", subject, guarantee, threads, models, topicPartitions);
            if (backlog) {
                o.printf(Locale.ROOT, "works through %,.0f events/s%n", r.eventsPerSecond());
            } else {
                o.printf(Locale.ROOT, "send rate %s: end to end %,.0f events/s   latency p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                        rate == 0 ? "unlimited" : String.format(Locale.ROOT, "%,.0f/s", rate), r.eventsPerSecond(),
                        r.latencyQuantileMs(0.5), r.latencyQuantileMs(0.99), r.latencyQuantileMs(1.0));
            }
        }
        o.flush();
    }

    /**
     * The model ids of the events: "bench" for one model (events without a model id, the default model);
     * for more, ids chosen so that model k lands on partition k mod {@code partitions} of the events topic
     * (and of the repartition topic) under Kafka's key hash, so that the models spread evenly over the
     * partitions and so over the stream threads.
     */
    static List<String> modelIds(final int models, final int partitions) {
        if (models == 1) {
            return List.of("bench");
        }
        final List<String> ids = new ArrayList<>(models);
        for (int k = 0; k < models; k++) {
            for (int j = 0; ; j++) {
                final String id = "bench-" + j;
                if (partition(id, partitions) == k % partitions && !ids.contains(id)) {
                    ids.add(id);
                    break;
                }
            }
        }
        return ids;
    }

    /** The partition Kafka's default partitioner gives this key (murmur2 of the UTF-8 bytes). */
    static int partition(final String key, final int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    private static List<Integer> modelsPerPartition(final List<String> modelIds, final int partitions) {
        final Integer[] counts = new Integer[partitions];
        Arrays.fill(counts, 0);
        modelIds.forEach(id -> counts[partition(id, partitions)]++);
        return Arrays.asList(counts);
    }

    private void progress(final String message) {
        if (!output.json) {
            spec.commandLine().getErr().println(message);
            spec.commandLine().getErr().flush();
        }
    }
}
