package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.testing.Slow;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Run the service on your machine" path, as a user follows it, each command in a process of its
 * own: {@code bali broker} in one, {@code bali run --config bali.properties} in a second, then {@code bali
 * produce} of docs/examples/sea.csv and {@code bali tail} of the predictions; SIGTERM ends the service and the
 * broker with exit code 0 after a "stopped" line, and a broker started again on its data directory still holds
 * the predictions.
 */
@Slow
class OnYourMachineTest {
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void brokerRunProduceTailThenStopCleanly(@TempDir final Path dir) throws Exception {
        final Path data = dir.resolve("broker-data");
        final Path brokerLog = dir.resolve("broker.err");
        Process broker = bali(dir, brokerLog, "broker", "--port", "0", "--data-dir", data.toString());
        final String bootstrap = firstStdoutLine(broker, 90).replace("bootstrap.servers=", "");
        assertThat(bootstrap).matches("127\\.0\\.0\\.1:\\d+");

        // the README's bali.properties, with the broker's address
        final int httpPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            httpPort = s.getLocalPort(); // the README says 8080; a free one here
        }
        Files.writeString(dir.resolve("bali.properties"), "bootstrap.servers=" + bootstrap + "\n"
                + "state.dir=./bali-state\n" + "bali.model.class.names=no,yes\n" + "bali.http.port=" + httpPort + "\n");
        final Path runLog = dir.resolve("run.log");
        final Process run = bali(dir, runLog, "run", "--config", "bali.properties");
        waitForLine(runLog, "bali run: application bali-streams on " + bootstrap, 90);

