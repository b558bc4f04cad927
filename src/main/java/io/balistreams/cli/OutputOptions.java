package io.balistreams.cli;

import picocli.CommandLine.Option;

/** The output options of the {@code eval} commands (picocli mixin). */
final class OutputOptions {
    @Option(names = "--json", description = "Print the result as one JSON object on stdout.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar (there is none anyway when the output is not "
            + "a terminal, e.g. in a log file).")
    boolean quiet;

    /** Whether to draw a progress bar: not asked to be quiet, and a terminal to draw it on. */
    boolean progress() {
        return !quiet && System.console() != null;
    }
}
