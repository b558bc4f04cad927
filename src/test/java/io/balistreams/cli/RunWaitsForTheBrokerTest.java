package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.local.EmbeddedKafka;
import io.balistreams.testing.Slow;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bali run} started before its broker: it says what it waits for, and starts once the broker is up; with no
 * broker within {@code --broker-wait-ms} it ends with one error line and exit code 1.
 */
@Slow
class RunWaitsForTheBrokerTest {

    @Test
    void withoutABrokerItSaysWhatItWaitsForThenGivesUp(@TempDir final Path dir) throws Exception {
        final int port = freePort();
        final Path file = config(dir, port);
        final long start = System.nanoTime();
        final CliRun r = CliRun.of("run", "--config", file.toString(), "--broker-wait-ms", "3000");
        final double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("bali run: waiting for a Kafka broker at 127.0.0.1:" + port + " (up to 3000 ms) …")
                .contains("error: no Kafka broker answered at 127.0.0.1:" + port + " within 3000 ms (is it running? "
                        + "`bali broker` starts one on this machine)");
        assertThat(r.err().lines().filter(l -> l.startsWith("error:"))).hasSize(1);
        assertThat(seconds).as("it gave up after about the wait").isLessThan(30);
    }

    @Test
    void itStartsOnceTheBrokerComesUp(@TempDir final Path dir) throws Exception {
        final int port = freePort();
        final Path file = config(dir, port);
        final Path log = dir.resolve("run.log");
        final Process run = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.balistreams.cli.BaliCommand", "run", "--config",
                file.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            CliRun.awaitLine(log, "bali run: waiting for a Kafka broker at 127.0.0.1:" + port, 60);
            try (EmbeddedKafka kafka = new EmbeddedKafka(port, dir.resolve("broker-data"))) {
                CliRun.awaitLine(log, "bali run: application bali-streams on 127.0.0.1:" + port + ", reading events", 120);
                run.destroy(); // SIGTERM
                assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(run.exitValue()).as(Files.readString(log)).isZero();
                assertThat(Files.readString(log)).contains("bali run: stopped");
            }
        } finally {
            run.destroyForcibly();
        }
    }

    private static Path config(final Path dir, final int port) throws Exception {
        final Path file = dir.resolve("bali.properties");
        Files.writeString(file, "bootstrap.servers=127.0.0.1:" + port + "\nstate.dir=" + dir.resolve("state") + "\n");
        return file;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
