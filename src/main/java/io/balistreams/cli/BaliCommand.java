package io.balistreams.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bali} command: entry point of the runnable jar {@code target/bali-streams.jar}. */
@Command(name = "bali", mixinStandardHelpOptions = true, versionProvider = BaliCommand.Version.class,
        description = "Online Bayesian neural networks (BALI) for event streams.",
        subcommands = {DemoCommand.class, CommandLine.HelpCommand.class})
public final class BaliCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try: bali demo)");
    }

    public static void main(final String[] args) {
        System.exit(new CommandLine(new BaliCommand()).execute(args));
    }

    /** Version from the jar manifest, if any. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            final String v = BaliCommand.class.getPackage().getImplementationVersion();
            return new String[]{"bali-streams " + (v == null ? "(development build)" : v)};
        }
    }
}
