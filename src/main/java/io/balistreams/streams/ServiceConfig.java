package io.balistreams.streams;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliMixture;
import io.balistreams.bali.Task;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.monitor.OodScore;
import io.balistreams.monitor.PrequentialLoss;
import io.balistreams.streams.serde.RecordSerdes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The service's configuration, read from one properties map. Keys starting with {@code bali.} belong to the
 * service (documented in {@link #DEFAULTS} and the README); every other key is passed unchanged to Kafka
 * Streams and through it to the clients (bootstrap servers, security settings, client overrides).
 * Every {@code bali.} key has a default and is validated here, with an error naming the key.
 */
public final class ServiceConfig {
    /** The service's own keys with their defaults and meaning (the README's configuration table). */
    public static final Map<String, String[]> DEFAULTS = new LinkedHashMap<>();

    static {
        doc("bali.topic.events", "events", "input topic of Event records");
        doc("bali.topic.labels", "labels", "input topic of Label records: outcomes of events scored earlier (same partitioning as events)");
        doc("bali.topic.predictions", "predictions", "one Prediction per valid event");
        doc("bali.topic.drift-alerts", "drift-alerts", "DriftAlert records");
        doc("bali.topic.model-metrics", "model-metrics", "ModelMetrics records");
        doc("bali.topic.model-snapshots", "model-snapshots", "ModelSnapshot records (compacted, key = model id)");
        doc("bali.topic.model-posteriors", "model-posteriors",
                "ModelPosterior records: each model's serving posterior, what scoring needs (compacted, key = model id)");
        doc("bali.topic.dead-letter", "dead-letter", "DeadLetter records: refused input with its reason");
        doc("bali.topic.model-config", "model-config", "ModelConfig overrides per model (compacted, key = model id)");
        doc("bali.topic.model-config-valid", "model-config-validated",
                "the entries of model-config that passed validation (compacted; read as a global table)");
        doc("bali.models.max", "1000", "maximum number of models one instance creates; later new models are refused");
        doc("bali.model.default.id", "default", "model of events without a model id; empty: such events are refused");
        doc("bali.events.keyed.by.model", "false",
                "true: producers key every event by its model id (UTF-8), so the learner reads the events topic "
                        + "directly, without the repartition topic (one commit hop less); an event with another key "
                        + "is dead-lettered (KEY_NOT_MODEL_ID)");
        doc("bali.scoring", "learner",
                "learner: each event is scored in its model's learner task (one task per model scores and learns); "
                        + "distributed: events are scored where they arrive, on any partition, thread or instance, with "
                        + "each model's latest published posterior (bali.posterior.every), and only labelled examples go "
                        + "to the learner (docs/architecture.md section 7)");
        doc("bali.batch.max.wait.ms", "5000",
                "a partial mini-batch older than this is learned from anyway (wall clock); 0 = wait for a full batch");
        doc("bali.labels.max.delay.ms", String.valueOf(24L * 3600 * 1000),
                "an unlabelled scored event waits this long (event time) for its label on the labels topic, then expires");
        doc("bali.labels.max.waiting", "100000",
                "unlabelled scored events waiting for a label per learner task; past it the oldest stop waiting; 0 = keep none");
        doc("bali.metrics.every", "1000", "labelled events between two ModelMetrics records of a model");
        doc("bali.snapshot.every", "100", "updates between two ModelSnapshot records of a model; 0 = never");
        doc("bali.posterior.every", "10", "accepted updates between two ModelPosterior records of a model (and one at creation); 0 = never");
        doc("bali.static.membership", "true", "give this instance a stable group.instance.id (application id, host "
                + "name, state directory) so that after a crash or kill it gets its tasks back as soon as it restarts, "
                + "not after the session timeout; a group.instance.id in the configuration wins; false: dynamic membership");
        doc("bali.http.port", "", "port of the HTTP endpoint for operators: /metrics (Prometheus), /health/live, "
                + "/health/ready, /models (model queries); empty: no endpoint; 0: any free port");
        doc("bali.http.bind.address", "127.0.0.1", "address the HTTP endpoint listens on: 127.0.0.1 (this host "
                + "only), or 0.0.0.0 (every interface: other hosts, a published container port, a Prometheus "
                + "elsewhere)");
        doc("bali.state.max.bytes", String.valueOf(64 << 20),
                "largest serialised model state: sets max.message.bytes of the changelog, snapshot, posterior and "
                        + "model-config topics (an imported model rides in its model-config entry), and, with 1 MiB "
                        + "more, of the dead-letter topic and the producer's max.request.size");
        doc("bali.serdes.class", RecordSerdes.SingleObjectSerdes.class.getName(),
                "serdes of the public topics (io.balistreams.streams.serde.RecordSerdes implementation)");
        doc("bali.drift.detector", "adwin", "detector on each model's prequential loss: adwin, page-hinkley or none");
        doc("bali.drift.loss", "error", "loss it watches: error (0/1 error; squared standardised residual for regression) or nll");
        doc("bali.drift.adwin.delta", "0.002", "ADWIN confidence delta of the drift level");
        doc("bali.drift.adwin.warning.delta", "0.01", "ADWIN delta of the warning level (>= the drift delta)");
        doc("bali.drift.ph.delta", "0.005", "Page-Hinkley magnitude delta (about half the smallest rise of the loss worth detecting)");
        doc("bali.drift.ph.lambda", "50", "Page-Hinkley drift threshold lambda");
        doc("bali.drift.ph.warning.lambda", "25", "Page-Hinkley warning threshold");
        doc("bali.drift.cooldown", "500", "values after a drift alarm of a detector during which it raises no new alarm");
        doc("bali.drift.feature", "true", "an ADWIN on the out-of-distribution flags of all scored events (input drift, before labels)");
        doc("bali.forgetting.adaptive", "true", "on a drift alarm, forget faster for a while (docs/method.md section 4)");
        doc("bali.forgetting.alarm.memory", "0.5", "memory right after a drift alarm, as a fraction of N_eff: beta = 1 - (1 - beta)/fraction");
        doc("bali.forgetting.recovery.updates", "20", "updates over which beta returns geometrically to its configured value");
        doc("bali.ood.score", "leverage", "out-of-distribution score: leverage (last layer) or uncertainty (entropy; epistemic variance for regression)");
        doc("bali.ood.quantile", "0.99", "the flag threshold is this quantile of recent training scores");
        doc("bali.ood.min.count", "200", "training scores needed before events are flagged");
        doc("bali.model.task", "classification", "classification or regression");
        doc("bali.model.input.dimension", "", "number of features; empty: taken from each model's first event");
        doc("bali.model.hidden", "64,64", "widths of the hidden layers, comma-separated; empty: no hidden layer");
        doc("bali.model.activation", "relu", "relu, tanh or identity");
        doc("bali.model.classes", "2", "number of classes K (classification)");
        doc("bali.model.class.names", "", "comma-separated class names (index = class); empty: numbered classes");
        doc("bali.model.batch.size", "32", "labelled events per BALI update (B)");
        doc("bali.model.beta", "0.9", "EMA decay per batch; N_eff = B/(1-beta) (docs/method.md section 4)");
        doc("bali.model.beta.g", "", "EMA decay per batch of the output-side factor G; empty: the same as beta");
        doc("bali.model.prior.precision", "1.0", "prior precision lambda of every layer");
        doc("bali.model.seed", "42", "seed of each model's random numbers");
        doc("bali.model.experts", "", "a Bayesian mixture over these memories instead of one model, each MEMORYxBATCH "
                + "(e.g. 50x4,500x8,4000x32; docs/method.md section 11); batch.size and beta then set only the "
                + "monitor's reference memory; empty: one model");
        doc("bali.model.share", "0.01", "fixed share alpha of a mixture's weights, in [0, 1)");
    }

    /** The keys naming the service's public topics (their defaults are the topic names). */
    public static final List<String> TOPIC_KEYS = List.of("bali.topic.events", "bali.topic.labels", "bali.topic.predictions",
            "bali.topic.drift-alerts", "bali.topic.model-metrics", "bali.topic.model-snapshots", "bali.topic.model-posteriors",
            "bali.topic.dead-letter", "bali.topic.model-config", "bali.topic.model-config-valid");

    private static void doc(final String key, final String value, final String meaning) {
        DEFAULTS.put(key, new String[]{value, meaning});
    }

    private final Map<String, String> values;
    private final ModelSpec modelDefaults;
    private final ModelMonitor.Settings monitorSettings;
    // parsed once: some are read for every event
    private final int maxModels;
    private final long batchMaxWaitMs;
    private final boolean eventsKeyedByModel;
    private final boolean distributedScoring;
    private final int metricsEvery;
    private final Integer httpPort;
    private final java.net.InetAddress httpBindAddress;
    private final boolean staticMembership;
    private final long snapshotEvery;
    private final long posteriorEvery;
    private final long labelsMaxDelayMs;
    private final int labelsMaxWaiting;
    private final int stateMaxBytes;
    private final OodScore oodScore;
    private final PrequentialLoss driftLoss;

    private ServiceConfig(final Map<String, String> values) {
        this.values = values;
        for (final String key : values.keySet()) {
            if (key.startsWith("bali.") && !DEFAULTS.containsKey(key)) {
                throw new IllegalArgumentException("unknown configuration key " + key + " (known: "
                        + String.join(", ", DEFAULTS.keySet()) + ")");
            }
        }
        maxModels = positiveInt("bali.models.max");
        batchMaxWaitMs = nonNegativeLong("bali.batch.max.wait.ms");
        eventsKeyedByModel = parseBoolean("bali.events.keyed.by.model");
        distributedScoring = switch (get("bali.scoring")) {
            case "learner" -> false;
            case "distributed" -> true;
            default -> throw new IllegalArgumentException("bali.scoring must be learner or distributed, not '"
                    + get("bali.scoring") + "'");
        };
        if (distributedScoring && eventsKeyedByModel) {
            throw new IllegalArgumentException("bali.events.keyed.by.model=true applies to bali.scoring=learner: with "
                    + "distributed scoring, events are scored where they arrive and need no key");
        }
        metricsEvery = positiveInt("bali.metrics.every");
        staticMembership = parseBoolean("bali.static.membership");
        httpPort = get("bali.http.port").isBlank() ? null : parseInt("bali.http.port");
        if (httpPort != null && (httpPort < 0 || httpPort > 65535)) {
            throw new IllegalArgumentException("bali.http.port must be in [0, 65535] or empty, got " + httpPort);
        }
        httpBindAddress = ipAddress("bali.http.bind.address");
        snapshotEvery = nonNegativeLong("bali.snapshot.every");
        posteriorEvery = nonNegativeLong("bali.posterior.every");
        if (distributedScoring && posteriorEvery == 0) {
            throw new IllegalArgumentException("bali.scoring=distributed scores with the published posteriors: "
                    + "bali.posterior.every must be at least 1");
        }
        labelsMaxDelayMs = nonNegativeLong("bali.labels.max.delay.ms");
        labelsMaxWaiting = nonNegativeInt("bali.labels.max.waiting");
        stateMaxBytes = positiveInt("bali.state.max.bytes");
        for (final String topicKey : TOPIC_KEYS) {
            if (get(topicKey).isBlank()) {
                throw new IllegalArgumentException(topicKey + " must not be empty");
            }
        }
        recordSerdes(); // fail at start-up, not at the first record, for a bad bali.serdes.class
        try {
            this.modelDefaults = readModelDefaults();
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bali.model.*: " + e.getMessage(), e);
        }
        if (modelDefaults.inputDimension() != null) {
            final long bytes = modelDefaults.stateBytes(modelDefaults.inputDimension());
            if (bytes > stateMaxBytes) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "bali.model.*: a model of the defaults "
                        + "would have a state of about %,d bytes, %,d more than bali.state.max.bytes = %d", bytes,
                        bytes - stateMaxBytes, stateMaxBytes));
            }
        }
        oodScore = parseEnum(OodScore.class, "bali.ood.score");
        driftLoss = parseEnum(PrequentialLoss.class, "bali.drift.loss");
        try {
            this.monitorSettings = readMonitorSettings();
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bali.drift.* / bali.forgetting.* / bali.ood.*: " + e.getMessage(), e);
        }
    }

    private ModelMonitor.Settings readMonitorSettings() {
        final String detector = get("bali.drift.detector").toUpperCase(Locale.ROOT).replace('-', '_');
        final ModelMonitor.Detector kind;
        try {
            kind = ModelMonitor.Detector.valueOf(detector);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bali.drift.detector must be adwin, page-hinkley or none, got '"
                    + get("bali.drift.detector") + "'");
        }
        return new ModelMonitor.Settings(kind, parseDouble("bali.drift.adwin.delta"),
                parseDouble("bali.drift.adwin.warning.delta"), parseDouble("bali.drift.ph.delta"),
                parseDouble("bali.drift.ph.lambda"), parseDouble("bali.drift.ph.warning.lambda"),
                parseBoolean("bali.forgetting.adaptive"), parseDouble("bali.forgetting.alarm.memory"),
                parseInt("bali.forgetting.recovery.updates"), parseLong("bali.drift.cooldown"),
                parseBoolean("bali.drift.feature"), parseDouble("bali.ood.quantile"), parseInt("bali.ood.min.count"));
    }

    private boolean parseBoolean(final String key) {
        final String v = get(key).toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(key + " must be true or false, got '" + get(key) + "'");
        }
        return Boolean.parseBoolean(v);
    }

    /** Drift detection, adaptive forgetting and OOD threshold settings of every model (the defaults). */
    public ModelMonitor.Settings monitorSettings() {
        return monitorSettings;
    }

    /**
     * The monitor settings of a model: the defaults with the monitoring fields of its {@code model-config}
     * entry applied (null entry or fields keep the defaults).
     *
     * @throws IllegalArgumentException if the result is invalid (the message names the setting)
     */
    public ModelMonitor.Settings monitorSettings(final io.balistreams.avro.ModelConfig entry) {
        if (entry == null) {
            return monitorSettings;
        }
        return monitorSettings.with(
                entry.getDriftDetector() == null ? null : ModelMonitor.Detector.valueOf(entry.getDriftDetector().name()),
                entry.getAdwinDelta(), entry.getAdaptiveForgetting(), entry.getAlarmMemory(), entry.getOodQuantile());
    }

    public OodScore oodScore() {
        return oodScore;
    }

    /** Loss fed to each model's drift detector. */
    public PrequentialLoss driftLoss() {
        return driftLoss;
    }

    /** A configuration from properties (unset keys take their defaults). */
    public static ServiceConfig from(final Properties properties) {
        final Map<String, String> m = new TreeMap<>();
        properties.stringPropertyNames().forEach(k -> m.put(k, properties.getProperty(k).trim()));
        return new ServiceConfig(m);
    }

    /** A configuration from a map (unset keys take their defaults). */
    public static ServiceConfig from(final Map<String, String> map) {
        final Properties p = new Properties();
        p.putAll(map);
        return from(p);
    }

    /** The value of a key, or its default. */
    public String get(final String key) {
        final String v = values.get(key);
        if (v != null) {
            return v;
        }
        final String[] d = DEFAULTS.get(key);
        return d == null ? null : d[0];
    }

    public String eventsTopic() { return get("bali.topic.events"); }
    public String labelsTopic() { return get("bali.topic.labels"); }
    public String posteriorsTopic() { return get("bali.topic.model-posteriors"); }

    /** Accepted updates between two published serving posteriors of a model (0: never). */
    public long posteriorEvery() { return posteriorEvery; }

    /** How long (event time) an unlabelled scored event waits for its label. */
    public long labelsMaxDelayMs() { return labelsMaxDelayMs; }

    /** Unlabelled scored events kept waiting per learner task (0: none). */
    public int labelsMaxWaiting() { return labelsMaxWaiting; }
    public String predictionsTopic() { return get("bali.topic.predictions"); }
    public String driftAlertsTopic() { return get("bali.topic.drift-alerts"); }
    public String metricsTopic() { return get("bali.topic.model-metrics"); }
    public String snapshotsTopic() { return get("bali.topic.model-snapshots"); }
    public String deadLetterTopic() { return get("bali.topic.dead-letter"); }
    public String modelConfigTopic() { return get("bali.topic.model-config"); }
    public String validModelConfigTopic() { return get("bali.topic.model-config-valid"); }

    /** Every public topic the service reads or writes, in a fixed order. */
    public List<String> topics() {
        return List.of(eventsTopic(), labelsTopic(), predictionsTopic(), driftAlertsTopic(), metricsTopic(),
                snapshotsTopic(), posteriorsTopic(), deadLetterTopic(), modelConfigTopic(), validModelConfigTopic());
    }

    /** The topics that hold one latest record per key and are compacted. */
    public List<String> compactedTopics() {
        return List.of(snapshotsTopic(), posteriorsTopic(), modelConfigTopic(), validModelConfigTopic());
    }

    public int maxModels() { return maxModels; }

    /** The default model id, or null if events must name their model. */
    public String defaultModelId() {
        final String v = get("bali.model.default.id");
        return v.isBlank() ? null : v;
    }

    public long batchMaxWaitMs() { return batchMaxWaitMs; }

    /** Whether events arrive keyed by model id, so that the learner reads them without a repartition topic. */
    public boolean eventsKeyedByModel() { return eventsKeyedByModel; }

    /**
     * Whether events are scored where they arrive with the published posteriors ({@code bali.scoring=distributed}),
     * rather than in their model's learner task.
     */
    public boolean distributedScoring() { return distributedScoring; }

    public int metricsEvery() { return metricsEvery; }

    /** The port of the operators' HTTP endpoint (0: any free one), or null for none. */
    public Integer httpPort() { return httpPort; }

    /** The address the HTTP endpoint listens on ({@code bali.http.bind.address}). */
    public java.net.InetAddress httpBindAddress() { return httpBindAddress; }

    /** An IP address written as such (no host name: nothing is looked up while the configuration is read). */
    private java.net.InetAddress ipAddress(final String key) {
        final String text = get(key).strip();
        final boolean literal = text.matches("[0-9.]+") || text.contains(":");
        try {
            if (!literal) {
                throw new java.net.UnknownHostException(text);
            }
            return java.net.InetAddress.getByName(text);
        } catch (final java.net.UnknownHostException e) {
            throw new IllegalArgumentException(key + " must be an IP address such as 127.0.0.1 or 0.0.0.0, got '"
                    + text + "'");
        }
    }
    public long snapshotEvery() { return snapshotEvery; }
    public int stateMaxBytes() { return stateMaxBytes; }

    /**
     * The largest record the service writes: {@code bali.state.max.bytes} and 1 MiB more, so that a dead letter that
     * carries a refused model-config entry of the largest size (an imported model) still fits.
     */
    public int largeRecordBytes() {
        return (int) Math.min(Integer.MAX_VALUE, (long) stateMaxBytes + (1 << 20));
    }
    public ModelSpec modelDefaults() { return modelDefaults; }

    /** A new instance of the configured {@link RecordSerdes}, configured with every key. */
    public RecordSerdes recordSerdes() {
        final String name = get("bali.serdes.class");
        try {
            final RecordSerdes s = (RecordSerdes) Class.forName(name).getDeclaredConstructor().newInstance();
            s.configure(new LinkedHashMap<>(values));
            return s;
        } catch (final ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException("bali.serdes.class: cannot create " + name + " as a RecordSerdes: " + e, e);
        }
    }

    /**
     * The Kafka Streams properties: every non-{@code bali.} key, with these defaults where unset:
     * application.id {@code bali-streams}, processing.guarantee {@code exactly_once_v2}, and the producer's
     * max.request.size raised to {@link #largeRecordBytes()} so a large model state fits in its changelog, and the
     * internal topics' max.message.bytes ({@code topic.max.message.bytes}) and segment size ({@code topic.segment.bytes},
     * so that compaction bounds a changelog near that size plus its live states) to the same.
     */
    public Properties streamsProperties() {
        final Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "bali-streams");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), String.valueOf(largeRecordBytes()));
        // the internal topics Kafka Streams creates (repartition, changelogs) carry an event with its original bytes
        // (about twice the event) or a state: a cluster's 1 MB default would refuse them and stop the stream thread
        p.put(StreamsConfig.topicPrefix(org.apache.kafka.common.config.TopicConfig.MAX_MESSAGE_BYTES_CONFIG),
                String.valueOf(largeRecordBytes()));
        // a compacted changelog is cleaned only in closed segments: with a cluster's 1 GiB default, each changelog
        // partition would keep up to 1 GiB of overwritten states (the model's changelog gets a state per update);
        // segments of the largest record's size bound it near that plus the live states (the soak's curve)
        p.put(StreamsConfig.topicPrefix(org.apache.kafka.common.config.TopicConfig.SEGMENT_BYTES_CONFIG),
                String.valueOf(largeRecordBytes()));
        // the global stores (model-config, posteriors) fail on a processing error as the stream threads do; set
        // explicitly, as Kafka Streams recommends (it becomes its default in Kafka 5.0), which also ends the WARN
        // line that every start logged about it. The partition assignor of the main consumer rebuilds a
        // StreamsConfig from the consumer's settings only, and would log the same WARN: it gets the setting too.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        p.put(StreamsConfig.MAIN_CONSUMER_PREFIX + StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG,
                "true");
        values.forEach((k, v) -> {
            if (!k.startsWith("bali.")) {
                p.put(k, v);
            }
        });
        if (staticMembership && !p.containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)
                && !p.containsKey(StreamsConfig.MAIN_CONSUMER_PREFIX + ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)) {
            p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, staticInstanceId(p.getProperty(StreamsConfig.APPLICATION_ID_CONFIG),
                    p.getProperty(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/kafka-streams"),
                    hostName()));
        }
        return p;
    }

    /**
     * The default {@code group.instance.id} (static membership, KIP-345): the application id, the host name and
     * eight hex digits of a hash of the state directory's absolute path. Stable across restarts of one instance
     * (same host, same state directory) and different between instances, which cannot share a state directory
     * (Kafka Streams locks it). Kafka Streams appends each stream thread's index.
     */
    static String staticInstanceId(final String applicationId, final String stateDir, final String host) {
        final String path = java.nio.file.Path.of(stateDir).toAbsolutePath().normalize().toString();
        final byte[] digest;
        try {
            digest = java.security.MessageDigest.getInstance("SHA-256").digest(
                    path.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (final java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        return applicationId + "-" + host + "-" + java.util.HexFormat.of().formatHex(digest, 0, 4);
    }

    private static String hostName() {
        final String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (final java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    /** The client properties (bootstrap servers, security ...) for an Admin, producer or consumer of the tools. */
    public Map<String, Object> clientProperties() {
        final Map<String, Object> m = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (!k.startsWith("bali.") && !k.startsWith("producer.") && !k.startsWith("consumer.")
                    && !k.startsWith("admin.") && !k.startsWith("main.consumer.") && !k.startsWith("restore.consumer.")
                    && !k.startsWith("global.consumer.") && !k.equals(StreamsConfig.APPLICATION_ID_CONFIG)
                    && !k.equals(StreamsConfig.PROCESSING_GUARANTEE_CONFIG) && !k.equals("num.stream.threads")
                    && !k.equals("state.dir") && !k.equals("commit.interval.ms")
                    && !k.equals(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)) {
                m.put(k, v);
            }
        });
        return m;
    }

    private ModelSpec readModelDefaults() {
        final Task task = parseEnum(Task.class, "bali.model.task");
        final String dim = get("bali.model.input.dimension");
        final Integer inputs = dim.isBlank() ? null : parseInt("bali.model.input.dimension");
        final String hidden = get("bali.model.hidden");
        final int[] widths;
        try {
            widths = hidden.isBlank() ? new int[0]
                    : Arrays.stream(hidden.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("bali.model.hidden must be comma-separated whole numbers, got '" + hidden + "'");
        }
        final String names = get("bali.model.class.names");
        final List<String> classNames = new ArrayList<>();
        if (!names.isBlank()) {
            Arrays.stream(names.split(",")).map(String::trim).forEach(classNames::add);
        }
        return new ModelSpec(task, inputs, widths, parseEnum(Activation.class, "bali.model.activation"),
                parseInt("bali.model.classes"), classNames, parseInt("bali.model.batch.size"),
                parseDouble("bali.model.beta"), get("bali.model.beta.g").isBlank() ? Double.NaN : parseDouble("bali.model.beta.g"),
                parseDouble("bali.model.prior.precision"), parseLong("bali.model.seed"), experts(),
                parseDouble("bali.model.share"));
    }

    private List<BaliMixture.Expert> experts() {
        final String v = get("bali.model.experts");
        if (v.isBlank()) {
            return List.of();
        }
        try {
            return BaliMixture.Expert.parseAll(Arrays.stream(v.split(",")).map(String::trim).toList());
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bali.model.experts: " + e.getMessage(), e);
        }
    }

    private <E extends Enum<E>> E parseEnum(final Class<E> type, final String key) {
        final String v = get(key);
        try {
            return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " must be one of " + Arrays.toString(type.getEnumConstants())
                    .toLowerCase(Locale.ROOT) + ", got '" + v + "'");
        }
    }

    private int parseInt(final String key) {
        try {
            return Integer.parseInt(get(key));
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + get(key) + "'");
        }
    }

    private long parseLong(final String key) {
        try {
            return Long.parseLong(get(key));
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + get(key) + "'");
        }
    }

    private double parseDouble(final String key) {
        try {
            return Double.parseDouble(get(key));
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + get(key) + "'");
        }
    }

    private int nonNegativeInt(final String key) {
        final int v = parseInt(key);
        if (v < 0) {
            throw new IllegalArgumentException(key + " must be >= 0, got " + get(key));
        }
        return v;
    }

    private int positiveInt(final String key) {
        final int v = parseInt(key);
        if (v < 1) {
            throw new IllegalArgumentException(key + " must be >= 1, got " + get(key));
        }
        return v;
    }

    private long nonNegativeLong(final String key) {
        final long v = parseLong(key);
        if (v < 0) {
            throw new IllegalArgumentException(key + " must be >= 0, got " + get(key));
        }
        return v;
    }
}
