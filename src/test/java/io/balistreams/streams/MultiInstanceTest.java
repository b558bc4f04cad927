package io.balistreams.streams;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.Event;
import io.balistreams.avro.Label;
import io.balistreams.avro.ModelMetrics;
import io.balistreams.avro.Prediction;
import io.balistreams.avro.internal.LearnerModel;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.Rng;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.testing.Slow;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static io.balistreams.streams.BrokerTestSupport.sleep;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service on two instances: two {@code bali run} processes with one application id, one configuration
 * file and a state directory each share four regression models over four partitions. One instance is killed
 * with SIGKILL in the middle of the stream and the other takes over its models; the killed one is restarted on
 * its state directory, rejoins, takes its share again and processes a further stretch of the stream. Every
 * event gets exactly one prediction, every label is learned exactly once, nothing is dead-lettered, and the
 * predictions, metrics and final models are bit-identical to the same stream run through one uninterrupted
 * topology. Run without and with a standby replica. The take-over time is printed (a line starting
 * {@code TAKEOVER}), not asserted: timing is a benchmark's concern.
 *
 * <p>Why the comparison can be exact: a learner task reads events and labels from two partitions, and how
 * Kafka Streams interleaves them depends on when the records arrive. The stream is therefore sent in blocks:
 * a block's events; once every one of them has its prediction, the labels of the block's unlabelled events
 * (in a shuffled order); once the metrics record that closes the block (bali.metrics.every = the labels of a
 * block per model) has been read, the next block. So every model sees its events and labels in the same order
 * on any instance, before and after a crash (exactly-once: the survivor re-processes what the killed instance
 * had not committed, from the committed state), and in the reference, which is fed the same order.
 */
@Slow
class MultiInstanceTest {
    private static final int PARTITIONS = 4;
    /** Events per model in a block; each of them is labelled within the block, so also bali.metrics.every. */
    private static final int PER_BLOCK = 40;
    /** Blocks 0-1 on two instances, 2 with the kill, 3 on the survivor alone, 4-5 after the restart. */
    private static final int BLOCKS = 6;
    private static final int KILL_BLOCK = 2;
    private static final int RESTART_BLOCK = 4;

