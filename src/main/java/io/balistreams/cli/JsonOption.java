package io.balistreams.cli;

import picocli.CommandLine.Option;

/** The {@code --json} option of the commands that print one result (picocli mixin); the eval commands use {@link OutputOptions}. */
final class JsonOption {
    @Option(names = "--json", description = "Print the result as one JSON object on stdout.")
    boolean json;
}
