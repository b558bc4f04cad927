package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Exit code, stdout and stderr of one {@code bali} command run in the test JVM. */
record CliRun(int code, String out, String err) {

    static CliRun of(final String... args) {
        final PrintStream original = System.out;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = BaliCommand.commandLine().setErr(new PrintWriter(err, true, StandardCharsets.UTF_8)).execute(args);
        } finally {
            System.setOut(original);
        }
        return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The first number-valued field {@code field} in a JSON text. */
    static double number(final String json, final String field) {
        final Matcher m = Pattern.compile("\"" + field + "\":([-0-9.eE]+)").matcher(json);
        assertThat(m.find()).as("field %s in %s", field, json).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
