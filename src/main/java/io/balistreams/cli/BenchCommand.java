package io.balistreams.cli;

import io.balistreams.avro.Event;
import io.balistreams.avro.Prediction;
import io.balistreams.local.EmbeddedKafka;
import io.balistreams.local.EndToEndRun;
import io.balistreams.local.LearnLoop;
import io.balistreams.local.PassThrough;
import io.balistreams.local.SyntheticRegression;
import io.balistreams.local.SoakRun;
import io.balistreams.local.TempDirectory;
import io.balistreams.streams.BaliService;
import io.balistreams.streams.ServiceConfig;
import io.balistreams.streams.TopicSetup;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
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
 * broker and the service, warms it up, then pushes regression events (a smooth function of {@code --inputs}
 * features plus noise, {@link SyntheticRegression}) through it and reports events per second end to end and
 * the latency from an event's record timestamp to the arrival of its prediction at a read_committed consumer.
 * With {@code --rate 0} the producer sends as fast as it can (throughput; latency then includes the
 * backlog); with a rate it measures latency at that load. {@code --backlog} measures how fast the service
 * works through events sent before it starts.
 *
 * <p>The events carry their label, so the service scores and then learns from each (test-then-train).
 * {@code --unlabelled} sends them without one: the service only scores them, learns nothing, and keeps
 * each scored event waiting for a label that never comes (the store {@code bali-awaiting}, bounded by
 * {@code bali.labels.max.waiting} per task and {@code bali.labels.max.delay.ms}; the bench leaves both at
 * their defaults and reports them, {@code --set} changes them). The answers' check reports how many
 * predictions were for labelled events and the largest model version that served one (0: nothing learned).
 *
 * <p>{@code --pass-through} measures a trivial Kafka Streams application ({@link PassThrough}) in the same
 * way instead: the platform's ceiling. {@code --models N} spreads the events over N models, and with
 * {@code --set num.stream.threads=T} the topics get T partitions (or {@code --partitions}), so that the
 * scaling with stream threads can be measured. After the measurement (not timed) the predictions topic
 * is read again to check that every event, warm-up included, got exactly one answer.
 *
 * <p>{@code --suite} runs, one after another in this JVM on the one broker, everything that compares the
 * service with its platform and its engine: (a) the pass-through, (b) scoring only (unlabelled events),
 * (c) learning (labelled events), each from a backlog; (d) the engine's learning rate for the same network
 * and B in-process, without Kafka ({@link LearnLoop}, comparable to JMH's {@code LearnBenchmark}); (e) the
 * latency of unlabelled events sent at half of (b)'s rate; (f) scoring only with one and with two stream
 * threads, both on two partitions with at least two models (one per partition). Each Kafka run has its
 * own application.id (suffixed with the part's name) and its own topics (prefixed with it), so no run sees
 * another's records; {@code --set} applies to every run, so the suite can be repeated per setting (e.g. per
 * scoring mode). It reports a table (or, with
 * {@code --json}, one entry per part) and the ratios scoring / pass-through, learning / engine and
 * 2 threads / 1 thread, and the p99 latency at half capacity.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "End-to-end benchmark on an embedded broker: events/s and p50/p99 latency event -> prediction; "
                + "--suite measures pass-through, scoring, learning, the engine, latency and threads in one run.")
public final class BenchCommand implements Callable<Integer> {
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

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

    @Option(names = "--unlabelled", description = "Send events without a label: the service only scores them and "
            + "learns nothing; each scored event waits for its label (store bali-awaiting, bounded by "
            + "bali.labels.max.waiting and bali.labels.max.delay.ms, which --set can change).")
    boolean unlabelled;

    @Option(names = "--suite", description = "Measure one after another on one broker: (a) the pass-through, "
            + "(b) scoring only, (c) learning, each from a backlog; (d) the engine learning in-process, without "
            + "Kafka; (e) latency at half of (b)'s events/s; (f) scoring with 1 and 2 stream threads on 2 partitions. "
            + "Reports each and the ratios; --set applies to every run.")
    boolean suite;

