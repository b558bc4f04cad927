package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.bali.Activation;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParseResult;

/** The command line as {@code main} builds it, parsed without running anything. */
class BaliCommandTest {

    /** The value of {@code --activation} in the innermost subcommand of {@code args}. */
    private static Activation activation(final String... args) {
        ParseResult r = BaliCommand.commandLine().parseArgs(args);
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return r.matchedOptionValue("--activation", null);
    }

    @Test
    void enumValuesAreCaseInsensitiveInEverySubcommand() {
        // the README writes `--activation tanh`
        assertThat(activation("eval", "prequential", "--csv", "x.csv", "--target", "y", "--activation", "tanh"))
                .isEqualTo(Activation.TANH);
        assertThat(activation("eval", "prequential", "--csv", "x.csv", "--target", "y", "--activation", "TANH"))
                .isEqualTo(Activation.TANH);
        assertThat(activation("eval", "uci", "--dir", "d", "--activation", "Identity")).isEqualTo(Activation.IDENTITY);
        assertThat(activation("eval", "uci", "--dir", "d", "--activation", "RELU")).isEqualTo(Activation.RELU);
    }

    @Test
    void anUnknownEnumValueIsStillAUsageError() {
        final CliRun r = CliRun.of("eval", "prequential", "--csv", "x.csv", "--target", "y", "--activation", "sigmoid");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--activation").contains("sigmoid");
    }
}
