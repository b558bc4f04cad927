package io.balistreams.streams;

import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelPosterior;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.PredictionScratch;
import io.balistreams.bali.RegressionPrediction;
import io.balistreams.bali.ServingModel;
import io.balistreams.bali.ServingPosteriorCodec;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.OodScore;
import io.balistreams.online.ScoredEvent;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The posteriors one scoring task scores with, under distributed scoring (docs/architecture.md §7): for each
 * model, the latest serving posterior its learner published to the {@code model-posteriors} topic, which
 * every instance holds as the global store {@value #STORE}; before the first publication reaches the store,
 * the model's prior, built here from its {@code model-config} entry or the defaults exactly as the learner
 * builds it (the prior is a deterministic function of the configuration and its seed), at version 0.
 *
 * <p>A publication is decoded once: the global store hands back the same byte array until the entry is
 * replaced, so a lookup per event costs one store read and one identity comparison. Not thread-safe: one
 * instance per scoring task.
 */
final class PublishedPosteriors {
    static final String STORE = "bali-model-posteriors";

    /** What scores a model's events now: the posterior, its class names, and the monitor's view at publication. */
    record Serving(ServingModel posterior, List<String> classNames, Double oodThreshold, DriftLevel driftState,
                   PredictionScratch scratch) {

        BaliConfig config() {
            return posterior.config();
        }

        /**
         * Scores one event as the learner would have at the posterior's version: the closed-form predictive,
         * the OOD score of {@code scoreKind}, flagged against the published threshold. Position −1: a scoring
         * task does not number a model's events (its learner does, when the label comes).
         */
        ScoredEvent score(final double[] features, final long eventTime, final OodScore scoreKind) {
            RegressionPrediction regression = null;
            ClassificationPrediction classification = null;
            final double oodScore;
            if (config().task() == io.balistreams.bali.Task.CLASSIFICATION) {
                classification = posterior.classify(features, scratch);
                oodScore = scoreKind.of(classification);
            } else {
                regression = posterior.predict(features, scratch);
                oodScore = scoreKind.of(regression);
            }
            return new ScoredEvent(-1, eventTime, posterior.version(), features, regression, classification, oodScore,
                    oodThreshold, oodThreshold != null && oodScore > oodThreshold, driftState, null,
                    posterior.memoryWeights());
        }
    }

    /** A lookup's outcome: what serves the model, or why its events cannot be scored (failure as a value). */
    record Lookup(Serving serving, DeadLetterReason reason, String detail) {
    }

    private record Decoded(byte[] raw, Serving serving) {
    }

    private final ServiceConfig config;
    private final KeyValueStore<String, byte[]> published;
    private final ModelConfigs configs;
    private final Deserializer<ModelPosterior> records;
    private final Map<String, Decoded> decoded = new HashMap<>();
    /** Each model's prior (or imported state) while nothing is published, with the entry generation it was built for. */
    private final Map<String, Prior> priors = new HashMap<>();

    private record Prior(long generation, Serving serving) {
    }

    PublishedPosteriors(final ServiceConfig config, final KeyValueStore<String, byte[]> published,
                        final KeyValueStore<String, byte[]> configs) {
        this.config = config;
        this.published = published;
        this.configs = new ModelConfigs(configs);
        this.records = config.recordSerdes().serde(ModelPosterior.class).deserializer();
    }

    /**
     * What scores the events of {@code modelId} now: its latest publication, else its prior.
     *
     * @param featureCount the event's number of features: the prior's input dimension when the configuration
     *                     does not fix it (as the learner takes it from the model's first example)
     */
    Lookup servingFor(final String modelId, final int featureCount) {
        final byte[] raw = published.get(modelId);
        if (raw != null) {
            final Decoded cached = decoded.get(modelId);
            if (cached != null && cached.raw() == raw) {
                return new Lookup(cached.serving(), null, null);
            }
            final Serving serving = decode(modelId, raw);
            decoded.put(modelId, new Decoded(raw, serving));
            priors.remove(modelId);
            return new Lookup(serving, null, null);
        }
        decoded.remove(modelId);
        // nothing published: never yet, or the learner removed the model (a tombstone) and has not published since
        final ModelConfig current = configs.get(modelId);
        if (ImportedModels.deleted(current)) {
            return new Lookup(null, DeadLetterReason.MODEL_DELETED, "model " + modelId + " was deleted by its "
                    + "model-config entry (generation " + ImportedModels.generation(current) + "); an entry with a "
                    + "higher generation and without deleted=true (bali model reset) starts it again");
        }
        final Prior prior = priors.get(modelId);
        if (prior != null && prior.generation() == ImportedModels.generation(current)) {
            return new Lookup(prior.serving(), null, null);
        }
        final ModelConfig entry = current;
        final ModelSpec spec;
        final boolean watching;
        try {
            watching = config.monitorSettings(entry).watching();
            if (ImportedModels.imports(entry)) {
                // an imported model serves with its snapshot's posterior until its learner publishes one
                final ImportedModels.Imported imported = ImportedModels.decode(entry);
                final ServingModel posterior = imported.servingPosterior();
                final Serving serving = new Serving(posterior, imported.snapshot().getClassNames(), null,
                        watching ? DriftLevel.STABLE : null, posterior.newScratch());
                priors.put(modelId, new Prior(ImportedModels.generation(entry), serving));
                return new Lookup(serving, null, null);
            }
            spec = entry == null ? config.modelDefaults() : config.modelDefaults().withOverrides(entry);
        } catch (final IllegalArgumentException e) {
            return new Lookup(null, DeadLetterReason.INVALID_MODEL_CONFIG, "model " + modelId
                    + " cannot be created, its model-config entry no longer fits the defaults: " + e.getMessage());
        }
        final int inputs = spec.inputDimension() != null ? spec.inputDimension() : featureCount;
        if (inputs == 0) {
            return new Lookup(null, DeadLetterReason.WRONG_DIMENSION, "model " + modelId + " cannot take events "
                    + "without features");
        }
        final ServingModel posterior = spec.isMixture() ? spec.toMixture(inputs).servingPosterior()
                : new BaliModel(spec.toBaliConfig(inputs)).servingPosterior();
        final Serving serving = new Serving(posterior, spec.classNames(), null, watching ? DriftLevel.STABLE : null,
                posterior.newScratch());
        priors.put(modelId, new Prior(ImportedModels.generation(entry), serving));
        return new Lookup(serving, null, null);
    }

    private Serving decode(final String modelId, final byte[] raw) {
        final ModelPosterior record;
        final ServingModel posterior;
        try {
            record = records.deserialize(config.posteriorsTopic(), raw);
            posterior = ServingPosteriorCodec.servingModel(record);
        } catch (final RuntimeException e) {
            throw new IllegalStateException("the published posterior of model " + modelId + " on "
                    + config.posteriorsTopic() + " cannot be read: " + e.getMessage(), e);
        }
        final String state = record.getDriftState();
        return new Serving(posterior, record.getClassNames(), record.getOodThreshold(),
                state == null ? null : DriftLevel.valueOf(state), posterior.newScratch());
    }
}
