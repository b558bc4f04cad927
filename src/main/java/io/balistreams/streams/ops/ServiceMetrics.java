package io.balistreams.streams.ops;

import io.balistreams.avro.ModelMetrics;
import io.balistreams.streams.ModelObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The service's Prometheus series: Kafka Streams' own metrics (Micrometer's {@link KafkaStreamsMetrics} binder),
 * the JVM's, and, through {@link ModelObserver}, one set per model labelled {@code model="ID"}:
 * <ul>
 *   <li>counters {@code bali_events_scored_total}, {@code bali_ood_flags_total}, {@code bali_labels_total},
 *       {@code bali_updates_total{outcome="accepted|rejected"}}, {@code bali_drift_alarms_total{level, detector}};</li>
 *   <li>histograms {@code bali_scoring_seconds} and {@code bali_update_seconds} (fixed buckets 10 µs … 1 s);</li>
 *   <li>gauges {@code bali_model_version}, {@code bali_drift_state} (0 stable, 1 warning, 2 drift; absent if no
 *       detector watches the model), {@code bali_state_bytes}, {@code bali_labels_waiting}, and the windowed
 *       prequential metrics of the last {@code ModelMetrics} record, {@code bali_window_<metric>} (accuracy, kappa,
 *       nll, ece, brier for classification; rmse, mae, nll, coverage95 for regression);</li>
 * </ul>
 * and {@code bali_dead_letters_total{reason}}. The counters count what the processors did, including work that
 * exactly-once processing later aborts and repeats after a crash; the prediction topics hold the exact counts.
 * The number of series grows with the models an instance holds, which {@code bali.models.max} bounds.
 */
public final class ServiceMetrics implements ModelObserver, AutoCloseable {
    /** Bucket bounds of the latency histograms, in seconds. */
    static final List<Duration> LATENCY_BUCKETS = List.of(Duration.ofNanos(10_000), Duration.ofNanos(30_000),
            Duration.ofNanos(100_000), Duration.ofNanos(300_000), Duration.ofMillis(1), Duration.ofMillis(3),
            Duration.ofMillis(10), Duration.ofMillis(30), Duration.ofMillis(100), Duration.ofMillis(300),
            Duration.ofSeconds(1));

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Map<String, PerModel> models = new ConcurrentHashMap<>();
    private final Map<String, Counter> deadLetters = new ConcurrentHashMap<>();
    private KafkaStreamsMetrics kafkaStreams;

    public ServiceMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /** Adds the Kafka Streams client's own metrics (threads, tasks, stores, clients). */
    public void bind(final KafkaStreams streams) {
        kafkaStreams = new KafkaStreamsMetrics(streams);
        kafkaStreams.bindTo(registry);
    }

    /** Every series in the Prometheus text exposition format. */
    public String scrape() {
        return registry.scrape();
    }

    /** The registry, for tests and for an application that embeds the service and adds its own meters. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    private PerModel model(final String modelId) {
        return models.computeIfAbsent(modelId, id -> new PerModel(id, registry));
    }

    @Override
    public void scored(final String modelId, final long nanos, final boolean oodFlag) {
        final PerModel m = model(modelId);
        m.scored.increment();
        m.scoring.record(nanos, TimeUnit.NANOSECONDS);
        if (oodFlag) {
            m.oodFlags.increment();
        }
    }

    @Override
    public void labelled(final String modelId) {
        model(modelId).labels.increment();
    }

    @Override
    public void updated(final String modelId, final long version, final long nanos, final boolean accepted) {
        final PerModel m = model(modelId);
        (accepted ? m.accepted : m.rejected).increment();
        m.update.record(nanos, TimeUnit.NANOSECONDS);
        m.version.set(version);
    }

    @Override
    public void alarm(final String modelId, final String level, final String detector) {
        final PerModel m = model(modelId);
        Counter.builder("bali.drift.alarms").description("Drift alarms raised by the model's monitor")
                .tags(Tags.of("model", modelId, "level", level.toLowerCase(java.util.Locale.ROOT), "detector", detector))
                .register(registry).increment();
        m.setDriftState(level);
    }

    @Override
    public void metrics(final ModelMetrics metrics, final String driftState) {
        final PerModel m = model(metrics.getModelId());
        m.version.set(metrics.getModelVersion());
        m.stateBytes.set(metrics.getStateBytes());
        m.waiting.set(metrics.getWaitingForLabels());
        if (driftState != null) {
            m.setDriftState(driftState);
        }
        for (final Map.Entry<String, Double> e : metrics.getWindow().entrySet()) {
            m.window(e.getKey(), registry).set(e.getValue());
        }
    }

    @Override
    public void removed(final String modelId) {
        models.remove(modelId);
        for (final io.micrometer.core.instrument.Meter meter : registry.getMeters()) {
            if (modelId.equals(meter.getId().getTag("model"))) {
                registry.remove(meter);
            }
        }
    }

    @Override
    public void deadLetter(final String reason) {
        deadLetters.computeIfAbsent(reason, r -> Counter.builder("bali.dead.letters")
                .description("Records refused to the dead-letter topic, by reason")
                .tags("reason", r.toLowerCase(java.util.Locale.ROOT)).register(registry)).increment();
    }

    @Override
    public void close() {
        gc.close();
        if (kafkaStreams != null) {
            kafkaStreams.close();
        }
        registry.close();
    }

    /** One model's meters. */
    private static final class PerModel {
        final String id;
        final Counter scored;
        final Counter oodFlags;
        final Counter labels;
        final Counter accepted;
        final Counter rejected;
        final Timer scoring;
        final Timer update;
        final AtomicLong version = new AtomicLong();
        final AtomicLong stateBytes = new AtomicLong();
        final AtomicLong waiting = new AtomicLong();
        /** −1 until a detector reports; then 0 stable, 1 warning, 2 drift. */
        final AtomicLong driftState = new AtomicLong(-1);
        final Map<String, AtomicReference<Double>> window = new ConcurrentHashMap<>();

        PerModel(final String id, final PrometheusMeterRegistry registry) {
            this.id = id;
            final Tags tags = Tags.of("model", id);
            scored = Counter.builder("bali.events.scored").description("Events scored").tags(tags).register(registry);
            oodFlags = Counter.builder("bali.ood.flags").description("Scored events flagged out-of-distribution")
                    .tags(tags).register(registry);
            labels = Counter.builder("bali.labels").description("Labels given to the model (in events, joined "
                    + "from the labels topic, or as training examples)").tags(tags).register(registry);
            accepted = Counter.builder("bali.updates").description("Mini-batch updates")
                    .tags(tags.and("outcome", "accepted")).register(registry);
            rejected = Counter.builder("bali.updates").description("Mini-batch updates")
                    .tags(tags.and("outcome", "rejected")).register(registry);
            scoring = Timer.builder("bali.scoring").description("Time to score one event (the model's predictive)")
                    .tags(tags).serviceLevelObjectives(LATENCY_BUCKETS.toArray(new Duration[0])).register(registry);
            update = Timer.builder("bali.update").description("Time of one mini-batch update of the model")
                    .tags(tags).serviceLevelObjectives(LATENCY_BUCKETS.toArray(new Duration[0])).register(registry);
            Gauge.builder("bali.model.version", version, AtomicLong::get).description("Accepted updates so far")
                    .tags(tags).register(registry);
            Gauge.builder("bali.state.bytes", stateBytes, AtomicLong::get)
                    .description("Size of the model's serialised state at its last metrics record").tags(tags)
                    .register(registry);
            Gauge.builder("bali.labels.waiting", waiting, AtomicLong::get)
                    .description("Scored events waiting for their label at the last metrics record").tags(tags)
                    .register(registry);
            Gauge.builder("bali.drift.state", driftState, s -> s.get() < 0 ? Double.NaN : s.get())
                    .description("The monitor's state: 0 stable, 1 warning, 2 drift (NaN until it reports)")
                    .tags(tags).register(registry);
        }

        void setDriftState(final String level) {
            driftState.set(switch (level) {
                case "WARNING" -> 1;
                case "DRIFT" -> 2;
                default -> 0;
            });
        }

        AtomicReference<Double> window(final String metric, final PrometheusMeterRegistry registry) {
            return window.computeIfAbsent(metric, name -> {
                final AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
                Gauge.builder("bali.window." + name, value, AtomicReference::get)
                        .description("The model's prequential " + name + " over its last metrics window")
                        .tags("model", id).register(registry);
                return value;
            });
        }
    }
}