        final Path csv = Path.of("docs/examples/sea.csv").toAbsolutePath();
        final Path produceLog = dir.resolve("produce.log");
        final Process produce = bali(dir, produceLog, "produce", "--csv", csv.toString(), "--topic", "events",
                "--bootstrap-servers", bootstrap, "--target", "class", "--label-kind", "class-name");
        assertThat(produce.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(produce.exitValue()).as(Files.readString(produceLog)).isZero();
        assertThat(Files.readString(produceLog)).contains("sent 4000 events to events (4000 labelled, 3 features)");

        final Path tailOut = dir.resolve("tail.out");
        final Process tail = bali(dir, tailOut, "tail", "--topic", "predictions", "--bootstrap-servers", bootstrap,
                "--from-beginning", "--max-messages", "4000", "--timeout-ms", "90000");
        assertThat(tail.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(tail.exitValue()).isZero();
        final List<String> predictions = Files.readAllLines(tailOut).stream()
                .filter(l -> l.startsWith("{\"topic\":\"predictions\"")).toList();
        assertThat(predictions).hasSize(4000);
        assertThat(predictions).allMatch(l -> l.contains("\"predictedClassName\":\"no\"")
                || l.contains("\"predictedClassName\":\"yes\""));
        assertThat(predictions.get(3999)).contains("\"eventId\":\"sea.csv-4000\"");

        // step 4: the health check and the metrics
        assertThat(http(httpPort, "/health/ready")).isEqualTo("{\"status\":\"UP\",\"state\":\"RUNNING\"}");
        final String metrics = http(httpPort, "/metrics");
        assertThat(metrics).contains("bali_events_scored_total{model=\"default\"} 4000.0")
                .contains("bali_labels_total{model=\"default\"} 4000.0")
                .contains("bali_model_version{model=\"default\"} 125.0")
                .contains("bali_window_accuracy{model=\"default\"} ");
        final String model = http(httpPort, "/models/default");
        assertThat(model).contains("\"modelId\":\"default\"").contains("\"modelVersion\":125")
                .contains("\"eventsScored\":4000").contains("\"classNames\":[\"no\",\"yes\"]");
        final String predicted = post(httpPort, "/models/default/predict", "{\"features\": [3.1, 7.4, 2.0]}");
        assertThat(predicted).contains("\"modelVersion\":125").contains("\"probabilities\":[")
                .containsPattern("\"predictedClassName\":\"(no|yes)\"");

        // step 5: the model's latest snapshot (every 100 updates: version 100 of 125) to a file
        final Path exportLog = dir.resolve("export.log");
        final Process export = bali(dir, exportLog, "model", "export", "--model", "default", "--file",
                "default.snapshot", "--bootstrap-servers", bootstrap);
        assertThat(export.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(export.exitValue()).as(Files.readString(exportLog)).isZero();
        assertThat(Files.readString(exportLog)).contains("exported model default at version 100 (one model, "
                + String.format(java.util.Locale.ROOT, "%,d", Files.size(dir.resolve("default.snapshot"))) + " bytes) to default.snapshot");

        // step 6: start the model over
        final Path resetLog = dir.resolve("reset.log");
        final Process reset = bali(dir, resetLog, "model", "reset", "--model", "default", "--bootstrap-servers", bootstrap);
        assertThat(reset.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(reset.exitValue()).as(Files.readString(resetLog)).isZero();
        assertThat(Files.readString(resetLog)).containsPattern("model default: generation \\d+ written to model-config");
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (!http(httpPort, "/models/default").contains("\"modelVersion\":0,")) {
            assertThat(System.nanoTime()).as("the model is back at version 0").isLessThan(deadline);
            Thread.sleep(200);
        }

        run.destroy(); // SIGTERM
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).as(Files.readString(runLog)).isZero();
        assertThat(Files.readString(runLog)).contains("bali run: SIGTERM received").contains("bali run: stopped");

        broker.destroy();
        assertThat(broker.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(broker.exitValue()).isZero();
        assertThat(Files.readString(brokerLog)).contains("bali broker: SIGTERM received, stopping")
                .contains("bali broker: stopped");

        // the same data directory: the topics and their records are still there
        broker = bali(dir, dir.resolve("broker2.err"), "broker", "--port", "0", "--data-dir", data.toString());
        final String again = firstStdoutLine(broker, 90).replace("bootstrap.servers=", "");
        final Path tailAgain = dir.resolve("tail2.out");
        final Process tail2 = bali(dir, tailAgain, "tail", "--topic", "predictions", "--bootstrap-servers", again,
                "--from-beginning", "--max-messages", "4000", "--timeout-ms", "60000");
        assertThat(tail2.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readAllLines(tailAgain).stream().filter(l -> l.startsWith("{\"topic\":\"predictions\"")))
                .hasSize(4000);
        broker.destroy();
        assertThat(broker.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(broker.exitValue()).isZero();
    }

    /**
     * SIGKILL, then a restart on the same state directory: with static membership (the default) the restarted
     * instance is the same group member and gets its task back at once, so its first prediction comes well before
     * Kafka's default session timeout (45 s), which a new member would have to wait out (44 s measured,
     * docs/results.md).
     */
    @Test
    void aKilledServiceRestartedGetsItsTaskBackBeforeTheSessionTimeout(@TempDir final Path dir) throws Exception {
        final Process broker = bali(dir, dir.resolve("broker.err"), "broker", "--port", "0");
        final String bootstrap = firstStdoutLine(broker, 90).replace("bootstrap.servers=", "");
        final int httpPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            httpPort = s.getLocalPort();
        }
        Files.writeString(dir.resolve("bali.properties"), "bootstrap.servers=" + bootstrap + "\n"
                + "state.dir=./bali-state\nbali.model.class.names=no,yes\nbali.http.port=" + httpPort + "\n");
        final Path csv = Path.of("docs/examples/sea.csv").toAbsolutePath();
        final Process first = bali(dir, dir.resolve("run1.log"), "run", "--config", "bali.properties");
        waitForLine(dir.resolve("run1.log"), "bali run: application", 90);
        final Process produce = bali(dir, dir.resolve("produce1.log"), "produce", "--csv", csv.toString(), "--topic",
                "events", "--bootstrap-servers", bootstrap, "--target", "class", "--label-kind", "class-name");
        assertThat(produce.waitFor(90, TimeUnit.SECONDS)).isTrue();
        awaitMetric(httpPort, "bali_events_scored_total{model=\"default\"} 4000.0", 90);
        first.destroyForcibly(); // SIGKILL: no commit, no leave-group
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

        final long restart = System.nanoTime();
        bali(dir, dir.resolve("run2.log"), "run", "--config", "bali.properties");
        Files.writeString(dir.resolve("one.csv"), Files.readAllLines(csv).get(0) + "\n" + Files.readAllLines(csv).get(1)
                + "\n");
        final Process one = bali(dir, dir.resolve("produce2.log"), "produce", "--csv", "one.csv", "--topic", "events",
                "--bootstrap-servers", bootstrap, "--target", "class", "--label-kind", "class-name");
        assertThat(one.waitFor(90, TimeUnit.SECONDS)).isTrue();
        // the events whose transaction the kill aborted are scored again, then the new one (exactly-once)
        awaitPrediction(bootstrap, "one.csv-1", 40);
        final double seconds = (System.nanoTime() - restart) / 1e9;
        assertThat(seconds).as("from the restart to the new event's prediction").isLessThan(35);
    }

    /** Waits until the committed predictions hold one for {@code eventId}. */
    private static void awaitPrediction(final String bootstrap, final String eventId, final int seconds) {
        final java.util.Map<String, Object> c = new java.util.HashMap<>();
        c.put("bootstrap.servers", bootstrap);
        c.put("isolation.level", "read_committed");
        c.put("auto.offset.reset", "earliest");
        final io.balistreams.streams.serde.AvroSerde<io.balistreams.avro.Prediction> serde =
                io.balistreams.streams.serde.AvroSerde.of(io.balistreams.avro.Prediction.class);
        try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer =
                     new org.apache.kafka.clients.consumer.KafkaConsumer<>(c,
                             new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                             new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.assign(List.of(new org.apache.kafka.common.TopicPartition("predictions", 0)));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                for (final var r : consumer.poll(java.time.Duration.ofMillis(200))) {
                    if (serde.decode(r.value()).getEventId().equals(eventId)) {
                        return;
                    }
                }
            }
        }
        throw new AssertionError("no prediction for " + eventId + " within " + seconds + " s");
    }

    private static void awaitMetric(final int port, final String line, final int seconds) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = http(port, "/metrics");
                if (last.lines().anyMatch(line::equals)) {
                    return;
                }
            } catch (final java.io.IOException | AssertionError notYet) {
                // not listening yet, or not ready
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no line '" + line + "' on /metrics within " + seconds + " s; last scrape had "
                + last.lines().filter(l -> l.startsWith("bali_events")).toList());
    }

