package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kafka.server.KafkaConfig;
import org.junit.jupiter.api.Test;

/**
 * docker/ cannot be run here (no Docker engine), so what can be checked without it is: the service configuration
 * it mounts is valid, and the compose file's healthcheck and published port are the configuration's HTTP port.
 */
class DockerFilesTest {

    @Test
    void theMountedConfigurationIsValidAndTheHealthcheckAsksItsHttpPort() throws Exception {
        final Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of("docker/bali.properties"))) {
            p.load(r);
        }
        final ServiceConfig config = ServiceConfig.from(p);
        assertThat(config.httpPort()).isEqualTo(8080);
        // the published port must reach the endpoint from outside the container
        assertThat(config.httpBindAddress().isAnyLocalAddress()).isTrue();
        assertThat(KafkaSettings.unknownKeyWarnings(p.stringPropertyNames())).isEmpty();
        final String compose = Files.readString(Path.of("docker/compose.yaml"));
        assertThat(compose).contains("/dev/tcp/127.0.0.1/" + config.httpPort())
                .contains("GET /health/ready HTTP/1.0")
                .contains("\"" + config.httpPort() + ":" + config.httpPort() + "\"");
        // Prometheus scrapes that port; Grafana loads the dashboard from where the provisioning says
        assertThat(Files.readString(Path.of("docker/prometheus/prometheus.yml")))
                .contains("targets: [\"bali:" + config.httpPort() + "\"]").contains("metrics_path: /metrics");
        assertThat(compose).contains("./grafana/dashboards:/var/lib/grafana/dashboards:ro")
                .contains("./grafana/provisioning:/etc/grafana/provisioning:ro")
                .contains("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
        assertThat(Files.readString(Path.of("docker/grafana/provisioning/dashboards/bali.yml")))
                .contains("path: /var/lib/grafana/dashboards");
        assertThat(Files.readString(Path.of("docker/grafana/provisioning/datasources/prometheus.yml")))
                .contains("url: http://prometheus:9090").contains("uid: prometheus");
    }

    /**
     * The secured variant (compose.secure.yaml): the service's configuration is valid and uses SASL_SSL with the
     * trust store the certs service writes; every secret it reads is one compose mounts; its SCRAM user is one the
     * broker's start script adds; the broker's settings are a valid Kafka configuration whose client listeners
     * are all SASL_SSL, on the ports compose and the service use.
     */
    @Test
    void theSecuredVariantIsConsistent() throws Exception {
        final Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of("docker/secure/bali.properties"))) {
            p.load(r);
        }
        final ServiceConfig config = ServiceConfig.from(p);
        assertThat(KafkaSettings.unknownKeyWarnings(p.stringPropertyNames())).isEmpty();
        assertThat(config.clientProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-256")
                .containsEntry("ssl.truststore.location", "/tls/truststore.p12")
                .containsEntry("bootstrap.servers", "kafka:9093");
        final String compose = Files.readString(Path.of("docker/compose.secure.yaml"));
        final String certs = Files.readString(Path.of("docker/secure/make-certs.sh"));
        final String start = Files.readString(Path.of("docker/secure/start-kafka.sh"));
        assertThat(certs).contains("-keystore /tls/truststore.p12").contains("-keystore /tls/broker-keystore.p12");
        final Matcher secret = Pattern.compile("\\$\\{secrets:/run/secrets:([a-z_]+)}")
                .matcher(p.getProperty("sasl.jaas.config") + p.getProperty("ssl.truststore.password"));
        int secrets = 0;
        while (secret.find()) {
            secrets++;
            assertThat(compose).contains("      - " + secret.group(1) + "\n").contains("  " + secret.group(1) + ":\n");
        }
        assertThat(secrets).isEqualTo(2);
        final Matcher user = Pattern.compile("username=\"([^\"]+)\"").matcher(p.getProperty("sasl.jaas.config"));
        assertThat(user.find()).isTrue();
        assertThat(start).contains("--add-scram \"SCRAM-SHA-256=[name=" + user.group(1)
                + ",password=${BALI_KAFKA_PASSWORD}]\"");
        assertThat(compose).contains("\"" + config.httpPort() + ":" + config.httpPort() + "\"")
                .contains("\"29093:29093\"");

        final Properties broker = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of("docker/secure/server.properties"))) {
            broker.load(r);
        }
        // what start-kafka.sh appends
        broker.put("ssl.keystore.password", "x");
        broker.put("ssl.key.password", "x");
        broker.put("ssl.truststore.password", "x");
        broker.put("listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"broker\" password=\"x\";");
        final KafkaConfig kafkaConfig = new KafkaConfig(broker);
        assertThat(kafkaConfig.interBrokerListenerName().value()).isEqualTo("SASL_SSL");
        assertThat(broker.getProperty("listener.security.protocol.map"))
                .isEqualTo("SASL_SSL:SASL_SSL,EXTERNAL:SASL_SSL,CONTROLLER:PLAINTEXT");
        assertThat(broker.getProperty("advertised.listeners")).contains("SASL_SSL://kafka:9093")
                .contains("EXTERNAL://localhost:29093");
    }
}
