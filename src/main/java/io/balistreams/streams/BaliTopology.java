package io.balistreams.streams;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DriftAlert;
import io.balistreams.avro.Event;
import io.balistreams.avro.Label;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.ModelPosterior;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.internal.AwaitingLabel;
import io.balistreams.avro.internal.LearnerProgress;
import io.balistreams.avro.internal.ModelRemoved;
import io.balistreams.avro.internal.PendingLabel;
import io.balistreams.avro.internal.RoutedEvent;
import io.balistreams.avro.internal.RoutedLabel;
import io.balistreams.avro.internal.TrainingExample;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.streams.serde.RecordSerdes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service's topology (docs/architecture.md §3):
 * <pre>
 *  events ─► EventValidator ─┬─► repartition by model id ──┐
 *                            └─► dead-letter                ├─► LearnerProcessor ─┬─► predictions
 *  labels ─► LabelValidator ─┬─► repartition by model id ──┘         ▲            ├─► model-metrics
 *                            └─► dead-letter                         │            ├─► model-snapshots
 *                                                                    │            ├─► model-posteriors
 *  model-config ─► ConfigValidator ─┬─► model-config-validated ─► (global store)  ├─► drift-alerts
 *                                   └─► dead-letter                               └─► dead-letter
 * </pre>
 * The processors use the Processor API; the DSL only wires them, repartitions (an internal topic that
 * Kafka Streams creates and manages) and routes each output record type to its topic with its serde.
 * With {@code bali.events.keyed.by.model=true} the events are already partitioned by model id, the
 * repartition step is left out and validation and learning run in one task: each event crosses one
 * transaction instead of two.
 *
 * <p>With {@code bali.scoring=distributed} events and labels are not repartitioned: a {@link ScorerProcessor}
 * in the task of each input partition scores with the posteriors of the {@code model-posteriors} topic (a
 * second global store), keeps unlabelled events waiting for their labels, and sends only training examples,
 * repartitioned by model id ({@code training-by-model}), to the {@link LearnerProcessor}:
 * <pre>
 *  events ─► EventValidator ─┐                ┌─► predictions
 *  labels ─► LabelValidator ─┴─► ScorerProcessor ─┼─► repartition by model id ─► LearnerProcessor ─► metrics, snapshots,
 *                                   ▲              └─► dead-letter                                   posteriors, alerts
 *  model-posteriors ─► (global store)
 * </pre>
 */
public final class BaliTopology {
    private BaliTopology() {
    }

    /** Builds the topology for one application instance (its model limit is counted per instance). */
    public static Topology build(final ServiceConfig config) {
        return build(config, ModelObserver.NONE);
    }

