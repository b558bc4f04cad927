package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.local.EmbeddedKafka;
import io.balistreams.streams.BaliService;
import io.balistreams.streams.ServiceConfig;
import io.balistreams.testing.Slow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bali run}'s start-up failures: each is one {@code error:} line naming the cause, exit code 1, no stack
 * trace; a Kafka key that Kafka does not know is warned about by name before anything else.
 */
@Slow
class RunCommandErrorsTest {
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = new EmbeddedKafka();
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    private static Path config(final Path dir, final String extra) throws Exception {
        final Path file = dir.resolve("bali.properties");
        Files.writeString(file, "bootstrap.servers=" + kafka.bootstrapServers() + "\nstate.dir=" + dir.resolve("state")
                + "\napplication.id=errors-" + dir.getFileName() + "\n" + extra);
        return file;
    }

    @Test
    void anInvalidKafkaValueIsOneErrorLine(@TempDir final Path dir) throws Exception {
        final Path file = config(dir, "processing.guarantee=exactly_twice\n");
        final CliRun r = CliRun.of("run", "--config", file.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("error: " + file + ": Invalid value exactly_twice for configuration "
                + "processing.guarantee: String must be one of: at_least_once, exactly_once_v2");
    }

    @Test
    void missingTopicsWithoutCreationAreNamedAndATypoIsWarnedFirst(@TempDir final Path dir) throws Exception {
        final Path file = config(dir, "num.stream.thread=2\nbali.topic.events=nowhere-" + dir.getFileName() + "\n");
        final CliRun r = CliRun.of("run", "--config", file.toString(), "--no-create-topics");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines().toList()).containsExactly(
                "bali run: warning: " + file + ": unknown Kafka setting 'num.stream.thread' (Kafka will ignore it; "
                        + "did you mean 'num.stream.threads'?)",
                "bali run: checking the topics on " + kafka.bootstrapServers() + " …",
                "error: missing topics nowhere-" + dir.getFileName() + ", labels, predictions, drift-alerts, "
                        + "model-metrics, model-snapshots, model-posteriors, dead-letter, model-config, "
                        + "model-config-validated on " + kafka.bootstrapServers()
                        + " (with --no-create-topics they must exist before the service starts)");
    }

    @Test
    void aStateDirectoryInUseIsNamed(@TempDir final Path dir) throws Exception {
        final Path file = config(dir, "");
        final ServiceConfig same = ServiceConfig.from(RunCommand.load(file));
        try (BaliService holder = new BaliService(same)) {
            final CliRun r = CliRun.of("run", "--config", file.toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err().strip()).startsWith("error: the state directory " + dir.resolve("state"))
                    .endsWith("is locked by another process (another bali run with the same state.dir and "
                            + "application.id?); stop it, or give this one its own state.dir");
            holder.close(Duration.ofSeconds(5));
        }
    }
}