    @Option(names = "--soak", description = "Run the service over a long stream (--events, e.g. 10000000, over "
            + "--models models and --partitions partitions) with the labels flow: half the events labelled inside, "
            + "40 % labelled later on the labels topic, 10 % never; sample every --sample-every events the heap after "
            + "a full GC, the RSS, every state store's entries and bytes, every changelog's bytes and the throughput "
            + "(one line per sample; with --json one object with every sample).")
    boolean soak;

    @Option(names = "--sample-every", defaultValue = "100000",
            description = "With --soak: answered events between two samples (default ${DEFAULT-VALUE}).")
    long sampleEvery;

    @Option(names = "--label-lag", defaultValue = "20000",
            description = "With --soak: events sent between an event and its label (default ${DEFAULT-VALUE}; keep it "
                    + "above 5000, the most events the soak lets go unanswered).")
    int labelLag;

    @Option(names = "--engine-seconds", defaultValue = "3", description = "With --suite: seconds of warm-up, then "
            + "seconds measured, of the in-process engine loop (default ${DEFAULT-VALUE}).")
    double engineSeconds;

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

    /**
     * One measurement on the broker: which application, which events, and how they are sent.
     *
     * @param name        empty for a single run (application.id {@code bali-bench} unless --set names one, the
     *                    configuration's topic names); in the suite, the part's name, which suffixes the
     *                    application.id and prefixes every topic, so that the runs on one broker do not see
     *                    each other's records
     * @param passThrough the pass-through application instead of the service
     * @param labelled    the events carry their label (otherwise they are scored only)
     * @param backlog     every event is sent before the application starts
     * @param rate        events per second to send without a backlog; 0: as fast as possible
     * @param models      the models the events are spread over
     * @param partitions  partitions of the topics; 0: one per stream thread
     * @param settings    settings applied on top of the user's --set (the suite's num.stream.threads)
     */
    record Part(String name, boolean passThrough, boolean labelled, boolean backlog, double rate, int models,
                int partitions, Map<String, String> settings) {
        /** A backlog measurement (no rate). */
        static Part backlog(final String name, final boolean passThrough, final boolean labelled, final int models,
                            final int partitions, final Map<String, String> settings) {
            return new Part(name, passThrough, labelled, true, 0, models, partitions, settings);
        }
    }

    /**
     * What one measurement found.
     *
     * @param served what the predictions said, or null for the pass-through (its answers are the events)
     */
    record Measurement(Part part, ServiceConfig config, int threads, int partitions, List<String> modelIds,
                       EndToEndRun.Result result, EndToEndRun.Answers answers, Served served) {
        double eventsPerSecond() {
            return result.eventsPerSecond();
        }
    }

    /**
     * Reads each prediction's event id for the exactly-once check (not timed) and tallies on the way how many
     * predictions answered a labelled event and the largest model version that served one (0: the model
     * never learned).
     */
    static final class Served implements Function<byte[], String> {
        private final Deserializer<Prediction> predictions;
        private final String topic;
        private long labelled;
        private long modelVersion;

        Served(final ServiceConfig config) {
            this.predictions = config.recordSerdes().serde(Prediction.class).deserializer();
            this.topic = config.predictionsTopic();
        }

        @Override
        public String apply(final byte[] value) {
            final Prediction p = predictions.deserialize(topic, value);
            if (p.getLabelled()) {
                labelled++;
            }
            modelVersion = Math.max(modelVersion, p.getModelVersion());
            return p.getEventId().toString();
        }
    }

