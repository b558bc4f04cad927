package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Exit code, output and error text of one {@code bali} command run in the test JVM: what the command wrote to
 * picocli's out and err writers ({@code spec.commandLine().getOut()} / {@code getErr()}). System.out is left alone.
 * Also the helpers the command tests share for reading such output and a child process's log.
 */
record CliRun(int code, String out, String err) {

    static CliRun of(final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintWriter outWriter = new PrintWriter(out, true, StandardCharsets.UTF_8);
        final PrintWriter errWriter = new PrintWriter(err, true, StandardCharsets.UTF_8);
        final int code;
        try {
            code = BaliCommand.commandLine().setOut(outWriter).setErr(errWriter).execute(args);
        } finally {
            outWriter.flush();
            errWriter.flush();
        }
        return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Waits until the log of a child process contains {@code text}; fails, with the log, after {@code seconds}. */
    static void awaitLine(final java.nio.file.Path log, final String text, final int seconds) throws Exception {
        final long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!(java.nio.file.Files.exists(log) && java.nio.file.Files.readString(log).contains(text))) {
            assertThat(System.nanoTime()).as("'%s' in the log within %d s; log:%n%s", text, seconds,
                    java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "").isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** The first number-valued field {@code field} in a JSON text. */
    static double number(final String json, final String field) {
        final Matcher m = Pattern.compile("\"" + field + "\":([-0-9.eE]+)").matcher(json);
        assertThat(m.find()).as("field %s in %s", field, json).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