    @Test
    void aSecondBrokerOnATakenPortIsOneErrorLine(@TempDir final Path dir) throws Exception {
        final Process first = bali(dir, dir.resolve("first.err"), "broker", "--port", "0");
        final String bootstrap = firstStdoutLine(first, 90).replace("bootstrap.servers=", "");
        final String port = bootstrap.substring(bootstrap.indexOf(':') + 1);
        final Path secondLog = dir.resolve("second.log");
        final Process second = bali(dir, secondLog, "broker", "--port", port);
        assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(second.exitValue()).isEqualTo(1);
        assertThat(Files.readAllLines(secondLog)).anyMatch(l -> l.startsWith("error: port " + port
                + " on 127.0.0.1 is in use (") && l.endsWith("); is another broker running? choose another port"));
        assertThat(Files.readString(secondLog)).doesNotContain("Exception");
        first.destroy();
        assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).isZero();
    }

    /**
     * {@code bali ARGS…} in a child JVM with this test's class path, in {@code workingDirectory}; stderr (and
     * stdout, unless the caller reads it: for {@code broker}) to {@code log}.
     */
    private Process bali(final Path workingDirectory, final Path log, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.balistreams.cli.BaliCommand"));
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).directory(workingDirectory.toFile())
                .redirectError(log.toFile());
        if (!"broker".equals(args[0])) {
            pb.redirectOutput(log.toFile()).redirectErrorStream(true);
        }
        final Process p = pb.start();
        started.add(p);
        return p;
    }

    private static String http(final int port, final String path) throws Exception {
        final java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + port + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r.body().strip();
    }

    private static String post(final int port, final String path, final String body) throws Exception {
        final java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + port + path))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r.body().strip();
    }

    /** The first line the process prints on stdout (the broker's address), or a failure after the timeout. */
    private static String firstStdoutLine(final Process p, final int seconds) throws Exception {
        final java.util.concurrent.CompletableFuture<String> line = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        final String first = line.get(seconds, TimeUnit.SECONDS);
        assertThat(first).as("the broker's first line").isNotNull().startsWith("bootstrap.servers=");
        return first;
    }

    private static void waitForLine(final Path log, final String prefix, final int seconds) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readAllLines(log).stream().anyMatch(l -> l.startsWith(prefix))) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no line starting with '" + prefix + "' in " + log + " within " + seconds + " s:\n"
                + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }
}
