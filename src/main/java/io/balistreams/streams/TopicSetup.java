package io.balistreams.streams;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.RetriableException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * Creates the service's public topics if they do not exist: compacted ones for snapshots and model
 * configuration, and {@code max.message.bytes} raised to {@code bali.state.max.bytes} where a whole model
 * state travels (snapshots, posteriors, and the model-config entries that import one), and to 1 MiB more for the
 * dead letters that may carry such an entry. Existing topics are left as they are. Kafka Streams creates its own internal
 * topics (repartition, changelogs) itself.
 */
public final class TopicSetup {
    private TopicSetup() {
    }

    /**
     * @param partitions         partitions of each new topic (the events topic's partitions bound the
     *                           learner's parallelism)
     * @param replicationFactor  replication of each new topic, or empty for the broker default
     * @return the topics that were created
     */
    public static List<String> ensureTopics(final Admin admin, final ServiceConfig config, final int partitions,
                                            final Optional<Short> replicationFactor) {
        final Set<String> compacted = Set.copyOf(config.compactedTopics());
        final List<NewTopic> wanted = new ArrayList<>();
        for (final String topic : config.topics()) {
            final Map<String, String> settings = new HashMap<>();
            if (compacted.contains(topic)) {
                settings.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            }
            if (topic.equals(config.snapshotsTopic()) || topic.equals(config.posteriorsTopic())
                    || topic.equals(config.modelConfigTopic()) || topic.equals(config.validModelConfigTopic())) {
                settings.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(config.stateMaxBytes()));
            } else if (topic.equals(config.deadLetterTopic())) {
                settings.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(config.largeRecordBytes()));
            }
            wanted.add(new NewTopic(topic, Optional.of(partitions), replicationFactor).configs(settings));
        }
        final List<String> created = new ArrayList<>();
        admin.createTopics(wanted).values().forEach((topic, future) -> {
            try {
                future.get();
                created.add(topic);
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause(), e.getCause());
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topic " + topic, e);
            }
        });
        awaitLeaders(admin, config.topics(), Duration.ofSeconds(30));
        return created;
    }

    /**
     * The service's public topics that do not exist on the cluster, in the order of {@link ServiceConfig#topics()}.
     *
     * @throws IllegalStateException if the cluster does not answer within {@code timeout}
     */
    public static List<String> missingTopics(final Admin admin, final ServiceConfig config, final Duration timeout) {
        final Set<String> existing;
        try {
            existing = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions()
                    .timeoutMs((int) timeout.toMillis())).names().get();
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot list the topics on "
                    + config.clientProperties().get("bootstrap.servers") + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing the topics", e);
        }
        return config.topics().stream().filter(t -> !existing.contains(t)).toList();
    }

    /**
     * Waits until every partition of the topics has a leader whose log is open (its latest offset can be
     * listed). A topic that was just created is not yet open everywhere: a producer that sends at once gets
     * NOT_LEADER_OR_FOLLOWER for its first batch, and an idempotent producer whose later batches got through
     * then retries that batch with an out-of-order sequence until its delivery timeout. The leaders appear in
     * the metadata before the logs are open, so the offsets are listed too.
     */
    static void awaitLeaders(final Admin admin, final List<String> topics, final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                final boolean ready = admin.describeTopics(topics).allTopicNames().get().values().stream()
                        .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                if (ready) {
                    final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    admin.describeTopics(topics).allTopicNames().get().values().forEach(d -> d.partitions().forEach(
                            p -> latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
                    admin.listOffsets(latest).all().get();
                    return;
                }
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw new IllegalStateException("cannot describe the topics " + topics + ": " + e.getCause(),
                            e.getCause());
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the topics' leaders", e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the topics " + topics + " have no leader after " + timeout.toSeconds()
                        + " s");
            }
            try {
                Thread.sleep(50);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the topics' leaders", e);
            }
        }
    }
}