    @Override
    public Integer call() {
        if (events < 1 || warmup < 0 || rate < 0 || inputs < 1 || batch < 1 || models < 1 || partitions < 0) {
            throw new IllegalArgumentException("--events, --inputs, --batch and --models must be >= 1; "
                    + "--warmup, --rate and --partitions >= 0");
        }
        if (backlog && rate > 0) {
            throw new IllegalArgumentException("--backlog sends every event before the service starts; it takes no --rate");
        }
        if (suite && (backlog || rate > 0 || passThrough || unlabelled)) {
            throw new IllegalArgumentException("--suite chooses the application, the labels and the sending of each "
                    + "of its parts; it takes no --backlog, --rate, --pass-through or --unlabelled");
        }
        if (!(engineSeconds > 0)) {
            throw new IllegalArgumentException("--engine-seconds must be > 0");
        }
        if (soak && (suite || backlog || rate > 0 || passThrough || unlabelled)) {
            throw new IllegalArgumentException("--soak sends its own mix of labelled and unlabelled events as fast as the "
                    + "service answers; it takes no --suite, --backlog, --rate, --pass-through or --unlabelled");
        }
        if (sampleEvery < 1 || labelLag < 1) {
            throw new IllegalArgumentException("--sample-every and --label-lag must be >= 1");
        }
        try (TempDirectory stateDir = TempDirectory.create("bali-bench-state-");
             EmbeddedKafka broker = new EmbeddedKafka()) {
            if (soak) {
                soak(broker, stateDir);
            } else if (suite) {
                suite(broker, stateDir);
            } else {
                report(measure(broker, stateDir,
                        new Part("", passThrough, !unlabelled, backlog, rate, models, partitions, Map.of())));
            }
        }
        return 0;
    }

    /**
     * One measurement: creates the part's topics, starts its application, sends the warm-up and the measured
     * events (a backlog first, or at the part's rate), then checks (not timed) that every event got exactly
     * one answer.
     */
    private Measurement measure(final EmbeddedKafka broker, final TempDirectory stateDir, final Part part) {
        final ServiceConfig config = config(broker, stateDir, part);
        final int threads = Integer.parseInt(config.streamsProperties().getProperty("num.stream.threads", "1").trim());
        final int topicPartitions = part.partitions() > 0 ? part.partitions() : Math.max(1, threads);
        final List<String> modelIds = modelIds(part.models(), topicPartitions);
        try (Admin admin = Admin.create(config.clientProperties())) {
            TopicSetup.ensureTopics(admin, config, topicPartitions, Optional.empty());
        }
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final Function<String, LongFunction<ProducerRecord<byte[], byte[]>>> records = records(part, modelIds, serde);
        final String what = part.passThrough() ? "the pass-through application" : "the service";
        try (BaliService app = part.passThrough() ? new BaliService(config, PassThrough.topology(config))
                : new BaliService(config)) {
            final Runnable start = () -> {
                app.start();
                app.awaitRunning(Duration.ofSeconds(60));
            };
            final EndToEndRun.Result r;
            if (part.backlog()) {
                progress(part, "sending " + (warmup + events) + " events, then starting " + what + " ...");
                r = EndToEndRun.backlog(config, warmup, events, records.apply("b"), start, IDLE_TIMEOUT);
            } else {
                start.run();
                final EndToEndRun.Listener quiet = new EndToEndRun.Listener() {
                    @Override
                    public boolean decodes() {
                        return false; // count the answers only (the pass-through's are events, not predictions)
                    }
                };
                if (warmup > 0) {
                    progress(part, "warming up with " + warmup + " events ...");
                    EndToEndRun.run(config, warmup, records.apply("w"), quiet, IDLE_TIMEOUT, part.rate());
                }
                progress(part, "measuring " + events + " events ...");
                r = EndToEndRun.run(config, events, records.apply("b"), quiet, IDLE_TIMEOUT, part.rate());
            }
            if (!r.complete()) {
                throw new IllegalStateException("not all of the " + events + " events were answered before the answers "
                        + "stopped coming" + app.failure().map(f -> "; " + what + " failed: " + f).orElse(""));
            }
            // not timed: every event (warm-up included) got exactly one answer
            final Served served = part.passThrough() ? null : new Served(config);
            final EndToEndRun.Answers answers = EndToEndRun.countAnswers(config, served != null ? served
                    : value -> serde.decode(value).getEventId().toString(), warmup + events, IDLE_TIMEOUT);
            if (!answers.exactlyOnce()) {
                throw new IllegalStateException(answers.distinctEvents() + " of " + answers.expected()
                        + " events were answered, " + answers.duplicates() + " answers were duplicates");
            }
            return new Measurement(part, config, threads, topicPartitions, modelIds, r, answers, served);
        }
    }

