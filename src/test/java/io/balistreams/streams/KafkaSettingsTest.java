package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link KafkaSettings}: the keys Kafka would ignore, named, with the nearest real name. */
class KafkaSettingsTest {

    @Test
    void knownKeysOfKafkaStreamsAndItsClientsPassWithOrWithoutTheirPrefixes() {
        assertThat(KafkaSettings.unknownKeyWarnings(List.of("bootstrap.servers", "application.id",
                "num.stream.threads", "processing.guarantee", "state.dir", "application.server",
                "security.protocol", "ssl.truststore.location", "sasl.mechanism", "sasl.jaas.config",
                "producer.acks", "producer.linger.ms", "consumer.max.poll.records", "main.consumer.fetch.min.bytes",
                "restore.consumer.max.poll.records", "global.consumer.fetch.max.wait.ms", "admin.retries",
                "topic.min.insync.replicas", "topic.anything.at.all", "bali.model.hidden", "bali.not.checked.here")))
                .isEmpty();
    }

    @Test
    void theKeysOfConfigurationProvidersAreTheUsersOwnNames() {
        assertThat(KafkaSettings.unknownKeyWarnings(List.of("config.providers", "config.providers.secrets.class",
                "config.providers.secrets.param.allowed.paths", "producer.config.providers.env.class"))).isEmpty();
        assertThat(KafkaSettings.unknownKeyWarnings(List.of("config.provider.file.class"))).hasSize(1);
    }

    @Test
    void aTypoIsNamedWithTheNearestRealKeyKeepingItsPrefix() {
        assertThat(KafkaSettings.unknownKeyWarnings(List.of("num.stream.thread", "producer.ack", "state.dir",
                "consumer.max.poll.record", "completely.made.up.setting")))
                .containsExactly(
                        "unknown Kafka setting 'completely.made.up.setting' (Kafka will ignore it)",
                        "unknown Kafka setting 'consumer.max.poll.record' (Kafka will ignore it; did you mean "
                                + "'consumer.max.poll.records'?)",
                        "unknown Kafka setting 'num.stream.thread' (Kafka will ignore it; did you mean "
                                + "'num.stream.threads'?)",
                        "unknown Kafka setting 'producer.ack' (Kafka will ignore it; did you mean 'producer.acks'?)");
        // a producer-only key behind the consumer prefix is not a consumer setting
        assertThat(KafkaSettings.unknownKeyWarnings(List.of("consumer.linger.ms"))).hasSize(1);
    }

    @Test
    void editDistanceCountsInsertionsDeletionsAndSubstitutionsUpToItsLimit() {
        assertThat(KafkaSettings.editDistance("kitten", "sitting", 10)).isEqualTo(3);
        assertThat(KafkaSettings.editDistance("acks", "acks", 3)).isZero();
        assertThat(KafkaSettings.editDistance("ack", "acks", 3)).isEqualTo(1);
        assertThat(KafkaSettings.editDistance("abc", "xyz", 2)).isEqualTo(2);
        assertThat(KafkaSettings.editDistance("a", "abcdef", 3)).isEqualTo(3);
    }
}
