package io.balistreams.streams;

import io.balistreams.local.EmbeddedKafka;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;

/**
 * What the tests against a real broker share: the settings of a small, fast service, clients that write the
 * inputs and read the outputs with read_committed, and {@code bali run} as a child JVM.
 */
final class BrokerTestSupport {
    private BrokerTestSupport() {
    }

    /**
     * The embedded broker of a test class, started before its first test and stopped after its last one:
     * {@code @RegisterExtension static final BrokerTestSupport.Broker kafka = new BrokerTestSupport.Broker();}
     */
    static final class Broker implements BeforeAllCallback, AfterAllCallback {
        private EmbeddedKafka kafka;

        @Override
        public void beforeAll(final ExtensionContext context) {
            kafka = new EmbeddedKafka();
        }

        @Override
        public void afterAll(final ExtensionContext context) {
            kafka.close();
        }

        String bootstrapServers() {
            return kafka.bootstrapServers();
        }
    }

    /**
     * Settings of a test application: topics named after it, commits every 100 ms, a 6 s session timeout
     * (the broker's smallest), full mini-batches only (no wall-clock flush), small models.
     */
    static Map<String, String> settings(final String bootstrapServers, final String app, final String stateDir) {
        final Map<String, String> s = new LinkedHashMap<>();
        s.put("bootstrap.servers", bootstrapServers);
        s.put("application.id", app);
        s.put("state.dir", stateDir);
        s.put("commit.interval.ms", "100");
        s.put("consumer.session.timeout.ms", "6000");
        for (final String key : ServiceConfig.TOPIC_KEYS) {
            s.put(key, app + "-" + ServiceConfig.DEFAULTS.get(key)[0]);
        }
        s.put("bali.batch.max.wait.ms", "0");
        s.put("bali.model.hidden", "16");
        s.put("bali.model.batch.size", "8");
        s.put("bali.metrics.every", "100");
        s.put("bali.snapshot.every", "5");
        return s;
    }

    /** Writes the settings to a properties file for {@code bali run --config}. */
    static Path writeConfig(final Map<String, String> settings, final Path file) {
        final Properties p = new Properties();
        p.putAll(settings);
        try (Writer w = Files.newBufferedWriter(file)) {
            p.store(w, null);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * Starts {@code bali run --config CONFIG ARGS…} in a child JVM with this test's class path, in this working
     * directory (a relative {@code state.dir} resolves against it), stdout and stderr to the log file.
     */
    static Process startRun(final Path config, final Path workingDirectory, final Path log, final String... args)
            throws IOException {
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.balistreams.cli.BaliCommand", "run",
                "--config", config.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(workingDirectory.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** An idempotent producer of raw bytes. */
    static KafkaProducer<byte[], byte[]> producer(final String bootstrapServers) {
        final Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // one batch in flight: a retried batch cannot be overtaken by the next (docs/platform-notes.md §1a)
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A read_committed consumer assigned to every partition of the topics, from the beginning. */
    static KafkaConsumer<byte[], byte[]> readCommittedConsumer(final String bootstrapServers, final List<String> topics) {
        final Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        final List<TopicPartition> parts = new ArrayList<>();
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (final String topic : topics) {
            List<PartitionInfo> infos = c.partitionsFor(topic);
            while (infos.isEmpty()) { // a topic created a moment ago may not be in the metadata yet
                if (System.nanoTime() > deadline) {
                    c.close();
                    throw new AssertionError("topic " + topic + " has no partitions");
                }
                sleep(100);
                infos = c.partitionsFor(topic);
            }
            infos.forEach(info -> parts.add(new TopicPartition(topic, info.partition())));
        }
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }

    /** The output topics of the service that the tests read. */
    static List<String> outputTopics(final ServiceConfig config) {
        return List.of(config.predictionsTopic(), config.deadLetterTopic(), config.metricsTopic(),
                config.snapshotsTopic(), config.driftAlertsTopic());
    }

    /**
     * Reads the topics (every partition) from the beginning with read_committed until {@code done} or the
     * timeout; the values by topic.
     */
    static Map<String, List<byte[]>> readCommitted(final String bootstrapServers, final List<String> topics,
                                                   final Duration timeout,
                                                   final Predicate<Map<String, List<byte[]>>> done) {
        final Map<String, List<byte[]>> got = new HashMap<>();
        topics.forEach(t -> got.put(t, new ArrayList<>()));
        try (KafkaConsumer<byte[], byte[]> c = readCommittedConsumer(bootstrapServers, topics)) {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(got)) {
                if (System.nanoTime() > deadline) {
                    final Map<String, Integer> sizes = new HashMap<>();
                    got.forEach((k, v) -> sizes.put(k, v.size()));
                    throw new AssertionError("timed out reading the outputs; got " + sizes);
                }
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    got.get(r.topic()).add(r.value());
                }
            }
        }
        return got;
    }

    static <T extends org.apache.avro.specific.SpecificRecord> List<T> decode(final List<byte[]> values,
                                                                               final Class<T> type) {
        final AvroSerde<T> serde = AvroSerde.of(type);
        return values.stream().map(serde::decode).toList();
    }

    static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
