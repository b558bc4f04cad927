package io.balistreams.streams;

import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.Event;
import io.balistreams.avro.Label;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.internal.AwaitingLabel;
import io.balistreams.avro.internal.AwaitingState;
import io.balistreams.avro.internal.RoutedEvent;
import io.balistreams.avro.internal.RoutedLabel;
import io.balistreams.avro.internal.TrainingExample;
import io.balistreams.avro.internal.TrainingExampleKind;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Distributed scoring (docs/architecture.md §7, {@code bali.scoring=distributed}): scores each event where it
 * arrives — any partition, stream thread or instance — with its model's latest published posterior
 * ({@link PublishedPosteriors}), and sends to the model's learner only what learning needs.
 * <ul>
 *   <li>An event is checked against the model (dimension, label), scored, and its {@link Prediction} forwarded,
 *       stamped with the version of the posterior that served it.</li>
 *   <li>An event with its label becomes a {@link TrainingExample} at once: features, served prediction, target.</li>
 *   <li>An event without one waits in this task's {@link AwaitingLabels} store with its served prediction; its
 *       label, from the labels topic, must be keyed like the event so that it reaches this task. A label that
 *       joins it completes a training example; one that finds nothing is dead-lettered with its reason
 *       (unknown event, expired, duplicate), exactly as in the learner task under {@code bali.scoring=learner}.</li>
 *   <li>Events that stop waiting (expired by the task's event clock, or evicted past
 *       {@code bali.labels.max.waiting}) are counted per model and the counts sent to the learner.</li>
 * </ul>
 * Every record this processor forwards for learning is keyed by model id; the topology repartitions them so
 * that one model's examples meet in one learner task. The only state written per event is the waiting entry of
 * an unlabelled event: scoring itself reads the global store and writes nothing.
 */
final class ScorerProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {
    private final ServiceConfig config;
    private final ModelObserver observer;
    private ProcessorContext<String, SpecificRecord> context;
    private PublishedPosteriors posteriors;
    private AwaitingLabels awaiting;
    private long eventClock = Long.MIN_VALUE;

    ScorerProcessor(final ServiceConfig config) {
        this(config, ModelObserver.NONE);
    }

    ScorerProcessor(final ServiceConfig config, final ModelObserver observer) {
        this.config = config;
        this.observer = observer;
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.posteriors = new PublishedPosteriors(config, context.getStateStore(PublishedPosteriors.STORE),
                context.getStateStore(LearnerProcessor.CONFIG_STORE));
        this.awaiting = new AwaitingLabels(context.getStateStore(AwaitingLabels.STORE), config.labelsMaxDelayMs(),
                config.labelsMaxWaiting());
        this.eventClock = Long.MIN_VALUE;
    }

    @Override
    public void process(final Record<String, SpecificRecord> record) {
        if (record.value() instanceof RoutedLabel label) {
            processLabel(record.withValue(label));
        } else {
            processEvent(record.withValue((RoutedEvent) record.value()));
        }
    }

    private void processEvent(final Record<String, RoutedEvent> record) {
        final RoutedEvent routed = record.value();
        final Event event = routed.getEvent();
        final String modelId = record.key();
        final PublishedPosteriors.Lookup lookup = posteriors.servingFor(modelId, event.getFeatures().size());
        if (lookup.reason() != null) {
            reject(record, lookup.reason(), lookup.detail());
            return;
        }
        final PublishedPosteriors.Serving serving = lookup.serving();
        final LearnerProcessor.Checked checked = LearnerProcessor.check(event, serving.config().task(),
                serving.config().inputSize(), serving.config().numClasses(), serving.classNames());
        if (checked.reason() != null) {
            reject(record, checked.reason(), checked.detail());
            return;
        }
        final boolean labelled = !Double.isNaN(checked.target());
        final long scoringStart = System.nanoTime();
        final ScoredEvent scored = serving.score(OnlineLearner.toArray(event.getFeatures()),
                event.getEventTime().toEpochMilli(), config.oodScore());
        observer.scored(modelId, System.nanoTime() - scoringStart, scored.oodFlag());
        final Prediction served = ServedPredictions.prediction(modelId, serving.classNames(), event, scored, labelled);
        context.forward(record.withValue(served));
        final AwaitingLabel entry = ServedPredictions.awaitingEntry(modelId, event, scored, served);
        if (labelled) {
            forwardExample(record, modelId, event.getEventId(), entry, checked.target(), null, routed.getSourceTopic(),
                    routed.getSourcePartition(), routed.getSourceOffset(), routed.getOriginalKey(),
                    routed.getOriginalValue());
        } else if (awaiting.enabled()) {
            forwardCounts(awaiting.await(modelId, event.getEventId(), entry), TrainingExampleKind.EVICTED,
                    record.timestamp());
        }
        advanceEventClock(scored.eventTime(), record.timestamp());
    }

