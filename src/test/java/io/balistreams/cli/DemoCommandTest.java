package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DemoCommandTest {

    private static String run(final String... args) {
        final PrintStream original = System.out;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            final int code = BaliCommand.commandLine().execute(args);
            assertThat(code).isZero();
        } finally {
            System.setOut(original);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static double number(final String json, final String field) {
        final Matcher m = Pattern.compile("\"" + field + "\":([-0-9.eE]+)").matcher(json);
        assertThat(m.find()).as("field %s in %s", field, json).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void demoLearnsTheDriftingStreamAndReportsEachDrift() {
        final String json = run("demo", "--events", "8000", "--concept-length", "4000", "--window", "500", "--json");
        assertThat(number(json, "events")).isEqualTo(8000);
        assertThat(number(json, "model_version")).isEqualTo(8000 / 32);
        assertThat(number(json, "rejected_updates")).isZero();
        // 10% label noise caps accuracy at 0.9; the learner should get most of the way there.
        assertThat(number(json, "accuracy")).isBetween(0.80, 0.90);
        assertThat(number(json, "position")).isEqualTo(4000);
        assertThat(number(json, "accuracy_before")).isGreaterThan(0.8);
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
