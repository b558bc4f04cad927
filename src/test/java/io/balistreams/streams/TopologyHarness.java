package io.balistreams.streams;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.Event;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.avro.Prediction;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** The service topology in a {@link TopologyTestDriver}, with typed access to its topics. */
final class TopologyHarness implements AutoCloseable {
    final ServiceConfig config;
    final TopologyTestDriver driver;
    final TestInputTopic<byte[], byte[]> events;
    final TestInputTopic<byte[], byte[]> labels;
    final TestInputTopic<String, byte[]> modelConfig;
    final TestOutputTopic<String, Prediction> predictions;
    final TestOutputTopic<String, ModelMetrics> metrics;
    final TestOutputTopic<String, ModelSnapshot> snapshots;
    final TestOutputTopic<String, io.balistreams.avro.ModelPosterior> posteriors;
    final TestOutputTopic<String, DeadLetter> deadLetters;
    final TestOutputTopic<String, io.balistreams.avro.DriftAlert> driftAlerts;
    final AvroSerde<Event> eventSerde = AvroSerde.of(Event.class);
    final AvroSerde<io.balistreams.avro.Label> labelSerde = AvroSerde.of(io.balistreams.avro.Label.class);
    final AvroSerde<ModelConfig> configSerde = AvroSerde.of(ModelConfig.class);
    private long offsetCounter;

    TopologyHarness(final Path stateDir, final Map<String, String> settings) {
        final Map<String, String> all = new HashMap<>();
        all.put("bali.batch.max.wait.ms", "0");
        all.putAll(settings);
        config = ServiceConfig.from(all);
        final Properties p = config.streamsProperties();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(BaliTopology.build(config), p);
        events = driver.createInputTopic(config.eventsTopic(), new ByteArraySerializer(), new ByteArraySerializer());
        labels = driver.createInputTopic(config.labelsTopic(), new ByteArraySerializer(), new ByteArraySerializer());
        modelConfig = driver.createInputTopic(config.modelConfigTopic(), new StringSerializer(), new ByteArraySerializer());
        final StringDeserializer keys = new StringDeserializer();
        predictions = driver.createOutputTopic(config.predictionsTopic(), keys, AvroSerde.of(Prediction.class).deserializer());
        metrics = driver.createOutputTopic(config.metricsTopic(), keys, AvroSerde.of(ModelMetrics.class).deserializer());
        snapshots = driver.createOutputTopic(config.snapshotsTopic(), keys, AvroSerde.of(ModelSnapshot.class).deserializer());
        posteriors = driver.createOutputTopic(config.posteriorsTopic(), keys,
                AvroSerde.of(io.balistreams.avro.ModelPosterior.class).deserializer());
        deadLetters = driver.createOutputTopic(config.deadLetterTopic(), keys, AvroSerde.of(DeadLetter.class).deserializer());
        driftAlerts = driver.createOutputTopic(config.driftAlertsTopic(), keys,
                AvroSerde.of(io.balistreams.avro.DriftAlert.class).deserializer());
    }

    static Event event(final String id, final String modelId, final double[] x, final Object label) {
        final List<Double> features = new ArrayList<>();
        for (final double v : x) {
            features.add(v);
        }
        return new Event(id, modelId, Instant.ofEpochMilli(1_000_000L), features, label);
    }

    void send(final Event e) {
        send(null, e);
    }

    /** Sends the event with this record key (null: none). */
    void send(final byte[] key, final Event e) {
        events.pipeInput(key, eventSerde.encode(e));
        offsetCounter++;
    }

    /** Sends a label (no record key: the repartition by model id routes it). */
    void sendLabel(final String eventId, final String modelId, final Object label, final long labelTime) {
        labels.pipeInput(null, labelSerde.encode(new io.balistreams.avro.Label(eventId, modelId, label,
                Instant.ofEpochMilli(labelTime))));
    }

    /** An event at this event time. */
    static Event event(final String id, final String modelId, final double[] x, final Object label, final long time) {
        final Event e = event(id, modelId, x, label);
        e.setEventTime(Instant.ofEpochMilli(time));
        return e;
    }

    void sendConfig(final String key, final ModelConfig c) {
        modelConfig.pipeInput(key, c == null ? null : configSerde.encode(c));
    }

    @Override
    public void close() {
        driver.close();
    }
}