    /** The same, with every model's scoring, labels, updates, alarms, metrics and dead letters told to {@code observer}. */
    public static Topology build(final ServiceConfig config, final ModelObserver observer) {
        final RecordSerdes publicSerdes = config.recordSerdes();
        final Serde<String> strings = Serdes.String();
        final Serde<byte[]> bytes = Serdes.ByteArray();
        final StreamsBuilder builder = new StreamsBuilder();

        final Map<String, String> largeRecords = Map.of(
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(config.stateMaxBytes()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(LearnerProcessor.MODEL_STORE), strings, bytes)
                .withLoggingEnabled(largeRecords).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(LearnerProcessor.PROGRESS_STORE), strings,
                        AvroSerde.of(LearnerProgress.class))
                .withLoggingEnabled(Map.of()).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(LearnerProcessor.PENDING_STORE), strings,
                        AvroSerde.of(PendingLabel.class))
                .withLoggingEnabled(Map.of()).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(LearnerProcessor.MONITOR_STORE), strings, bytes)
                .withLoggingEnabled(Map.of()).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(AwaitingLabels.STORE), strings, AvroSerde.of(AwaitingLabel.class))
                .withLoggingEnabled(Map.of()));
        final Serde<ModelConfig> validConfigs = AvroSerde.of(ModelConfig.class);
        // raw bytes: a processor decodes an entry once per version of it (ModelConfigs)
        builder.addGlobalStore(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(LearnerProcessor.CONFIG_STORE), strings, bytes)
                        .withLoggingDisabled(),
                config.validModelConfigTopic(), Consumed.with(strings, bytes).withName("model-config-validated"),
                () -> new GlobalTableUpdater<>(LearnerProcessor.CONFIG_STORE));
        if (config.distributedScoring()) {
            // raw bytes: a scoring task decodes a model's posterior once per publication (PublishedPosteriors)
            builder.addGlobalStore(Stores.keyValueStoreBuilder(
                            Stores.inMemoryKeyValueStore(PublishedPosteriors.STORE), strings, bytes)
                            .withLoggingDisabled(),
                    config.posteriorsTopic(), Consumed.with(strings, bytes).withName("model-posteriors-global"),
                    () -> new GlobalTableUpdater<>(PublishedPosteriors.STORE));
        }

        // model configuration: validate, then feed the global store
        final Map<String, KStream<String, SpecificRecord>> configOut = builder
                .stream(config.modelConfigTopic(), Consumed.with(bytes, bytes).withName("model-config-source"))
                .process(() -> new ConfigValidator(publicSerdes.serde(ModelConfig.class).deserializer(), config),
                        Named.as("validate-model-config"))
                .split(Named.as("model-config-"))
                .branch((k, v) -> v instanceof DeadLetter, Branched.as("rejected"))
                .defaultBranch(Branched.as("valid"));
        configOut.get("model-config-valid").mapValues(v -> (ModelConfig) v, Named.as("as-model-config"))
                .to(config.validModelConfigTopic(), Produced.with(strings, validConfigs).withName("model-config-validated-sink"));
        toDeadLetters(configOut.get("model-config-rejected"), config, publicSerdes, "model-config", observer);

        // events: validate, repartition by model id, learn
        final Map<String, KStream<String, SpecificRecord>> eventsOut = builder
                .stream(config.eventsTopic(), Consumed.with(bytes, bytes).withName("events-source"))
                .process(() -> new EventValidator(publicSerdes.serde(Event.class).deserializer(),
                        config.defaultModelId(), config.eventsKeyedByModel()), Named.as("validate-event"))
                .split(Named.as("events-"))
                .branch((k, v) -> v instanceof DeadLetter, Branched.as("rejected"))
                .defaultBranch(Branched.as("valid"));
        toDeadLetters(eventsOut.get("events-rejected"), config, publicSerdes, "events", observer);

        final AtomicInteger modelsInInstance = new AtomicInteger();
        final KStream<String, RoutedEvent> valid = eventsOut.get("events-valid")
                .mapValues(v -> (RoutedEvent) v, Named.as("as-routed-event"));

        // labels: validate; they meet their event where it waits (learner task, or scoring task)
        final Map<String, KStream<String, SpecificRecord>> labelsOut = builder
                .stream(config.labelsTopic(), Consumed.with(bytes, bytes).withName("labels-source"))
                .process(() -> new LabelValidator(publicSerdes.serde(Label.class).deserializer(),
                        config.defaultModelId(), config.eventsKeyedByModel()), Named.as("validate-label"))
                .split(Named.as("labels-"))
                .branch((k, v) -> v instanceof DeadLetter, Branched.as("rejected"))
                .defaultBranch(Branched.as("valid"));
        toDeadLetters(labelsOut.get("labels-rejected"), config, publicSerdes, "labels", observer);
        final KStream<String, RoutedLabel> validLabels = labelsOut.get("labels-valid")
                .mapValues(v -> (RoutedLabel) v, Named.as("as-routed-label"));

        final KStream<String, SpecificRecord> toLearner;
        if (config.distributedScoring()) {
            // score where the events arrive; only training examples (and waiting counts) go to the learner
            final Map<String, KStream<String, SpecificRecord>> scorerOut = valid
                    .mapValues(v -> (SpecificRecord) v, Named.as("event-to-scorer"))
                    .merge(validLabels.mapValues(v -> (SpecificRecord) v, Named.as("label-to-scorer")),
                            Named.as("events-and-labels"))
                    .process(() -> new ScorerProcessor(config, observer), Named.as("scorer"), AwaitingLabels.STORE)
                    .split(Named.as("scorer-"))
                    .branch((k, v) -> v instanceof Prediction, Branched.as("prediction"))
                    .branch((k, v) -> v instanceof TrainingExample, Branched.as("example"))
                    .defaultBranch(Branched.as("rejected"));
            route(scorerOut.get("scorer-prediction"), Prediction.class, config.predictionsTopic(), publicSerdes, "scorer-");
            toDeadLetters(scorerOut.get("scorer-rejected"), config, publicSerdes, "scorer", observer);
            toLearner = scorerOut.get("scorer-example")
                    .mapValues(v -> (TrainingExample) v, Named.as("as-training-example"))
                    .repartition(Repartitioned.with(strings, AvroSerde.of(TrainingExample.class))
                            .withName("training-by-model"))
                    .mapValues(v -> (SpecificRecord) v, Named.as("example-to-learner"));
        } else {
            // events and labels repartitioned by model id: one task per model scores and learns
            final KStream<String, RoutedEvent> byModel = config.eventsKeyedByModel() ? valid
                    : valid.repartition(Repartitioned.with(strings, AvroSerde.of(RoutedEvent.class))
                            .withName("events-by-model"));
            final KStream<String, RoutedLabel> labelsByModel = config.eventsKeyedByModel() ? validLabels
                    : validLabels.repartition(Repartitioned.with(strings, AvroSerde.of(RoutedLabel.class))
                            .withName("labels-by-model"));
            toLearner = byModel.mapValues(v -> (SpecificRecord) v, Named.as("event-to-learner"))
                    .merge(labelsByModel.mapValues(v -> (SpecificRecord) v, Named.as("label-to-learner")),
                            Named.as("events-and-labels"));
        }

        final String[] learnerStores = config.distributedScoring()
                ? new String[]{LearnerProcessor.MODEL_STORE, LearnerProcessor.PROGRESS_STORE,
                LearnerProcessor.PENDING_STORE, LearnerProcessor.MONITOR_STORE}
                : new String[]{LearnerProcessor.MODEL_STORE, LearnerProcessor.PROGRESS_STORE,
                LearnerProcessor.PENDING_STORE, LearnerProcessor.MONITOR_STORE, AwaitingLabels.STORE};
        final Map<String, KStream<String, SpecificRecord>> learnerOut = toLearner
                .process(() -> new LearnerProcessor(config, modelsInInstance, observer), Named.as("learner"), learnerStores)
                .split(Named.as("learner-"))
                .branch((k, v) -> v instanceof Prediction, Branched.as("prediction"))
                .branch((k, v) -> v instanceof ModelMetrics, Branched.as("metrics"))
                .branch((k, v) -> v instanceof ModelSnapshot, Branched.as("snapshot"))
                .branch((k, v) -> v instanceof ModelPosterior, Branched.as("posterior"))
                .branch((k, v) -> v instanceof DriftAlert, Branched.as("drift"))
                .branch((k, v) -> v instanceof ModelRemoved, Branched.as("removed"))
                .defaultBranch(Branched.as("rejected"));
        route(learnerOut.get("learner-prediction"), Prediction.class, config.predictionsTopic(), publicSerdes);
        route(learnerOut.get("learner-metrics"), ModelMetrics.class, config.metricsTopic(), publicSerdes);
        route(learnerOut.get("learner-snapshot"), ModelSnapshot.class, config.snapshotsTopic(), publicSerdes);
        route(learnerOut.get("learner-posterior"), ModelPosterior.class, config.posteriorsTopic(), publicSerdes);
        route(learnerOut.get("learner-drift"), DriftAlert.class, config.driftAlertsTopic(), publicSerdes);
        toDeadLetters(learnerOut.get("learner-rejected"), config, publicSerdes, "learner", observer);
        // a removed model: tombstones on the compacted topics that hold its state, so that they forget it too
        final KStream<String, byte[]> tombstones = learnerOut.get("learner-removed")
                .mapValues(v -> (byte[]) null, Named.as("removed-as-tombstone"));
        tombstones.to(config.snapshotsTopic(), Produced.with(strings, bytes).withName("removed-snapshot-sink"));
        tombstones.to(config.posteriorsTopic(), Produced.with(strings, bytes).withName("removed-posterior-sink"));
        return builder.build();
    }

    private static <T extends SpecificRecord> void route(final KStream<String, SpecificRecord> stream,
                                                         final Class<T> type, final String topic,
                                                         final RecordSerdes serdes) {
        route(stream, type, topic, serdes, "");
    }

    /** Routes one output record type to its topic; {@code prefix} tells apart two routes to one topic. */
    private static <T extends SpecificRecord> void route(final KStream<String, SpecificRecord> stream,
                                                         final Class<T> type, final String topic,
                                                         final RecordSerdes serdes, final String prefix) {
        stream.mapValues(type::cast, Named.as(prefix + "as-" + type.getSimpleName()))
                .to(topic, Produced.with(Serdes.String(), serdes.serde(type)).withName(prefix + topic + "-sink"));
    }

    private static void toDeadLetters(final KStream<String, SpecificRecord> stream, final ServiceConfig config,
                                      final RecordSerdes serdes, final String from, final ModelObserver observer) {
        stream.mapValues(v -> {
                    final DeadLetter letter = (DeadLetter) v;
                    observer.deadLetter(letter.getReason().name());
                    return letter;
                }, Named.as(from + "-as-dead-letter"))
                .to(config.deadLetterTopic(), Produced.with(Serdes.String(), serdes.serde(DeadLetter.class))
                        .withName(from + "-dead-letter-sink"));
    }

    /** Keeps a global store equal to its compacted topic (tombstones delete). */
    static final class GlobalTableUpdater<V> implements Processor<String, V, Void, Void> {
        private final String storeName;
        private KeyValueStore<String, V> store;

        GlobalTableUpdater(final String storeName) {
            this.storeName = storeName;
        }

        @Override
        public void init(final ProcessorContext<Void, Void> context) {
            store = context.getStateStore(storeName);
        }

        @Override
        public void process(final Record<String, V> record) {
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }
}
