package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
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
    }
}
