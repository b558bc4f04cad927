package io.balistreams.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bali} command: entry point of the runnable jar {@code target/bali-streams.jar}. */
@Command(name = "bali", mixinStandardHelpOptions = true, versionProvider = BaliCommand.Version.class,
        description = "Online Bayesian neural networks (BALI) for event streams.",
        subcommands = {DemoCommand.class, RunCommand.class, BrokerCommand.class, ModelCommand.class, BenchCommand.class, EvalCommand.class, ProduceCommand.class, TailCommand.class,
                CommandLine.HelpCommand.class})
public final class BaliCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try: bali demo)");
    }

    public static void main(final String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line with its error handling: bad input (a malformed file, an invalid value) is
     * reported as one "error: ..." line on stderr and exit code 1, without a stack trace. Enum values
     * ({@code --activation tanh}) are case-insensitive in every subcommand.
     */
    static CommandLine commandLine() {
        final CommandLine cli = new CommandLine(new BaliCommand());
        cli.setCaseInsensitiveEnumValuesAllowed(true); // applies to the whole subcommand tree built above
        cli.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                    || ex instanceof io.balistreams.eval.DataFormatException
                    || ex instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("error: " + ex.getMessage());
                cmd.getErr().flush();
                return 1;
            }
            throw ex;
        });
        return cli;
    }

    /** The build's version, from {@code io/balistreams/version.properties} (written by the build's resource filtering). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"bali-streams " + version(), "Java " + System.getProperty("java.version") + " ("
                    + System.getProperty("java.vendor") + ")"};
        }

        static String version() {
            final java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = BaliCommand.class.getResourceAsStream("/io/balistreams/version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read the build's version.properties", e);
            }
            final String v = p.getProperty("version");
            if (v == null || v.contains("${")) {
                throw new IllegalStateException("this build has no version.properties (built without Maven's "
                        + "resource filtering?)");
            }
            return v;
        }
    }
}
