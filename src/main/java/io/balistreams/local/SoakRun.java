package io.balistreams.local;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.Event;
import io.balistreams.avro.Label;
import io.balistreams.streams.BaliService;
import io.balistreams.streams.ServiceConfig;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A long run of a live service, sampled as it goes: the driver of {@code bali bench --soak} and of the short soak
 * test. Events go to {@code models} regression models (key = model id) and come in three kinds, by event number
 * i: {@code i mod 10 < 5} carry their label; {@code 5..8} come without one and their label follows on the labels
 * topic {@code labelLag} events later (the labels flow: each waits in the learner's {@code bali-awaiting} store);
 * {@code 9} is never labelled (it waits until the store's bound evicts it). The sender stays at most
 * {@code maxAhead} events ahead of the answers, so that what is measured is the service at work, not a backlog on
 * the broker. Every {@code sampleEvery} answered events it samples the JVM heap after a full GC, the process RSS,
 * the entries and on-disk bytes of every state store, the bytes of every changelog topic on the broker, and the
 * throughput since the previous sample. The broker, the sender and the service share this JVM (as in every
 * {@code bali bench} run), so heap and RSS are the whole process's.
 */
public final class SoakRun {
    /**
     * What one soak sends and how often it samples.
     *
     * @param partitions the events topic's partitions: the models are spread evenly over them
     * @param labelLag events sent between an event and its label on the labels topic (long enough that a label
     *                 does not overtake its event, which takes the repartition hop: a label that does is
     *                 dead-lettered LABEL_UNKNOWN_EVENT, and its event waits until it is evicted)
     */
    public record Settings(long events, int models, int partitions, long sampleEvery, long maxAhead, int labelLag) {
        public Settings {
            if (events < 1 || models < 1 || partitions < 1 || sampleEvery < 1 || maxAhead < 1 || labelLag < 1) {
                throw new IllegalArgumentException("events, models, partitions, sampleEvery, maxAhead and labelLag "
                        + "must be >= 1");
            }
        }
    }

    /**
     * One sample.
     *
     * @param answered       events answered so far (predictions and dead letters of events)
     * @param seconds        since the first event was sent
     * @param eventsPerSecond answered events per second since the previous sample
     * @param heapAfterGcBytes heap in use right after a full GC ({@code System.gc()})
     * @param rssBytes       resident set size of the process ({@code VmRSS}; 0 where /proc is absent)
     * @param storeEntries   per state store: its entries over this instance's tasks (counted)
     * @param storeBytes     per state store: bytes of its files under state.dir (0 for in-memory stores)
     * @param changelogBytes per changelog topic: bytes of its partitions on the broker
     */
    public record Sample(long answered, double seconds, double eventsPerSecond, long heapAfterGcBytes, long rssBytes,
                         Map<String, Long> storeEntries, Map<String, Long> storeBytes, Map<String, Long> changelogBytes) {
    }

    /** The whole run: its samples, and what came back. */
    public record Result(List<Sample> samples, long predictions, long eventDeadLetters, long labelDeadLetters,
                         long labelsSent, Map<String, Long> deadLetterReasons, List<String> firstDeadLetters) {
    }

    private SoakRun() {
    }

    /** The names of the service's state stores that the soak samples. */
    public static final List<String> STORES = List.of("bali-models", "bali-progress", "bali-pending", "bali-monitor",
            "bali-awaiting");

    /**
     * Runs the soak against a started service; returns once every event was answered.
     *
     * @param onSample called with each sample as it is taken
     * @throws IllegalStateException if the answers stop coming for {@code idleTimeout}, or sending fails
     */
    public static Result run(final BaliService service, final Settings settings, final Consumer<Sample> onSample,
                             final Duration idleTimeout) {
        final ServiceConfig config = service.config();
        final AvroSerde<Event> events = AvroSerde.of(Event.class);
        final AvroSerde<Label> labels = AvroSerde.of(Label.class);
        final AvroSerde<DeadLetter> deadLetters = AvroSerde.of(DeadLetter.class);
        final SyntheticRegression data = new SyntheticRegression(config.modelDefaults().inputDimension() == null ? 8
                : config.modelDefaults().inputDimension());
        final List<Sample> samples = new ArrayList<>();
        final List<String> modelIds = EndToEndRun.spreadModelIds("soak-", settings.models(), settings.partitions());
        final ArrayDeque<DueLabel> dueLabels = new ArrayDeque<>();
        final AtomicReference<Exception> sendFailure = new AtomicReference<>();
        final Callback onSent = (metadata, e) -> {
            if (e != null) {
                sendFailure.compareAndSet(null, e);
            }
        };
        long sent = 0;
        long labelsSent = 0;
        final Answers answers = new Answers(config, deadLetters);
        try (KafkaProducer<byte[], byte[]> producer = producer(config);
             KafkaConsumer<byte[], byte[]> consumer = consumer(config);
             Admin admin = Admin.create(config.clientProperties())) {
            consumer.subscribe(List.of(config.predictionsTopic(), config.deadLetterTopic()));
            final long start = System.nanoTime();
            long lastSampleNanos = start;
            long lastSampleAnswered = 0;
            long nextSample = settings.sampleEvery();
            long lastArrival = System.nanoTime();
            final double[] x = new double[data.inputs()];
            while (answers.events() < settings.events()) {
                if (sendFailure.get() != null) {
                    throw new IllegalStateException("sending failed: " + sendFailure.get(), sendFailure.get());
                }
                final long answered = answers.events();
                final long room = Math.min(settings.events() - sent, settings.maxAhead() - (sent - answered));
                for (long k = 0; k < Math.min(room, 1_000); k++, sent++) {
                    final long i = sent;
                    final double y = data.next(x);
                    final String model = modelIds.get((int) (i % settings.models()));
                    final byte[] key = model.getBytes(StandardCharsets.UTF_8);
                    final long kind = i % 10;
                    final Instant now = Instant.now();
                    final Event e = new Event("s" + i, model, now, java.util.Arrays.stream(x).boxed().toList(),
                            kind < 5 ? y : null);
                    producer.send(new ProducerRecord<>(config.eventsTopic(), key, events.encode(e)), onSent);
                    if (kind >= 5 && kind < 9) {
                        dueLabels.add(new DueLabel(i + settings.labelLag(), new ProducerRecord<>(config.labelsTopic(), key,
                                labels.encode(new Label("s" + i, model, y, now)))));
                    }
                    while (!dueLabels.isEmpty() && dueLabels.peekFirst().after() <= i) {
                        producer.send(dueLabels.pollFirst().label(), onSent);
                        labelsSent++;
                    }
                }
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                    lastArrival = System.nanoTime();
                    answers.add(r);
                }
                if (System.nanoTime() - lastArrival > idleTimeout.toNanos()) {
                    throw new IllegalStateException("no answer for " + idleTimeout.toSeconds() + " s after "
                            + answers.events() + " of " + settings.events() + " events"
                            + service.failure().map(f -> "; the service failed: " + f).orElse(""));
                }
                if (sent == settings.events() && answers.events() == settings.events()) {
                    // every event was scored: the labels still due (of the last labelLag events) can go now
                    while (!dueLabels.isEmpty()) {
                        producer.send(dueLabels.pollFirst().label(), onSent);
                        labelsSent++;
                    }
                    producer.flush();
                }
                final long nowAnswered = answers.events();
                if (nowAnswered >= nextSample || nowAnswered == settings.events()) {
                    final long nanos = System.nanoTime();
                    final Sample s = sample(service, admin, nowAnswered, (nanos - start) / 1e9,
                            (nowAnswered - lastSampleAnswered) / ((nanos - lastSampleNanos) / 1e9));
                    samples.add(s);
                    onSample.accept(s);
                    lastSampleAnswered = nowAnswered;
                    // the sample's own time (the full GC, the scans) is not the service's
                    lastSampleNanos = System.nanoTime();
                    lastArrival = lastSampleNanos;
                    nextSample = (nowAnswered / settings.sampleEvery() + 1) * settings.sampleEvery();
                }
            }
            // the dead letters of the last labels, if any, come within a few commits
            final long drainUntil = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < drainUntil) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    answers.add(r);
                }
            }
        }
        return new Result(samples, answers.predictions, answers.eventDead, answers.labelDead, labelsSent,
                answers.reasons, answers.firstDeadLetters);
    }

    /** A label to send once event {@code after} has been sent. */
    private record DueLabel(long after, ProducerRecord<byte[], byte[]> label) {
    }

    /** What came back: predictions, and dead letters by reason (of events, or of labels: LABEL_*). */
    private static final class Answers {
        private final ServiceConfig config;
        private final AvroSerde<DeadLetter> deadLetters;
        long predictions;
        long eventDead;
        long labelDead;
        final Map<String, Long> reasons = new TreeMap<>();
        final List<String> firstDeadLetters = new ArrayList<>();

        Answers(final ServiceConfig config, final AvroSerde<DeadLetter> deadLetters) {
            this.config = config;
            this.deadLetters = deadLetters;
        }

        /** Events answered: predicted or dead-lettered. */
        long events() {
            return predictions + eventDead;
        }

        void add(final ConsumerRecord<byte[], byte[]> r) {
            if (r.topic().equals(config.predictionsTopic())) {
                predictions++;
                return;
            }
            final DeadLetter dead = deadLetters.decode(r.value());
            final String reason = dead.getReason().name();
            if (firstDeadLetters.size() < 5) {
                firstDeadLetters.add(reason + ": " + dead.getDetail());
            }
            reasons.merge(reason, 1L, Long::sum);
            if (reason.startsWith("LABEL_")) {
                labelDead++;
            } else {
                eventDead++;
            }
        }
    }

    private static Sample sample(final BaliService service, final Admin admin, final long answered,
                                 final double seconds, final double eventsPerSecond) {
        System.gc();
        final long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        final Map<String, Long> entries = new TreeMap<>();
        final Map<String, Long> bytes = new TreeMap<>();
        final Path appDir = Path.of(service.config().streamsProperties().getProperty(StreamsConfig.STATE_DIR_CONFIG),
                service.config().streamsProperties().getProperty(StreamsConfig.APPLICATION_ID_CONFIG));
        for (final String store : STORES) {
            try {
                final ReadOnlyKeyValueStore<Object, Object> kv = service.streams().store(
                        StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.keyValueStore()));
                long n = 0; // counted: RocksDB's estimate counts overwritten keys until its own compaction
                try (var all = kv.all()) {
                    while (all.hasNext()) {
                        all.next();
                        n++;
                    }
                }
                entries.put(store, n);
            } catch (final RuntimeException notQueryable) {
                entries.put(store, -1L); // e.g. during a rebalance; the next sample has it
            }
            bytes.put(store, storeBytes(appDir, store));
        }
        return new Sample(answered, seconds, eventsPerSecond, heap, rssBytes(), entries, bytes, changelogBytes(admin));
    }

    /** Bytes of the files of every {@code rocksdb/STORE} directory of the application's tasks. */
    static long storeBytes(final Path appDir, final String store) {
        if (!Files.isDirectory(appDir)) {
            return 0;
        }
        long total = 0;
        try (Stream<Path> tasks = Files.list(appDir)) {
            for (final Path task : tasks.toList()) {
                final Path dir = task.resolve("rocksdb").resolve(store);
                if (Files.isDirectory(dir)) {
                    try (Stream<Path> files = Files.walk(dir)) {
                        total += files.filter(Files::isRegularFile).mapToLong(f -> {
                            try {
                                return Files.size(f);
                            } catch (final IOException gone) {
                                return 0; // RocksDB removed it meanwhile (compaction)
                            }
                        }).sum();
                    }
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the state directory " + appDir, e);
        }
        return total;
    }

    /** Bytes on the broker of every topic whose name ends with {@code -changelog}, by topic. */
    static Map<String, Long> changelogBytes(final Admin admin) {
        final Map<String, Long> sizes = new TreeMap<>();
        try {
            final var nodes = admin.describeCluster().nodes().get();
            final var dirs = admin.describeLogDirs(nodes.stream().map(n -> n.id()).toList()).allDescriptions().get();
            for (final Map<String, LogDirDescription> byDir : dirs.values()) {
                for (final LogDirDescription d : byDir.values()) {
                    for (final Map.Entry<TopicPartition, ReplicaInfo> r : d.replicaInfos().entrySet()) {
                        if (r.getKey().topic().endsWith("-changelog")) {
                            sizes.merge(r.getKey().topic(), r.getValue().size(), Long::sum);
                        }
                    }
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the broker for its log sizes", e);
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot ask the broker for its log sizes: " + e.getCause(), e);
        }
        return sizes;
    }

    /** The resident set size of this process from /proc/self/status, or 0 where there is none. */
    static long rssBytes() {
        final Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return 0;
        }
        try {
            for (final String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (final IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static KafkaProducer<byte[], byte[]> producer(final ServiceConfig config) {
        final Map<String, Object> p = new HashMap<>(config.clientProperties());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // one batch in flight: events and their later labels stay in the order they were sent
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(final ServiceConfig config) {
        final Map<String, Object> p = new HashMap<>(config.clientProperties());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bali-soak-reader-" + System.nanoTime());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
