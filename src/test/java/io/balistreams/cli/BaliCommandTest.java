package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.bali.Activation;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParseResult;

/** The command line as {@code main} builds it, parsed without running anything. */
class BaliCommandTest {

    /** The value of {@code --activation} in the innermost subcommand of {@code args}. */
    private static Activation activation(final String... args) {
        ParseResult r = BaliCommand.commandLine().parseArgs(args);
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return r.matchedOptionValue("--activation", null);
    }

    @Test
    void enumValuesAreCaseInsensitiveInEverySubcommand() {
        // the README writes `--activation tanh`
        assertThat(activation("eval", "prequential", "--csv", "x.csv", "--target", "y", "--activation", "tanh"))
                .isEqualTo(Activation.TANH);
        assertThat(activation("eval", "prequential", "--csv", "x.csv", "--target", "y", "--activation", "TANH"))
                .isEqualTo(Activation.TANH);
        assertThat(activation("eval", "uci", "--dir", "d", "--activation", "Identity")).isEqualTo(Activation.IDENTITY);
        assertThat(activation("eval", "uci", "--dir", "d", "--activation", "RELU")).isEqualTo(Activation.RELU);
    }

    @Test
    void anUnknownEnumValueIsStillAUsageError() {
        final CliRun r = CliRun.of("eval", "prequential", "--csv", "x.csv", "--target", "y", "--activation", "sigmoid");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--activation").contains("sigmoid");
    }

    @Test
    void versionIsTheBuildsVersion() throws Exception {
        final CliRun r = CliRun.of("--version");
        assertThat(r.code()).isZero();
        // the pom's <version>, which the build writes into version.properties
        final String pom = java.nio.file.Files.readString(java.nio.file.Path.of("pom.xml"));
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "<artifactId>bali-streams</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertThat(m.find()).isTrue();
        assertThat(r.out().lines().findFirst()).hasValue("bali-streams " + m.group(1));
        assertThat(r.out()).contains("Java " + System.getProperty("java.version"));
    }

    @Test
    void brokerIsASubcommandWithItsDefaults() {
        final ParseResult r = BaliCommand.commandLine().parseArgs("broker").subcommand();
        assertThat(r.commandSpec().name()).isEqualTo("broker");
        assertThat(r.commandSpec().findOption("--port").defaultValue()).isEqualTo("9092");
        assertThat(r.commandSpec().findOption("--data-dir").defaultValue()).isNull();
        final CliRun bad = CliRun.of("broker", "--port", "70000");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("error: port must be in [0, 65535], got 70000");
    }

    @Test
    void produceAndTailSayWhatTheyWaitForAndGiveUpAfterTheConnectTimeout() throws Exception {
        final int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        final String at = "127.0.0.1:" + port;
        final CliRun produce = CliRun.of("produce", "--csv", "docs/examples/sea.csv", "--topic", "events",
                "--bootstrap-servers", at, "--target", "class", "--label-kind", "class-name",
                "--connect-timeout-ms", "1500");
        final CliRun tail = CliRun.of("tail", "--topic", "predictions", "--bootstrap-servers", at,
                "--connect-timeout-ms", "1500");
        for (final String[] run : new String[][] {{"produce", produce.err()}, {"tail", tail.err()}}) {
            assertThat(run[1].lines().toList()).as(run[0]).containsExactly(
                    "bali " + run[0] + ": waiting for a Kafka broker at " + at + " (up to 1500 ms) …",
                    "error: no Kafka broker answered at " + at + " within 1500 ms (is it running? `bali broker` "
                            + "starts one on this machine); a cluster that requires TLS or SASL answers only clients "
                            + "with security.protocol and its ssl.* / sasl.* settings");
        }
        assertThat(produce.code()).isEqualTo(1);
        assertThat(tail.code()).isEqualTo(1);
    }
}