    private void processLabel(final Record<String, RoutedLabel> record) {
        final RoutedLabel routed = record.value();
        final Label label = routed.getLabel();
        final String modelId = record.key();
        advanceEventClock(label.getLabelTime().toEpochMilli(), record.timestamp());
        final String id = "label for event " + label.getEventId() + " of model " + modelId;
        final AwaitingLabel entry = awaiting.get(modelId, label.getEventId());
        if (entry == null || entry.getState() != AwaitingState.WAITING) {
            final AwaitingState state = entry == null ? null : entry.getState();
            rejectLabel(record, LearnerProcessor.labelReason(state), id + LearnerProcessor.labelRejection(state, config));
            return;
        }
        final PublishedPosteriors.Lookup lookup = posteriors.servingFor(modelId, entry.getFeatures().size());
        if (lookup.reason() != null) {
            rejectLabel(record, lookup.reason(), lookup.detail());
            return;
        }
        final PublishedPosteriors.Serving serving = lookup.serving();
        final LearnerProcessor.Checked checked = LearnerProcessor.checkLabel(label.getLabel(), serving.config().task(),
                serving.config().numClasses(), serving.classNames(), id);
        if (checked.reason() != null) {
            rejectLabel(record, checked.reason(), checked.detail() + " (the event keeps waiting for a valid label)");
            return;
        }
        awaiting.labelled(modelId, label.getEventId(), entry);
        forwardExample(record, modelId, label.getEventId(), entry, checked.target(),
                label.getLabelTime().toEpochMilli(), routed.getSourceTopic(), routed.getSourcePartition(),
                routed.getSourceOffset(), routed.getOriginalKey(), routed.getOriginalValue());
    }

    private void forwardExample(final Record<String, ?> record, final String modelId, final String eventId,
                                final AwaitingLabel served, final double target, final Long labelTime,
                                final String sourceTopic, final int sourcePartition, final long sourceOffset,
                                final ByteBuffer originalKey, final ByteBuffer originalValue) {
        context.forward(new Record<>(modelId, TrainingExample.newBuilder()
                .setKind(TrainingExampleKind.EXAMPLE)
                .setInputDimension(served.getFeatures().size())
                .setEventId(eventId)
                .setServed(served)
                .setTarget(target)
                .setLabelTime(labelTime)
                .setSourceTopic(sourceTopic)
                .setSourcePartition(sourcePartition)
                .setSourceOffset(sourceOffset)
                .setOriginalKey(originalKey)
                .setOriginalValue(originalValue)
                .build(), record.timestamp()));
    }

    /** Expires the events that waited longer than the maximum delay behind the latest time seen. */
    private void advanceEventClock(final long time, final long timestamp) {
        if (time <= eventClock) {
            return;
        }
        eventClock = time;
        forwardCounts(awaiting.advance(time), TrainingExampleKind.EXPIRED, timestamp);
    }

    /**
     * Events that stopped waiting in one step (usually none): one record per model with their count, for the
     * learner to count (with the feature count, in case the learner has not created the model yet).
     */
    private void forwardCounts(final List<AwaitingLabel> stopped, final TrainingExampleKind kind,
                               final long timestamp) {
        if (stopped.isEmpty()) {
            return;
        }
        final Map<String, int[]> counts = new LinkedHashMap<>();
        for (final AwaitingLabel entry : stopped) {
            counts.computeIfAbsent(entry.getModelId(), m -> new int[]{0, entry.getFeatures().size()})[0]++;
        }
        for (final Map.Entry<String, int[]> c : counts.entrySet()) {
            context.forward(new Record<>(c.getKey(), TrainingExample.newBuilder()
                    .setKind(kind)
                    .setInputDimension(c.getValue()[1])
                    .setCount(c.getValue()[0])
                    .build(), timestamp));
        }
    }

    private void reject(final Record<String, RoutedEvent> record, final DeadLetterReason reason,
                        final String detail) {
        context.forward(record.withValue(DeadLetters.of(reason, detail, record.value(), record.key())));
    }

    private void rejectLabel(final Record<String, RoutedLabel> record, final DeadLetterReason reason,
                        final String detail) {
        context.forward(record.withValue(DeadLetters.of(reason, detail, record.value(), record.key())));
    }
}
