package io.balistreams.streams;

import io.balistreams.avro.Event;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.internal.LearnerModel;
import io.balistreams.avro.internal.LearnerProgress;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.ServingModel;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;
import io.balistreams.streams.serde.AvroSerde;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries of the models one instance holds (Kafka Streams' IQ over the learner's stores, docs/architecture.md
 * §9): which instance holds a model ({@link #owner}), the models held here with their headline figures, one model's
 * configuration, counters, metrics and drift state, its current snapshot, and a synchronous score with its current
 * posterior. Only active tasks' stores are read (no standby's stale copy).
 *
 * <p>A model is read from four stores one after the other, not at one commit: figures of one answer can be an event
 * apart. The labels waiting for the next update are not read. Nothing here writes: a query's score changes no counter,
 * no monitor and no model. Thread-safe; the posterior built for scoring is cached per model until its version,
 * generation or monitor state changes.
 *
 * <p>Every method may throw Kafka Streams' {@link org.apache.kafka.streams.errors.InvalidStateStoreException} while the
 * instance starts, rebalances or restores: the caller answers "try again".
 */
public final class ModelQueries {
    private final KafkaStreams streams;
    private final HostInfo self;
    private final Map<String, CachedPosterior> posteriors = new ConcurrentHashMap<>();

    /**
     * The posterior a model's stored state gives, kept while the model's generation and version (from its small
     * progress record) and its monitor's state stay the same: the model's own state, megabytes for a wide input, is
     * read only when it changed.
     */
    private record CachedPosterior(long generation, long version, byte[] eventPart, byte[] labelPart, Scoring scoring) {
    }

    /** What a query scores with: the posterior and what the learner would stamp on its prediction. */
    private record Scoring(ServingModel posterior, List<String> classNames, Double oodThreshold, DriftLevel driftState,
                           io.balistreams.monitor.OodScore oodScore) {
    }

    /**
     * @param self this instance's {@code application.server} (host and port of its HTTP endpoint)
     */
    public ModelQueries(final KafkaStreams streams, final HostInfo self) {
        this.streams = streams;
        this.self = self;
    }

    /** This instance's {@code application.server}. */
    public HostInfo self() {
        return self;
    }

    /**
     * Where {@code modelId} lives (or would be created): this instance or another, by the partition its key hashes
     * to (the default partitioner, as the repartition topics use); empty while the assignment is unknown.
     */
    public Optional<HostInfo> owner(final String modelId) {
        final KeyQueryMetadata metadata = streams.queryMetadataForKey(LearnerProcessor.MODEL_STORE, modelId,
                Serdes.String().serializer());
        if (metadata == null || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            return Optional.empty();
        }
        return Optional.of(metadata.activeHost());
    }

    /** Every instance of the application that holds learner tasks, this one included. */
    public List<HostInfo> instances() {
        final List<HostInfo> hosts = new ArrayList<>();
        for (final StreamsMetadata m : streams.metadataForAllStreamsClients()) {
            if (!hosts.contains(m.hostInfo())) {
                hosts.add(m.hostInfo());
            }
        }
        if (!hosts.contains(self)) {
            hosts.add(self);
        }
        return hosts;
    }

    /** Summaries ({@link #summary}) of the models this instance holds, ordered by model id. */
    public List<Map<String, Object>> localModels() {
        final List<String> ids = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store(LearnerProcessor.MODEL_STORE).all()) {
            while (it.hasNext()) {
                ids.add(it.next().key);
            }
        }
        ids.sort(String::compareTo);
        final List<Map<String, Object>> out = new ArrayList<>();
        for (final String id : ids) {
            final LearnerProcessor.Restored restored = restore(id);
            if (restored != null) {
                out.add(summary(restored));
            }
        }
        return out;
    }

    /**
     * One model held here: its summary, its configuration (the engine's, the monitor's and its model-config entry's
     * overrides), label counters and, for a mixture, its memories' weights; empty if this instance does not hold it.
     */
    public Optional<Map<String, Object>> localModel(final String modelId) {
        final LearnerProcessor.Restored restored = restore(modelId);
        if (restored == null) {
            return Optional.empty();
        }
        final OnlineLearner learner = restored.learner();
        final Map<String, Object> m = summary(restored);
        m.put("lastRejection", learner.lastRejection());
        m.put("labels", ordered("joined", learner.labelsJoined(), "expired", learner.labelsExpired(),
                "evicted", learner.labelsEvicted()));
        final Map<String, Object> engine = engineConfiguration(learner.config());
        if (learner.mixture() != null) {
            engine.put("experts", learner.mixture().experts().stream().map(Object::toString).toList());
            engine.put("share", learner.mixture().share());
            m.put("memoryWeights", learner.mixture().memoryWeights());
        }
        m.put("configuration", engine);
        m.put("monitoring", monitoring(learner));
        final ModelConfig entry = configEntry(modelId);
        if (entry == null) {
            m.put("modelConfigEntry", null);
        } else {
            final Map<String, Object> tree = io.balistreams.streams.serde.AvroJson.tree(entry);
            if (entry.getInitialSnapshot() != null) { // megabytes of base64 would say nothing
                tree.put("initialSnapshot", Map.of("bytes", entry.getInitialSnapshot().remaining()));
            }
            m.put("modelConfigEntry", tree);
        }
        return Optional.of(m);
    }

    /** The generation of the model-config entry that deleted the model, if one did. */
    public Optional<Long> deletedBy(final String modelId) {
        final ModelConfig entry = configEntry(modelId);
        return ImportedModels.deleted(entry) ? Optional.of(ImportedModels.generation(entry)) : Optional.empty();
    }

    /** The model's current snapshot, as {@code bali model export} writes it (Avro single-object encoding). */
    public Optional<byte[]> localSnapshot(final String modelId) {
        final byte[] bytes = store(LearnerProcessor.MODEL_STORE).get(modelId);
        if (bytes == null) {
            return Optional.empty();
        }
        final ModelSnapshot snapshot = AvroSerde.of(LearnerModel.class).decode(bytes).getSnapshot();
        return Optional.of(AvroSerde.of(ModelSnapshot.class).encode(snapshot));
    }

    /**
     * Scores one feature vector with the model's current posterior, as the service would score an unlabelled event now
     * (docs/method.md §5): the same {@link Prediction} as on the predictions topic, OOD flag and drift state
     * included. Changes nothing.
     *
     * @return empty if this instance does not hold the model
     * @throws IllegalArgumentException if the features do not fit the model (count, non-finite values)
     */
    public Optional<Prediction> score(final String modelId, final String eventId, final double[] features) {
        final LearnerProgress progress = progressStore().get(modelId);
        if (progress == null) {
            posteriors.remove(modelId);
            return Optional.empty();
        }
        final ReadOnlyKeyValueStore<String, byte[]> monitors = store(LearnerProcessor.MONITOR_STORE);
        final byte[] eventPart = monitors.get(LearnerProcessor.monitorKey(modelId, "event"));
        final byte[] labelPart = monitors.get(LearnerProcessor.monitorKey(modelId, "label"));
        CachedPosterior cached = posteriors.get(modelId);
        if (cached == null || progress.getModelVersion() < 0 || cached.generation() != progress.getGeneration()
                || cached.version() != progress.getModelVersion() || !Arrays.equals(cached.eventPart(), eventPart)
                || !Arrays.equals(cached.labelPart(), labelPart)) {
            final LearnerProcessor.Restored restored = restore(modelId);
            if (restored == null) {
                return Optional.empty();
            }
            final OnlineLearner learner = restored.learner();
            final boolean watching = learner.settings().monitor().watching();
            cached = new CachedPosterior(restored.generation(), learner.version(), eventPart, labelPart,
                    new Scoring(learner.servingModel(), learner.classNames(), learner.monitor().oodThreshold(),
                            watching ? learner.monitor().state() : null, learner.settings().oodScore()));
            posteriors.put(modelId, cached);
        }
        final Scoring scoring = cached.scoring();
        final int inputs = scoring.posterior().config().inputSize();
        if (features.length != inputs) {
            throw new IllegalArgumentException("model " + modelId + " takes " + inputs + " features, got "
                    + features.length);
        }
        for (int i = 0; i < features.length; i++) {
            if (!Double.isFinite(features[i])) {
                throw new IllegalArgumentException("feature " + i + " is " + features[i]);
            }
        }
        final PublishedPosteriors.Serving serving = new PublishedPosteriors.Serving(scoring.posterior(),
                scoring.classNames(), scoring.oodThreshold(), scoring.driftState(), scoring.posterior().newScratch());
        final long now = System.currentTimeMillis();
        final ScoredEvent scored = serving.score(features, now, scoring.oodScore());
        final Event event = new Event(eventId, modelId, Instant.ofEpochMilli(now), OnlineLearner.toList(features), null);
        return Optional.of(ServedPredictions.prediction(modelId, scoring.classNames(), event, scored, false));
    }

    /**
     * A model's headline: id, instance, version, task, architecture, events, labels, rejected updates, the cumulative
     * and last-window prequential metrics, drift state (null if no detector watches it), OOD threshold and the size
     * of its stored state.
     */
    private Map<String, Object> summary(final LearnerProcessor.Restored restored) {
        final OnlineLearner learner = restored.learner();
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("modelId", learner.modelId());
        m.put("instance", self.host() + ":" + self.port());
        m.put("modelVersion", learner.version());
        m.put("task", learner.config().task().name());
        m.put("architecture", learner.mixture() != null ? learner.mixture().describe() : learner.config().describe());
        m.put("classNames", learner.classNames());
        m.put("eventsScored", learner.eventsScored());
        m.put("labelsSeen", learner.labelsSeen());
        m.put("updatesRejected", learner.updatesRejected());
        m.put("metrics", ordered("cumulative", learner.cumulativeMetrics(), "window", learner.windowMetrics(),
                "windowLabels", learner.windowLabels()));
        m.put("driftState", learner.settings().monitor().watching() ? learner.monitor().state().name() : null);
        m.put("oodThreshold", learner.monitor().oodThreshold());
        m.put("stateBytes", restored.stateBytes());
        return m;
    }

    private static Map<String, Object> engineConfiguration(final BaliConfig c) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("layerSizes", Arrays.stream(c.layerSizes()).boxed().toList());
        m.put("activations", Arrays.stream(c.activations()).map(Enum::name).toList());
        m.put("batchSize", c.batchSize());
        m.put("beta", c.beta());
        m.put("betaG", c.betaG());
        m.put("effectiveMemory", c.effectiveMemory());
        m.put("priorPrecision", c.priorPrecision());
        m.put("seed", c.seed());
        return m;
    }

    private static Map<String, Object> monitoring(final OnlineLearner learner) {
        final ModelMonitor.Settings s = learner.settings().monitor();
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("driftDetector", s.detector().name());
        m.put("driftLoss", learner.settings().driftLoss().name());
        m.put("adwinDelta", s.adwinDelta());
        m.put("adaptiveForgetting", s.adaptiveForgetting());
        m.put("alarmMemory", s.alarmMemory());
        m.put("oodScore", learner.settings().oodScore().name());
        m.put("oodQuantile", s.oodQuantile());
        return m;
    }

    private ModelConfig configEntry(final String modelId) {
        try {
            final byte[] raw = store(LearnerProcessor.CONFIG_STORE).get(modelId);
            return raw == null ? null : ModelConfigs.decode(raw);
        } catch (final org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            return null;
        }
    }

    private LearnerProcessor.Restored restore(final String modelId) {
        final ReadOnlyKeyValueStore<String, byte[]> models = store(LearnerProcessor.MODEL_STORE);
        final ReadOnlyKeyValueStore<String, LearnerProgress> progress = progressStore();
        final ReadOnlyKeyValueStore<String, byte[]> monitors = store(LearnerProcessor.MONITOR_STORE);
        return LearnerProcessor.restore(modelId, models::get, progress::get, monitors::get, null);
    }

    private ReadOnlyKeyValueStore<String, LearnerProgress> progressStore() {
        return streams.store(StoreQueryParameters.fromNameAndType(LearnerProcessor.PROGRESS_STORE,
                QueryableStoreTypes.<String, LearnerProgress>keyValueStore()));
    }

    private ReadOnlyKeyValueStore<String, byte[]> store(final String name) {
        return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, byte[]>keyValueStore()));
    }

    private static Map<String, Object> ordered(final Object... keysAndValues) {
        final Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