    @RegisterExtension
    static final BrokerTestSupport.Broker kafka = new BrokerTestSupport.Broker();

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "num.standby.replicas = {0}")
    @ValueSource(ints = {0, 1})
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void theSurvivorTakesOverTheKilledInstancesModelsAndTheRestartedOneRejoins(final int standbys) throws Exception {
        final String app = "multi-" + standbys;
        // a relative state directory: each child resolves it against its own working directory
        final Map<String, String> s = BrokerTestSupport.settings(kafka.bootstrapServers(), app, "state");
        s.put("num.standby.replicas", String.valueOf(standbys));
        // the settings carry consumer.session.timeout.ms = 6000 (the broker's group.min.session.timeout.ms): the
        // broker drops a killed member after 6 s instead of 45 s; heartbeats every second (default 3 s) tell the
        // survivor of the rebalance soon after
        s.put("consumer.heartbeat.interval.ms", "1000");
        s.put("bali.model.task", "regression");
        s.put("bali.model.input.dimension", "3");
        s.put("bali.metrics.every", String.valueOf(PER_BLOCK));
        final ServiceConfig config = ServiceConfig.from(s);
        final Workload stream = new Workload(modelIds());
        final Reference reference = new Reference(tmp.resolve("reference-state"), s, stream);

        final String learnerTopic = app + "-events-by-model-repartition";
        final Path file = BrokerTestSupport.writeConfig(s, tmp.resolve("service.properties"));
        final Path[] dirs = {Files.createDirectory(tmp.resolve("instance-a")), Files.createDirectory(tmp.resolve("instance-b"))};
        final List<Process> children = new ArrayList<>();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
             KafkaProducer<byte[], byte[]> producer = BrokerTestSupport.producer(kafka.bootstrapServers())) {
            TopicSetup.ensureTopics(admin, config, PARTITIONS, Optional.empty());
            try (OutputTail tail = new OutputTail(kafka.bootstrapServers(), config)) {
                final Process a = BrokerTestSupport.startRun(file, dirs[0], tmp.resolve("a.log"), "--no-create-topics");
                children.add(a);
                children.add(BrokerTestSupport.startRun(file, dirs[1], tmp.resolve("b.log"), "--no-create-topics"));
                awaitGroup(admin, app, Duration.ofSeconds(90), "both instances hold learner tasks",
                        m -> m.size() == 2 && m.values().stream().allMatch(p -> holds(p, learnerTopic)));

                for (int block = 0; block < KILL_BLOCK; block++) {
                    sendBlock(producer, config, tail, stream, block);
                }

                killInTheMiddleOfABlock(admin, producer, config, tail, stream, a, standbys);
                sendLabels(producer, config, tail, stream, KILL_BLOCK);
                awaitGroup(admin, app, Duration.ofSeconds(30), "the survivor holds every learner task",
                        m -> m.size() == 1 && m.values().iterator().next().stream()
                                .filter(tp -> tp.topic().equals(learnerTopic)).count() == PARTITIONS);

                for (int block = KILL_BLOCK + 1; block < RESTART_BLOCK; block++) {
                    sendBlock(producer, config, tail, stream, block);
                }

                // the killed instance restarts on its state directory, rejoins and takes its share again
                final long restartAt = System.nanoTime();
                children.set(0, BrokerTestSupport.startRun(file, dirs[0], tmp.resolve("a-restarted.log"), "--no-create-topics"));
                final Map<String, Set<TopicPartition>> rejoined = awaitGroup(admin, app, Duration.ofSeconds(90),
                        "both instances hold learner tasks again",
                        m -> m.size() == 2 && m.values().stream().allMatch(p -> holds(p, learnerTopic)));
                System.out.printf("REJOIN num.standby.replicas=%d: %.1f s from the restart of the killed instance to a "
                        + "settled group in which both instances hold learner tasks%n",
                        standbys, (System.nanoTime() - restartAt) / 1e9);
                for (int block = RESTART_BLOCK; block < BLOCKS; block++) {
                    sendBlock(producer, config, tail, stream, block);
                }
                // no rebalance since it rejoined: the restarted instance's learner tasks answered those blocks
                assertThat(group(admin, app)).isEqualTo(new Group(GroupState.STABLE, rejoined));
                checkAgainstReference(tail, reference, stream);
            }
            final Map<String, LearnerModel> finalModels = finalModels(config, app, reference);
            for (final String model : stream.models) {
                final LearnerModel expected = reference.models.get(model);
                assertThat(finalModels.get(model).getSnapshot().getModelVersion()).as(model)
                        .isEqualTo(expected.getSnapshot().getModelVersion()).isEqualTo((long) BLOCKS * PER_BLOCK / 8);
                assertThat(engineBytes(finalModels.get(model))).as("final state of " + model).isEqualTo(engineBytes(expected));
            }
            for (final Process child : children) {
                child.destroy(); // SIGTERM: commit and leave the group
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("exits within 30 s").isTrue();
            }
        } catch (final Exception | AssertionError e) {
            for (final String log : List.of("a.log", "b.log", "a-restarted.log")) { // what the instances said last
                if (Files.exists(tmp.resolve(log))) {
                    final List<String> lines = Files.readAllLines(tmp.resolve(log));
                    System.out.println("--- the last lines of " + log + ":");
                    lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.out::println);
                }
            }
            throw e;
        } finally {
            children.forEach(Process::destroyForcibly);
        }
    }

    /** Every event one prediction, every label learned once, nothing dead-lettered, all as in the reference. */
    private static void checkAgainstReference(final OutputTail tail, final Reference reference, final Workload stream) {
        synchronized (tail) {
            assertThat(tail.deadLetters).as("dead letters").isEmpty();
            final Map<String, Integer> count = new HashMap<>();
            tail.predictions.forEach(p -> count.merge(p.getEventId(), 1, Integer::sum));
            assertThat(count).hasSize(BLOCKS * PER_BLOCK * stream.models.size());
            assertThat(count.values()).as("one prediction per event").allMatch(c -> c == 1);
            final Map<String, Prediction> expected = new HashMap<>();
            reference.predictions.forEach(p -> expected.put(p.getEventId(), withoutWallClock(p)));
            final List<String> differing = tail.predictions.stream()
                    .filter(p -> !withoutWallClock(p).equals(expected.get(p.getEventId())))
                    .map(Prediction::getEventId).toList();
            assertThat(differing).as("predictions that differ from the uninterrupted run").isEmpty();
            for (final String model : stream.models) {
                final List<ModelMetrics> live = tail.metrics.stream().filter(m -> m.getModelId().equals(model))
                        .map(MultiInstanceTest::withoutWallClock).toList();
                assertThat(live).as("metrics of " + model).hasSize(BLOCKS).isEqualTo(reference.metrics.stream()
                        .filter(m -> m.getModelId().equals(model)).map(MultiInstanceTest::withoutWallClock).toList());
                final ModelMetrics last = live.get(BLOCKS - 1);
                assertThat(last.getLabelsSeen()).as("labels learned by " + model).isEqualTo(BLOCKS * PER_BLOCK);
                assertThat(last.getLabelsJoined()).as("late labels joined by " + model).isEqualTo(stream.lateLabels(model));
                assertThat(last.getWaitingForLabels()).isZero();
            }
        }
    }

    /** Sends a block's events, waits for their predictions, then sends its labels (see the class comment). */
    private static void sendBlock(final KafkaProducer<byte[], byte[]> producer, final ServiceConfig config,
                                  final OutputTail tail, final Workload stream, final int block) {
        for (final Event e : stream.events(block)) {
            producer.send(record(config.eventsTopic(), e.getModelId(), e));
        }
        producer.flush();
        tail.await("the predictions of block " + block, Duration.ofSeconds(60),
                t -> t.predicted() >= (block + 1) * PER_BLOCK * stream.models.size());
        sendLabels(producer, config, tail, stream, block);
    }

    /** Sends the labels of a block's unlabelled events and waits for the metrics records that close the block. */
    private static void sendLabels(final KafkaProducer<byte[], byte[]> producer, final ServiceConfig config,
                                   final OutputTail tail, final Workload stream, final int block) {
        for (final Label l : stream.labels(block)) {
            producer.send(record(config.labelsTopic(), l.getModelId(), l));
        }
        producer.flush();
        tail.await("the labels of block " + block, Duration.ofSeconds(60), t -> stream.models.stream().allMatch(
                m -> t.metrics.stream().anyMatch(r -> r.getModelId().equals(m)
                        && r.getLabelsSeen() == (long) (block + 1) * PER_BLOCK)));
    }

    /**
     * Sends the kill block's events at a steady pace and kills the instance with SIGKILL in the middle of them;
     * waits until the other instance has answered all of them and prints the take-over times.
     */
    private static void killInTheMiddleOfABlock(final Admin admin, final KafkaProducer<byte[], byte[]> producer,
                                                final ServiceConfig config, final OutputTail tail, final Workload stream,
                                                final Process victim, final int standbys) throws Exception {
        final String app = config.streamsProperties().getProperty("application.id");
        final Group before = group(admin, app);
        assertThat(before.state()).isEqualTo(GroupState.STABLE);
        final Map<String, Set<TopicPartition>> beforeKill = before.members();
        assertThat(beforeKill).hasSize(2);
        final AtomicInteger rounds = new AtomicInteger(); // rounds sent, one event per model each
        final List<Event> events = stream.events(KILL_BLOCK);
        final int models = stream.models.size();
        final Thread feeder = new Thread(() -> {
            for (int r = 0; r < PER_BLOCK; r++) {
                for (final Event e : events.subList(r * models, (r + 1) * models)) {
                    producer.send(record(config.eventsTopic(), e.getModelId(), e));
                }
                producer.flush();
                rounds.incrementAndGet();
                sleep(25);
            }
        }, "feeder");
        feeder.start();
        tail.await("predictions of the first rounds of the kill block", Duration.ofSeconds(60),
                t -> t.predicted() >= (KILL_BLOCK * PER_BLOCK + 8) * models);
        final int sentBeforeKill = rounds.get();
        final long killedAt = System.nanoTime();
        victim.destroyForcibly(); // SIGKILL
        victim.waitFor();
        assertThat(victim.exitValue()).as("killed, not exited").isNotZero();

        // the broker drops the killed member after the session timeout, and aborts the transaction it left open
        // after the transaction timeout: until then read_committed readers, the survivor's tasks too, cannot read
        // past that transaction's records. Both are watched for both members (which one was killed is known
        // only when the other one is left).
        final Map<String, Long> endedAt = new HashMap<>(); // member -> first poll since its transaction was last open
        final Set<String> openAfterKill = new HashSet<>();
        long droppedAt = 0;
        String killed = null;
        while (killed == null || !endedAt.containsKey(killed)) {
            assertThat(System.nanoTime() - killedAt).as("the killed member is dropped and its transaction ends in 60 s")
                    .isLessThan(Duration.ofSeconds(60).toNanos());
            final long now = System.nanoTime();
            for (final String member : beforeKill.keySet()) {
                if (transactionOpen(admin, transactionalId(member))) {
                    endedAt.remove(member);
                    openAfterKill.add(member);
                } else {
                    endedAt.putIfAbsent(member, now);
                }
            }
            if (killed == null) {
                final Set<String> left = group(admin, app).members().keySet();
                if (left.size() == 1) {
                    droppedAt = System.nanoTime();
                    killed = beforeKill.keySet().stream().filter(m -> !left.contains(m)).findFirst().orElseThrow();
                }
            }
            sleep(50);
        }
        feeder.join();
        assertThat(sentBeforeKill).as("the kill came in the middle of the block").isLessThan(PER_BLOCK - 5);
        tail.await("the predictions of the kill block", Duration.ofSeconds(120),
                t -> t.predicted() >= (KILL_BLOCK + 1) * PER_BLOCK * models);

        final String learnerTopic = app + "-events-by-model-repartition";
        final Set<Integer> killedPartitions = new TreeSet<>();
        beforeKill.get(killed).stream()
                .filter(tp -> tp.topic().equals(config.eventsTopic()) || tp.topic().equals(learnerTopic))
                .forEach(tp -> killedPartitions.add(tp.partition()));
        final List<String> moved = stream.models.stream().filter(m -> killedPartitions.contains(partition(m))).toList();
        final List<String> stayed = stream.models.stream().filter(m -> !moved.contains(m)).toList();
        assertThat(moved).as("the killed instance held models").isNotEmpty();
        System.out.printf("TAKEOVER num.standby.replicas=%d: %.2f s from the SIGKILL to the first prediction of an event "
                        + "sent after it, of a model whose tasks were on the killed instance %s; the broker dropped the "
                        + "killed member after %.2f s and %s; the survivor's own models %s answered after %.2f s%n",
                standbys, firstAnswer(stream, tail, moved, sentBeforeKill, killedAt), moved,
                (droppedAt - killedAt) / 1e9, openAfterKill.contains(killed)
                        ? String.format("aborted its open transaction after %.2f s", (endedAt.get(killed) - killedAt) / 1e9)
                        : "it had no transaction open",
                stayed, firstAnswer(stream, tail, stayed, sentBeforeKill, killedAt));
    }

    /** The transactional id of a Kafka Streams member (exactly-once v2: one producer per stream thread). */
    private static String transactionalId(final String consumerClientId) {
        // <application id>-<process id>-StreamThread-<n>-consumer -> <application id>-<process id>-<n>
        final int thread = consumerClientId.lastIndexOf("-StreamThread-");
        return consumerClientId.substring(0, thread) + "-"
                + consumerClientId.substring(thread + "-StreamThread-".length(), consumerClientId.lastIndexOf("-consumer"));
    }

    private static boolean transactionOpen(final Admin admin, final String transactionalId)
            throws InterruptedException, ExecutionException {
        try {
            final TransactionState state = admin.describeTransactions(List.of(transactionalId)).all().get()
                    .get(transactionalId).state();
            return state == TransactionState.ONGOING || state == TransactionState.PREPARE_ABORT
                    || state == TransactionState.PREPARE_COMMIT;
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof TransactionalIdNotFoundException) {
                return false;
            }
            throw e;
        }
    }

    /** Seconds from the kill to the first prediction read of an event of these models sent after the kill. */
    private static double firstAnswer(final Workload stream, final OutputTail tail, final List<String> models,
                                      final int sentBeforeKill, final long killedAt) {
        long first = Long.MAX_VALUE;
        synchronized (tail) {
            for (final String model : models) {
                // the round in progress at the kill may have been sent before it: count from the next one
                for (int r = sentBeforeKill + 1; r < PER_BLOCK; r++) {
                    first = Math.min(first, tail.firstSeen.get(Workload.eventId(model, KILL_BLOCK * PER_BLOCK + r)));
                }
            }
        }
        return models.isEmpty() ? Double.NaN : (first - killedAt) / 1e9;
    }

    /** The final state of each model: the last committed record of its key in the bali-models changelog. */
    private static Map<String, LearnerModel> finalModels(final ServiceConfig config, final String app,
                                                         final Reference reference) {
        final String changelog = app + "-" + LearnerProcessor.MODEL_STORE + "-changelog";
        final AvroSerde<LearnerModel> serde = AvroSerde.of(LearnerModel.class);
        final Map<String, LearnerModel> last = new LinkedHashMap<>();
        BrokerTestSupport.readCommitted(kafka.bootstrapServers(), List.of(changelog), Duration.ofSeconds(30), got -> {
            last.clear();
            got.get(changelog).stream().map(serde::decode).forEach(m -> last.put(m.getSnapshot().getModelId(), m));
            return reference.models.keySet().stream().allMatch(m -> last.containsKey(m) && last.get(m).getSnapshot()
                    .getModelVersion() == reference.models.get(m).getSnapshot().getModelVersion());
        });
        return last;
    }

    private static byte[] engineBytes(final LearnerModel m) {
        return ModelStateCodec.encode(ModelStateCodec.fromRecord(((io.balistreams.avro.BaliModelState) m.getSnapshot().getState())));
    }

    private static Prediction withoutWallClock(final Prediction p) {
        return Prediction.newBuilder(p).setScoredAt(Instant.EPOCH).build();
    }

    private static ModelMetrics withoutWallClock(final ModelMetrics m) {
        return ModelMetrics.newBuilder(m).setEmittedAt(Instant.EPOCH).build();
    }

    /** The state of the application's consumer group and the active partitions of each member, by client id. */
    private record Group(GroupState state, Map<String, Set<TopicPartition>> members) {
    }

    private static Group group(final Admin admin, final String app) throws InterruptedException, ExecutionException {
        try {
            final ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(app)).all().get().get(app);
            final Map<String, Set<TopicPartition>> members = new HashMap<>();
            for (final MemberDescription m : group.members()) {
                members.put(m.clientId(), m.assignment().topicPartitions());
            }
            return new Group(group.groupState(), members);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) { // not yet: no member has joined
                return new Group(GroupState.UNKNOWN, Map.of());
            }
            throw e;
        }
    }

    /**
     * Waits until the group's members satisfy the condition, the group is stable and its assignment has not
     * changed for two seconds (Kafka Streams may follow a rebalance with another one); returns the members.
     */
    private static Map<String, Set<TopicPartition>> awaitGroup(final Admin admin, final String app, final Duration timeout,
                                                               final String what,
                                                               final Predicate<Map<String, Set<TopicPartition>>> done)
            throws InterruptedException, ExecutionException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        Group last = null;
        long since = System.nanoTime();
        while (true) {
            final Group group = group(admin, app);
            if (!group.equals(last)) {
                last = group;
                since = System.nanoTime();
            } else if (group.state() == GroupState.STABLE && done.test(group.members())
                    && System.nanoTime() - since > Duration.ofSeconds(2).toNanos()) {
                return group.members();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + ": " + group);
            }
            Thread.sleep(100);
        }
    }

    private static boolean holds(final Set<TopicPartition> partitions, final String topic) {
        return partitions.stream().anyMatch(tp -> tp.topic().equals(topic));
    }

    /** The partition of a record keyed by this model id (the producer's and Kafka Streams' default partitioner). */
    private static int partition(final String modelId) {
        return Utils.toPositive(Utils.murmur2(modelId.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    /** One model id for each partition, so that each learner task holds one model. */
    private static List<String> modelIds() {
        final String[] ids = new String[PARTITIONS];
        int found = 0;
        for (int i = 0; found < PARTITIONS; i++) {
            final String id = "model-" + i;
            if (ids[partition(id)] == null) {
                ids[partition(id)] = id;
                found++;
            }
        }
        return List.of(ids);
    }

    private static ProducerRecord<byte[], byte[]> record(final String topic, final String modelId,
                                                         final org.apache.avro.specific.SpecificRecord value) {
        @SuppressWarnings("unchecked")
        final AvroSerde<org.apache.avro.specific.SpecificRecord> serde =
                (AvroSerde<org.apache.avro.specific.SpecificRecord>) AvroSerde.of(value.getClass());
        return new ProducerRecord<>(topic, modelId.getBytes(StandardCharsets.UTF_8), serde.encode(value));
    }

    /**
     * The test stream: per model, events with three features and a linear target with noise; about half carry
     * their label, the others get it on the labels topic within their block, in a shuffled order.
     */
    private static final class Workload {
        final List<String> models;
        private final Event[][] events;
        private final Label[][] late; // the label sent on the labels topic, or null when the event carries it

        Workload(final List<String> models) {
            this.models = models;
            final int n = BLOCKS * PER_BLOCK;
            events = new Event[models.size()][n];
            late = new Label[models.size()][n];
            for (int m = 0; m < models.size(); m++) {
                final Rng rng = Rng.forStream(41, m);
                final double[] w = {1 + m, -2, 0.5 * m};
                for (int i = 0; i < n; i++) {
                    final List<Double> x = List.of(rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian());
                    final double y = w[0] * x.get(0) + w[1] * x.get(1) + w[2] * x.get(2) + 0.1 * rng.nextGaussian();
                    final Instant time = Instant.ofEpochMilli(1_000_000L + 10L * i);
                    final boolean inline = rng.nextDouble() < 0.5;
                    events[m][i] = new Event(eventId(models.get(m), i), models.get(m), time, x, inline ? y : null);
                    late[m][i] = inline ? null : new Label(eventId(models.get(m), i), models.get(m), y, time.plusMillis(3_000));
                }
            }
        }

        static String eventId(final String model, final int i) {
            return model + "/" + i;
        }

        /** A block's events in the order they are sent: one event of each model in turn. */
        List<Event> events(final int block) {
            final List<Event> out = new ArrayList<>();
            for (int i = block * PER_BLOCK; i < (block + 1) * PER_BLOCK; i++) {
                for (int m = 0; m < models.size(); m++) {
                    out.add(events[m][i]);
                }
            }
            return out;
        }

        /** The labels of a block's unlabelled events, shuffled. */
        List<Label> labels(final int block) {
            final List<Label> out = new ArrayList<>();
            for (int m = 0; m < models.size(); m++) {
                for (int i = block * PER_BLOCK; i < (block + 1) * PER_BLOCK; i++) {
                    if (late[m][i] != null) {
                        out.add(late[m][i]);
                    }
                }
            }
            Collections.shuffle(out, new Random(block));
            return out;
        }

        long lateLabels(final String model) {
            final int m = models.indexOf(model);
            return java.util.Arrays.stream(late[m]).filter(java.util.Objects::nonNull).count();
        }
    }

    /** The same stream, in the same order, through one uninterrupted topology (TopologyTestDriver). */
    private static final class Reference {
        final List<Prediction> predictions;
        final List<ModelMetrics> metrics;
        final Map<String, LearnerModel> models = new HashMap<>();

        Reference(final Path stateDir, final Map<String, String> settings, final Workload stream) {
            try (TopologyHarness h = new TopologyHarness(stateDir, settings)) {
                for (int block = 0; block < BLOCKS; block++) {
                    for (final Event e : stream.events(block)) {
                        h.send(e.getModelId().getBytes(StandardCharsets.UTF_8), e);
                    }
                    for (final Label l : stream.labels(block)) {
                        h.labels.pipeInput(l.getModelId().getBytes(StandardCharsets.UTF_8), h.labelSerde.encode(l));
                    }
                }
                predictions = h.predictions.readValuesToList();
                metrics = h.metrics.readValuesToList();
                for (final String model : stream.models) {
                    models.put(model, AvroSerde.of(LearnerModel.class).decode(
                            h.driver.<String, byte[]>getKeyValueStore(LearnerProcessor.MODEL_STORE).get(model)));
                }
                assertThat(h.deadLetters.isEmpty()).isTrue();
            }
        }
    }

    /**
     * Reads predictions, metrics and dead letters (read_committed, every partition) in a thread of its own and
     * notes when each prediction was first read.
     */
    private static final class OutputTail implements AutoCloseable {
        final List<Prediction> predictions = new ArrayList<>();
        final Map<String, Long> firstSeen = new HashMap<>();
        final List<ModelMetrics> metrics = new ArrayList<>();
        final List<DeadLetter> deadLetters = new ArrayList<>();
        private final ServiceConfig config;
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile RuntimeException failure;

        OutputTail(final String bootstrapServers, final ServiceConfig config) {
            this.config = config;
            consumer = BrokerTestSupport.readCommittedConsumer(bootstrapServers,
                    List.of(config.predictionsTopic(), config.metricsTopic(), config.deadLetterTopic()));
            thread = new Thread(this::run, "output-tail");
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            final AvroSerde<Prediction> p = AvroSerde.of(Prediction.class);
            final AvroSerde<ModelMetrics> m = AvroSerde.of(ModelMetrics.class);
            final AvroSerde<DeadLetter> d = AvroSerde.of(DeadLetter.class);
            try {
                while (running) {
                    final var records = consumer.poll(Duration.ofMillis(50));
                    final long now = System.nanoTime();
                    synchronized (this) {
                        for (final ConsumerRecord<byte[], byte[]> r : records) {
                            if (r.topic().equals(config.predictionsTopic())) {
                                final Prediction prediction = p.decode(r.value());
                                predictions.add(prediction);
                                firstSeen.putIfAbsent(prediction.getEventId(), now);
                            } else if (r.topic().equals(config.metricsTopic())) {
                                metrics.add(m.decode(r.value()));
                            } else {
                                deadLetters.add(d.decode(r.value()));
                            }
                        }
                    }
                }
            } catch (final RuntimeException e) {
                failure = e;
            }
        }

        /** Events with a prediction so far. */
        int predicted() {
            return firstSeen.size();
        }

        void await(final String what, final Duration timeout, final Predicate<OutputTail> done) {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                if (failure != null) {
                    throw new AssertionError("reading the outputs failed", failure);
                }
                synchronized (this) {
                    if (done.test(this)) {
                        return;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("timed out waiting for " + what + ": " + firstSeen.size()
                                + " events predicted, " + metrics.size() + " metrics records, "
                                + deadLetters.size() + " dead letters");
                    }
                }
                sleep(20);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
            consumer.close();
        }
    }
}