    /**
     * {@code --soak}: the service over {@code --events} events with the labels flow, sampled every
     * {@code --sample-every} answered events ({@link SoakRun}).
     */
    private void soak(final EmbeddedKafka broker, final TempDirectory stateDir) {
        final Part part = new Part("", false, true, false, 0, models, partitions, Map.of());
        final ServiceConfig config = config(broker, stateDir, part);
        final int threads = Integer.parseInt(config.streamsProperties().getProperty("num.stream.threads", "1").trim());
        final int topicPartitions = partitions > 0 ? partitions : Math.max(1, threads);
        final PrintWriter o = spec.commandLine().getOut();
        final List<Map<String, Object>> samples = new ArrayList<>();
        try (BaliService service = new BaliService(config)) {
            service.createTopics(topicPartitions, Optional.empty());
            service.start();
            service.awaitRunning(Duration.ofSeconds(60));
            progress("soak: " + events + " events over " + models + " model(s) of " + modelName() + " on "
                    + topicPartitions + " partition(s), a sample every " + sampleEvery + " ...");
            if (!output.json) {
                o.println("  answered  seconds  events/s  heap-MB  rss-MB  awaiting  pending  changelogs-MB  state-MB");
                o.flush();
            }
            final SoakRun.Result result = SoakRun.run(service, new SoakRun.Settings(events, models, topicPartitions,
                    sampleEvery, 5_000, labelLag), s -> {
                        samples.add(soakJson(s));
                        if (!output.json) {
                            o.printf(Locale.ROOT, "%10d %8.0f %9.0f %8.1f %7.1f %9d %8d %14.1f %9.1f%n", s.answered(),
                                    s.seconds(), s.eventsPerSecond(), s.heapAfterGcBytes() / 1048576.0,
                                    s.rssBytes() / 1048576.0, s.storeEntries().get("bali-awaiting"),
                                    s.storeEntries().get("bali-pending"),
                                    s.changelogBytes().values().stream().mapToLong(Long::longValue).sum() / 1048576.0,
                                    s.storeBytes().values().stream().mapToLong(Long::longValue).sum() / 1048576.0);
                            o.flush();
                        }
                    }, IDLE_TIMEOUT);
            final Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("events", events);
            summary.put("models", models);
            summary.put("partitions", topicPartitions);
            summary.put("network", modelName());
            summary.put("predictions", result.predictions());
            summary.put("event_dead_letters", result.eventDeadLetters());
            summary.put("labels_sent", result.labelsSent());
            summary.put("label_dead_letters", result.labelDeadLetters());
            summary.put("dead_letter_reasons", result.deadLetterReasons());
            summary.put("guarantee", guarantee(config));
            summary.put("samples", samples);
            if (output.json) {
                o.println(Json.write(summary));
            } else {
                o.printf(Locale.ROOT, "%d predictions, %d events dead-lettered; %d labels sent later, %d dead-lettered %s%n",
                        result.predictions(), result.eventDeadLetters(), result.labelsSent(), result.labelDeadLetters(),
                        result.deadLetterReasons());
            }
            o.flush();
        }
    }

