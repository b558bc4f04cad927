package io.balistreams.cli;

import io.balistreams.local.EmbeddedKafka;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bali broker}: a single-node Kafka broker (KRaft) for running the service on one machine without Docker.
 * It prints its bootstrap address on stdout ({@code bootstrap.servers=127.0.0.1:PORT}, one line, so a script can
 * read it), serves until SIGTERM or Ctrl-C, then stops and exits with 0. Not for production: one node, no
 * replication, plaintext.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run a single-node Kafka broker (KRaft) on this machine until stopped (Ctrl-C or SIGTERM): "
                + "for trying bali run, produce and tail without Docker. Not for production.")
public final class BrokerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = "9092",
            description = "Port on 127.0.0.1 for clients (default ${DEFAULT-VALUE}; 0: any free port).")
    int port;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep the broker's data (topics, offsets, the service's state changelogs) in DIR and "
                    + "start from it again next time; default: a temporary directory deleted when the broker stops.")
    Path dataDirectory;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
        final StopSignal stop = StopSignal.install();
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        err.println("bali broker: starting on 127.0.0.1:" + (port == 0 ? "(a free port)" : port) + " …");
        err.flush();
        try (EmbeddedKafka broker = new EmbeddedKafka(port, dataDirectory)) {
            out.println("bootstrap.servers=" + broker.bootstrapServers());
            out.flush();
            err.println("bali broker: ready on " + broker.bootstrapServers() + ", data in " + broker.dataDirectory()
                    + (dataDirectory == null ? " (deleted when it stops)" : "") + "; stop with Ctrl-C");
            err.flush();
            while (!stop.await(Duration.ofSeconds(1))) {
                // serve until a stop is requested
            }
            err.println("bali broker: " + stop.signalName() + " received, stopping …");
            err.flush();
        }
        err.println("bali broker: stopped");
        err.flush();
        return 0;
    }
}
