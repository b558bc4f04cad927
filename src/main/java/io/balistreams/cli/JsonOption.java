package io.balistreams.cli;

import picocli.CommandLine.Option;

/** The {@code --json} switch shared by every command that prints a summary (picocli mixin). */
final class JsonOption {
    @Option(names = "--json", description = "Print the result as one JSON object on stdout.")
    boolean json;
}
