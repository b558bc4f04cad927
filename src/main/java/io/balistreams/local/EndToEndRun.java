package io.balistreams.local;

import io.balistreams.streams.ServiceConfig;
import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DriftAlert;
import io.balistreams.avro.Prediction;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * Pushes a stream of records through a running service (or the bench's {@link PassThrough}) and reads
 * everything it answers: the driver of {@code bali demo} and of the end-to-end benchmark. A producer thread sends {@code total} records to the
 * events topic (record timestamp = send time); the calling thread reads predictions, dead letters and drift
 * alerts with {@code isolation.level=read_committed} until every record is accounted for (one prediction
 * or one dead letter each) or nothing arrives for {@code idleTimeout}. Latency is measured per prediction
 * from the event record's timestamp to its arrival at the reading consumer.
 */
public final class EndToEndRun {
    /** Receives what the service emits, on the reading thread. */
    public interface Listener {
        default void prediction(final Prediction p, final long latencyMs) {
        }

        default void deadLetter(final DeadLetter d) {
        }

        default void driftAlert(final DriftAlert a) {
        }

        /**
         * Whether the answers are decoded and passed to the methods above; false: they are only counted (the
         * bench, whose pass-through application answers with the event's own bytes).
         */
        default boolean decodes() {
            return true;
        }

        /** Called about twice a second. */
        default void progress(final long sent, final long predictions, final long deadLetters, final double seconds) {
        }
    }

    /** What one run measured. */
    public record Result(long sent, long predictions, long deadLetters, long driftAlerts, double seconds,
                         long[] latenciesMs, boolean complete) {
        /** Events answered per second, from the first send to the last answer. */
        public double eventsPerSecond() {
            return (predictions + deadLetters) / seconds;
        }

        /** The q-quantile (0..1) of the latencies, nearest rank; NaN without predictions. */
        public double latencyQuantileMs(final double q) {
            if (latenciesMs.length == 0) {
                return Double.NaN;
            }
            final long[] sorted = latenciesMs.clone();
            Arrays.sort(sorted);
            final int rank = (int) Math.ceil(q * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
        }
    }

    private EndToEndRun() {
    }

    /**
     * @param config      the service's configuration (topics, client settings)
     * @param total       records to send
     * @param records     record {@code i} (key and value bytes) for i = 0..total-1, called on the producer thread
     * @param idleTimeout give up when nothing arrives for this long
     */
    public static Result run(final ServiceConfig config, final long total,
                             final LongFunction<ProducerRecord<byte[], byte[]>> records, final Listener listener,
                             final Duration idleTimeout) {
        return run(config, total, records, listener, idleTimeout, 0);
    }

    /**
     * As {@link #run(ServiceConfig, long, LongFunction, Listener, Duration)}, sending at most
     * {@code ratePerSecond} records per second (0: as fast as the producer can).
     */
    public static Result run(final ServiceConfig config, final long total,
                             final LongFunction<ProducerRecord<byte[], byte[]>> records, final Listener listener,
                             final Duration idleTimeout, final double ratePerSecond) {
        final AtomicLong sent = new AtomicLong();
        final AtomicReference<Throwable> producerFailure = new AtomicReference<>();
        final AvroSerde<Prediction> predictions = AvroSerde.of(Prediction.class);
        final AvroSerde<DeadLetter> deadLetters = AvroSerde.of(DeadLetter.class);
        final AvroSerde<DriftAlert> alerts = AvroSerde.of(DriftAlert.class);
        final List<Long> latencies = new ArrayList<>();
        final boolean decode = listener.decodes();
        long predicted = 0;
        long dead = 0;
        long alerted = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = answerConsumer(config,
                List.of(config.predictionsTopic(), config.deadLetterTopic(), config.driftAlertsTopic()))) {
            final long start = System.nanoTime();
            final Thread producerThread = new Thread(() -> produce(config, total, records, sent, producerFailure,
                    ratePerSecond),
                    "bali-e2e-producer");
            producerThread.setDaemon(true);
            producerThread.start();

            long lastArrival = System.nanoTime();
            long lastProgress = 0;
            long lastAnswer = start;
            while (true) {
                if (producerFailure.get() != null) {
                    throw new IllegalStateException("sending events failed: " + producerFailure.get(), producerFailure.get());
                }
                final var polled = consumer.poll(Duration.ofMillis(100));
                final long now = System.currentTimeMillis();
                for (final ConsumerRecord<byte[], byte[]> r : polled) {
                    if (r.topic().equals(config.predictionsTopic())) {
                        predicted++;
                        final long latency = now - r.timestamp();
                        latencies.add(latency);
                        if (decode) {
                            listener.prediction(predictions.decode(r.value()), latency);
                        }
                    } else if (r.topic().equals(config.deadLetterTopic())) {
                        dead++;
                        if (decode) {
                            listener.deadLetter(deadLetters.decode(r.value()));
                        }
                    } else {
                        alerted++;
                        if (decode) {
                            listener.driftAlert(alerts.decode(r.value()));
                        }
                    }
                }
                final long nanos = System.nanoTime();
                if (!polled.isEmpty()) {
                    lastArrival = nanos;
                    lastAnswer = nanos;
                }
                if (nanos - lastProgress > 500_000_000L) {
                    listener.progress(sent.get(), predicted, dead, (nanos - start) / 1e9);
                    lastProgress = nanos;
                }
                final boolean done = sent.get() == total && predicted + dead >= total;
                if (done || nanos - lastArrival > idleTimeout.toNanos()) {
                    final long[] l = latencies.stream().mapToLong(Long::longValue).toArray();
                    return new Result(sent.get(), predicted, dead, alerted, (lastAnswer - start) / 1e9, l, done);
                }
            }
        }
    }

    /**
     * The service's catch-up speed on a backlog, without a load generator competing for the machine:
     * sends {@code warmup + total} records first (the service not yet running), then calls
     * {@code startService} and reads the answers. The result counts the {@code total} answers after the
     * first {@code warmup}, over the time between the warmup-th answer (or the start, without warm-up) and
     * the last; no latencies (every event waited in the backlog).
     */
    public static Result backlog(final ServiceConfig config, final long warmup, final long total,
                                 final LongFunction<ProducerRecord<byte[], byte[]>> records, final Runnable startService,
                                 final Duration idleTimeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = answerConsumer(config,
                List.of(config.predictionsTopic(), config.deadLetterTopic()))) {
            final AtomicLong sent = new AtomicLong();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            produce(config, warmup + total, records, sent, failure, 0);
            if (failure.get() != null) {
                throw new IllegalStateException("sending events failed: " + failure.get(), failure.get());
            }
            startService.run();
            long answered = 0;
            // the clock starts at the poll that brings the last warm-up answer; the answers counted are
            // those of the polls after it (a read_committed consumer gets a whole transaction at once)
            long from = -1;
            long timed = 0;
            long last = System.nanoTime();
            long lastArrival = last;
            while (answered < warmup + total && System.nanoTime() - lastArrival < idleTimeout.toNanos()) {
                final var polled = consumer.poll(Duration.ofMillis(100));
                final long now = System.nanoTime();
                if (polled.isEmpty()) {
                    continue;
                }
                if (from >= 0) {
                    timed += polled.count();
                }
                answered += polled.count();
                if (from < 0 && answered >= warmup) {
                    from = now;
                }
                last = now;
                lastArrival = now;
            }
            if (answered >= warmup + total && timed == 0) {
                throw new IllegalStateException("every answer after the warm-up arrived in the same read_committed "
                        + "poll as the last warm-up answer, so there is no time to measure: raise the number of events");
            }
            return new Result(sent.get() - warmup, timed, 0, 0, from < 0 ? 0 : (last - from) / 1e9, new long[0],
                    answered >= warmup + total);
        }
    }

    /** What {@link #countAnswers} found on the predictions topic. */
    public record Answers(long records, long distinctEvents, long expected) {
        /** Answers beyond the first for the same event. */
        public long duplicates() {
            return records - distinctEvents;
        }

        /** Expected events without an answer (assuming every answer is for an expected event). */
        public long missing() {
            return Math.max(0, expected - distinctEvents);
        }

        /** Every expected event has exactly one answer. */
        public boolean exactlyOnce() {
            return duplicates() == 0 && distinctEvents == expected;
        }
    }

    /**
     * Reads the predictions topic from the beginning to its last committed record (read_committed) and counts
     * the answers per event id: a check after a measurement (not timed) that every one of {@code expected}
     * events was answered exactly once.
     *
     * @param eventId the event id an answer's value bytes stand for
     */
    public static Answers countAnswers(final ServiceConfig config, final Function<byte[], String> eventId,
                                       final long expected, final Duration timeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(config)) {
            final List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(config.predictionsTopic(), Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            final Set<String> seen = new HashSet<>();
            long records = 0;
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read the predictions topic to its end within " + timeout);
                }
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    records++;
                    seen.add(eventId.apply(r.value()));
                }
            }
            return new Answers(records, seen.size(), expected);
        }
    }

    /**
     * A read_committed consumer assigned to every partition of {@code topics}, positioned at their current
     * ends, so that it reads only what is answered from now on.
     */
    private static KafkaConsumer<byte[], byte[]> answerConsumer(final ServiceConfig config, final List<String> topics) {
        final KafkaConsumer<byte[], byte[]> consumer = consumer(config);
        try {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final String topic : topics) {
                consumer.partitionsFor(topic, Duration.ofSeconds(30))
                        .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // fix the start before anything is sent
            return consumer;
        } catch (final RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    /**
     * {@code models} model ids {@code prefix + j}, chosen so that model k lands on partition k mod {@code partitions}
     * of the events topic (and of the repartition topic) under Kafka's key hash: the models spread evenly over the
     * partitions, and so over the learner tasks and stream threads.
     */
    public static List<String> spreadModelIds(final String prefix, final int models, final int partitions) {
        final List<String> ids = new ArrayList<>(models);
        for (int k = 0; k < models; k++) {
            for (int j = 0; ; j++) {
                final String id = prefix + j;
                if (partition(id, partitions) == k % partitions && !ids.contains(id)) {
                    ids.add(id);
                    break;
                }
            }
        }
        return ids;
    }

    /** The partition Kafka's default partitioner gives this key (murmur2 of the UTF-8 bytes). */
    public static int partition(final String key, final int partitions) {
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                key.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(final ServiceConfig config) {
        final Map<String, Object> props = new HashMap<>(config.clientProperties());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static void produce(final ServiceConfig config, final long total,
                                final LongFunction<ProducerRecord<byte[], byte[]>> records, final AtomicLong sent,
                                final AtomicReference<Throwable> failure, final double ratePerSecond) {
        final Map<String, Object> props = new HashMap<>(config.clientProperties());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(128 * 1024));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            final long start = System.nanoTime();
            for (long i = 0; i < total; i++) {
                if (ratePerSecond > 0) {
                    final long due = start + (long) (i * 1e9 / ratePerSecond);
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(Math.min(wait, 1_000_000L));
                    }
                }
                final ProducerRecord<byte[], byte[]> r = records.apply(i);
                producer.send(new ProducerRecord<>(config.eventsTopic(), null, System.currentTimeMillis(), r.key(), r.value()),
                        (metadata, e) -> {
                            if (e != null) {
                                failure.compareAndSet(null, e);
                            }
                        });
                sent.incrementAndGet();
            }
            producer.flush();
        } catch (final RuntimeException e) {
            failure.compareAndSet(null, e);
        }
    }
}
