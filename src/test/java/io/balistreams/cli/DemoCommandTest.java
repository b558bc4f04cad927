package io.balistreams.cli;

import io.balistreams.testing.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

@Slow
class DemoCommandTest {

    private static String run(final String... args) {
        final CliRun r = CliRun.of(args);
        assertThat(r.code()).as(r.err()).isZero();
        return r.out();
    }

    private static double number(final String json, final String field) {
        return CliRun.number(json, field);
    }

    /** The demo runs the service on an embedded broker: every record comes back as a prediction or a dead letter. */
    @Test
    void demoRunsTheServiceOnAnEmbeddedBrokerAndAccountsForEveryRecord() {
        final String json = run("demo", "--events", "8000", "--concept-length", "4000", "--window", "500",
                "--bad-every", "2000", "--json");
        assertThat(number(json, "valid_events")).isEqualTo(8000);
        assertThat(number(json, "events_sent")).isEqualTo(8004);           // 4 malformed records mixed in
        assertThat(number(json, "predictions")).isEqualTo(8000);
        assertThat(number(json, "dead_letters")).isEqualTo(4);
        assertThat(number(json, "unscored_events")).isZero();
        assertThat(number(json, "model_version")).isEqualTo(8000 / 32 - 1); // the last event is scored before the last update
        // 10% label noise caps accuracy at 0.9; the learner should get most of the way there.
        assertThat(number(json, "accuracy")).isBetween(0.80, 0.90);
        assertThat(number(json, "position")).isGreaterThanOrEqualTo(0);
        assertThat(json).contains("\"drifts\":[{\"position\":4000,");
        assertThat(number(json, "accuracy_before")).isGreaterThan(0.8);
        assertThat(number(json, "events_per_second")).isPositive();
    }

    @Test
    void demoIsDeterministicForAGivenSeed() {
        final String a = run("demo", "--events", "3000", "--json", "--seed", "4");
        final String b = run("demo", "--events", "3000", "--json", "--seed", "4");
        assertThat(number(a, "accuracy")).isEqualTo(number(b, "accuracy"));
    }

    @Test
    void invalidOptionIsAUsageErrorNotACrash() {
        final int code = new CommandLine(new BaliCommand()).setErr(new java.io.PrintWriter(new ByteArrayOutputStream()))
                .execute("demo", "--events", "many");
        assertThat(code).isEqualTo(2);
        final java.io.StringWriter err = new java.io.StringWriter();
        final int tooMany = BaliCommand.commandLine().setErr(new java.io.PrintWriter(err))
                .execute("demo", "--events", "0");
        assertThat(tooMany).isEqualTo(1);
        assertThat(err.toString()).startsWith("error: --events");
    }
}
