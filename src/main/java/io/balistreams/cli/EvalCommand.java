package io.balistreams.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code bali eval}: how well the learner predicts and how honest its uncertainty is, on real data.
 * The subcommands' names, options and JSON fields are a stable contract.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate BALI on real data: UCI regression protocol, prequential streams, out-of-distribution, "
                + "drift detection.",
        subcommands = {EvalUciCommand.class, EvalPrequentialCommand.class, EvalOodCommand.class, EvalDriftCommand.class})
public final class EvalCommand implements Runnable {
    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: uci, prequential, ood or drift");
    }

    /** Metrics as "name value" pairs ({@code end} as a count), two spaces apart: the text output of prequential and ood. */
    static String format(final Map<String, Double> metrics) {
        final StringBuilder sb = new StringBuilder();
        for (final Map.Entry<String, Double> e : metrics.entrySet()) {
            if (sb.length() > 0) {
                sb.append("  ");
            }
            sb.append(e.getKey()).append(' ').append(e.getKey().equals("end")
                    ? String.format(Locale.ROOT, "%,d", e.getValue().longValue())
                    : String.format(Locale.ROOT, "%.4f", e.getValue()));
        }
        return sb.toString();
    }
}