    private static Map<String, Object> soakJson(final SoakRun.Sample s) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("answered", s.answered());
        m.put("seconds", s.seconds());
        m.put("events_per_second", s.eventsPerSecond());
        m.put("heap_after_gc_bytes", s.heapAfterGcBytes());
        m.put("rss_bytes", s.rssBytes());
        m.put("store_entries", s.storeEntries());
        m.put("store_bytes", s.storeBytes());
        m.put("changelog_bytes", s.changelogBytes());
        return m;
    }

    /** The configuration of one part: the bench's settings, then --set, then the part's own. */
    private ServiceConfig config(final EmbeddedKafka broker, final TempDirectory stateDir, final Part part) {
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
        s.putAll(part.settings());
        if (!part.name().isEmpty()) {
            s.put("application.id", s.get("application.id") + "-" + part.name());
            for (final String key : ServiceConfig.TOPIC_KEYS) {
                s.put(key, part.name() + "-" + s.getOrDefault(key, ServiceConfig.DEFAULTS.get(key)[0]));
            }
        }
        return ServiceConfig.from(s);
    }

    /**
     * Whether events are keyed by event id: under distributed scoring ({@code --set bali.scoring=distributed}),
     * so that one model's events spread over every partition (every part of the run is keyed the same way).
     */
    private boolean keyedByEventId() {
        return "distributed".equals(overrides.get("bali.scoring"));
    }

    /**
     * The part's events: event i (of the records with id prefix p) is "p" + i, for model i mod the number of
     * models, keyed by its model id (so that bali.events.keyed.by.model=true can be measured too) or, under
     * distributed scoring, by its event id; with its label unless the part is unlabelled. Every part sends
     * the same feature values.
     */
    private Function<String, LongFunction<ProducerRecord<byte[], byte[]>>> records(
            final Part part, final List<String> modelIds, final AvroSerde<Event> serde) {
        final SyntheticRegression data = new SyntheticRegression(inputs);
        return idPrefix -> i -> {
            final double[] x = new double[inputs];
            final double y = data.next(x);
            final String modelId = modelIds.get((int) (i % modelIds.size()));
            final byte[] key = (keyedByEventId() ? idPrefix + i : modelId).getBytes(StandardCharsets.UTF_8);
            return new ProducerRecord<>("", null, null, key, serde.encode(new Event(idPrefix + i,
                    modelIds.size() == 1 ? null : modelId, Instant.now(), Arrays.stream(x).boxed().toList(),
                    part.labelled() ? y : null)));
        };
    }

    /**
     * The suite: the Kafka parts one after another on the broker, each with its own application and topics,
     * and the engine loop in between (while the broker is idle).
     */
    private void suite(final EmbeddedKafka broker, final TempDirectory stateDir) {
        final Measurement platform = measure(broker, stateDir,
                Part.backlog("pass-through", true, false, models, partitions, Map.of()));
        final Measurement scoring = measure(broker, stateDir,
                Part.backlog("scoring", false, false, models, partitions, Map.of()));
        final Measurement learning = measure(broker, stateDir,
                Part.backlog("learning", false, true, models, partitions, Map.of()));
        progress("engine: learning in-process for " + engineSeconds + " s after " + engineSeconds + " s of warm-up ...");
        final Duration engineTime = Duration.ofNanos((long) (engineSeconds * 1e9));
        final LearnLoop.Result engine = LearnLoop.run(learning.config().modelDefaults().toBaliConfig(inputs),
                new SyntheticRegression(inputs), engineTime, engineTime);
        final Measurement latency = measure(broker, stateDir,
                new Part("latency", false, false, false, 0.5 * scoring.eventsPerSecond(), models, partitions, Map.of()));
        final int threadModels = Math.max(2, models); // one model per partition at least, or a thread idles
        final Measurement oneThread = measure(broker, stateDir,
                Part.backlog("scoring-1-thread", false, false, threadModels, 2, Map.of("num.stream.threads", "1")));
        final Measurement twoThreads = measure(broker, stateDir,
                Part.backlog("scoring-2-threads", false, false, threadModels, 2, Map.of("num.stream.threads", "2")));

        final double p99 = latency.result().latencyQuantileMs(0.99);
        final Map<String, Object> ratios = new LinkedHashMap<>();
        ratios.put("scoring_per_pass_through", scoring.eventsPerSecond() / platform.eventsPerSecond());
        ratios.put("learning_per_engine", learning.eventsPerSecond() / engine.recordsPerSecond());
        ratios.put("two_threads_per_one_thread", twoThreads.eventsPerSecond() / oneThread.eventsPerSecond());
        final PrintWriter o = spec.commandLine().getOut();
        if (output.json) {
            final Map<String, Object> parts = new LinkedHashMap<>();
            parts.put("pass_through", json(platform));
            parts.put("scoring", json(scoring));
            parts.put("learning", json(learning));
            parts.put("engine", json(engine, learning.config()));
            parts.put("latency_at_half_capacity", json(latency));
            parts.put("scoring_1_thread", json(oneThread));
            parts.put("scoring_2_threads", json(twoThreads));
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("suite", true);
            out.put("model", modelName());
            out.put("batch", batch);
            out.put("guarantee", guarantee(learning.config()));
            out.put("events", events);
            out.put("warmup", warmup);
            out.put("settings", overrides);
            out.put("parts", parts);
            out.put("ratios", ratios);
            out.put("p99_ms_at_half_capacity", p99);
            o.println(Json.write(out));
        } else {
            o.printf(Locale.ROOT, "bench suite: the service with model %s, %s, %,d events after %,d of warm-up per "
                            + "Kafka run, on one embedded broker%s%n",
                    learning.config().modelDefaults().toBaliConfig(inputs).describe(), guarantee(learning.config()),
                    events, warmup, overrides.isEmpty() ? "" : ", --set " + overrides);
            o.printf(Locale.ROOT, "%-52s %12s %8s %8s  %s%n", "part", "events/s", "p50 ms", "p99 ms", "threads, models/partition");
            row(o, "(a) pass-through (Kafka Streams alone), backlog", platform);
            row(o, "(b) scoring only (unlabelled), backlog", scoring);
            row(o, "(c) learning (labelled), backlog", learning);
            o.printf(Locale.ROOT, "%-52s %12s %8s %8s  %s%n", "(d) engine learning, in-process (records/s)",
                    String.format(Locale.ROOT, "%,.0f", engine.recordsPerSecond()), "-", "-",
                    "BaliModel.learn in a loop, no Kafka: comparable to JMH LearnBenchmark");
            row(o, String.format(Locale.ROOT, "(e) scoring at %,.0f/s (half of b), unlabelled", latency.part().rate()),
                    latency);
            row(o, "(f) scoring, 1 stream thread, 2 partitions, backlog", oneThread);
            row(o, "(f) scoring, 2 stream threads, 2 partitions, backlog", twoThreads);
            o.printf(Locale.ROOT, "scoring / pass-through %.3f   learning / engine %.3f   2 threads / 1 thread %.3f   "
                            + "p99 at half capacity %.0f ms%n", ratios.get("scoring_per_pass_through"),
                    ratios.get("learning_per_engine"), ratios.get("two_threads_per_one_thread"), p99);
            o.println(awaitingNote(scoring.config()));
            if (engine.rejected() > 0) {
                o.printf(Locale.ROOT, "WARNING: %d of %d engine updates were rejected (they return early; (d) is "
                        + "optimistic)%n", engine.rejected(), engine.updates());
            }
        }
        o.flush();
    }

    private static void row(final PrintWriter o, final String label, final Measurement m) {
        final EndToEndRun.Result r = m.result();
        final boolean timed = !m.part().backlog();
        o.printf(Locale.ROOT, "%-52s %,12.0f %8s %8s  %d, %s%n", label, r.eventsPerSecond(),
                timed ? String.format(Locale.ROOT, "%.0f", r.latencyQuantileMs(0.5)) : "-",
                timed ? String.format(Locale.ROOT, "%.0f", r.latencyQuantileMs(0.99)) : "-",
                m.threads(), modelsPerPartition(m.modelIds(), m.partitions()));
    }

    /** One measurement's JSON entry. */
    private Map<String, Object> json(final Measurement m) {
        final Part part = m.part();
        final ServiceConfig config = m.config();
        final EndToEndRun.Result r = m.result();
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("mode", part.passThrough() ? "pass-through" : "service");
        out.put("events", events);
        out.put("rate", part.rate());
        out.put("backlog", part.backlog());
        out.put("labelled", part.labelled());
        out.put("model", modelName());
        out.put("batch", batch);
        out.put("guarantee", guarantee(config));
        out.put("keyed_by_model", config.eventsKeyedByModel());
        out.put("scoring", config.distributedScoring() ? "distributed" : "learner");
        out.put("threads", m.threads());
        out.put("models", part.models());
        out.put("partitions", m.partitions());
        out.put("models_per_partition", modelsPerPartition(m.modelIds(), m.partitions()));
        out.put("answers", m.answers().records());
        out.put("answered_events", m.answers().distinctEvents());
        if (m.served() != null) {
            out.put("labelled_answers", m.served().labelled);
            out.put("model_version", m.served().modelVersion);
            if (!part.labelled()) {
                final Map<String, Object> awaiting = new LinkedHashMap<>();
                awaiting.put("max_waiting", config.labelsMaxWaiting());
                awaiting.put("max_delay_ms", config.labelsMaxDelayMs());
                out.put("awaiting_labels", awaiting);
            }
        }
        out.put("events_per_second", r.eventsPerSecond());
        if (!part.backlog()) {
            final Map<String, Object> latency = new LinkedHashMap<>();
            latency.put("p50", r.latencyQuantileMs(0.5));
            latency.put("p99", r.latencyQuantileMs(0.99));
            latency.put("max", r.latencyQuantileMs(1.0));
            out.put("latency_ms", latency);
        }
        return out;
    }

    /** The engine loop's JSON entry. */
    private Map<String, Object> json(final LearnLoop.Result engine, final ServiceConfig config) {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("mode", "engine");
        out.put("in_process", true);
        out.put("note", "BaliModel.learn in a loop in this JVM, no Kafka: comparable to JMH LearnBenchmark");
        out.put("model", modelName());
        out.put("network", config.modelDefaults().toBaliConfig(inputs).describe());
        out.put("batch", batch);
        out.put("updates", engine.updates());
        out.put("rejected", engine.rejected());
        out.put("seconds", engine.seconds());
        out.put("records_per_second", engine.recordsPerSecond());
        return out;
    }

    /** A single measurement's report. */
    private void report(final Measurement m) {
        final PrintWriter o = spec.commandLine().getOut();
        if (output.json) {
            o.println(Json.write(json(m)));
        } else {
            final Part part = m.part();
            final EndToEndRun.Result r = m.result();
            final String subject = part.passThrough() ? "Kafka Streams pass-through (the platform's ceiling)"
                    : "the service, model " + m.config().modelDefaults().toBaliConfig(inputs).describe();
            o.printf(Locale.ROOT, "%,d %s events%s, %s, %s, %d stream thread(s), %d model(s) on %d partition(s)%n",
                    events, part.labelled() ? "labelled" : "unlabelled", part.backlog() ? " from a backlog" : "",
                    subject, guarantee(m.config()), m.threads(), part.models(), m.partitions());
            if (part.backlog()) {
                o.printf(Locale.ROOT, "works through %,.0f events/s%n", r.eventsPerSecond());
            } else {
                o.printf(Locale.ROOT, "send rate %s: end to end %,.0f events/s   latency p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                        part.rate() == 0 ? "unlimited" : String.format(Locale.ROOT, "%,.0f/s", part.rate()),
                        r.eventsPerSecond(), r.latencyQuantileMs(0.5), r.latencyQuantileMs(0.99), r.latencyQuantileMs(1.0));
            }
            if (m.served() != null && !part.labelled()) {
                o.printf(Locale.ROOT, "scored only: %,d labelled answers, largest model version %d%n",
                        m.served().labelled, m.served().modelVersion);
                o.println(awaitingNote(m.config()));
            }
        }
        o.flush();
    }

    private static String awaitingNote(final ServiceConfig config) {
        return String.format(Locale.ROOT, "unlabelled events wait for their labels in the service's store: at most "
                        + "bali.labels.max.waiting = %,d per task, for bali.labels.max.delay.ms = %,d ms (change with --set)",
                config.labelsMaxWaiting(), config.labelsMaxDelayMs());
    }

    private String modelName() {
        return inputs + "-" + hidden.replace(',', '-') + "-1";
    }

    private static String guarantee(final ServiceConfig config) {
        return config.streamsProperties().getProperty("processing.guarantee");
    }

    /**
     * The model ids of the events: "bench" for one model (events without a model id, the default model);
     * for more, ids chosen so that model k lands on partition k mod {@code partitions} of the events topic
     * (and of the repartition topic) under Kafka's key hash, so that the models spread evenly over the
     * partitions and so over the stream threads.
     */
    static List<String> modelIds(final int models, final int partitions) {
        return models == 1 ? List.of("bench") : EndToEndRun.spreadModelIds("bench-", models, partitions);
    }

    private static List<Integer> modelsPerPartition(final List<String> modelIds, final int partitions) {
        final Integer[] counts = new Integer[partitions];
        Arrays.fill(counts, 0);
        modelIds.forEach(id -> counts[EndToEndRun.partition(id, partitions)]++);
        return Arrays.asList(counts);
    }

    private void progress(final Part part, final String message) {
        progress(part.name().isEmpty() ? message : part.name() + ": " + message);
    }

    private void progress(final String message) {
        if (!output.json) {
            spec.commandLine().getErr().println(message);
            spec.commandLine().getErr().flush();
        }
    }
}
