package io.balistreams.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.testing.Slow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * target/bali-streams-engine.jar, as an application that embeds the engine uses it: nothing of Kafka, of the
 * service or of a logging backend inside, and a program compiled and run against that jar alone learns a model
 * online, exports its state and restores it bit for bit, also through a model file ({@code ModelFiles}). Runs in {@code verify}, after {@code package} built the jar.
 */
@Slow
class EngineJarTest {
    private static final Path JAR = Path.of("target/bali-streams-engine.jar");

    private static final String PROGRAM = """
            import io.balistreams.bali.*;
            import io.balistreams.online.*;
            import java.util.List;

            public class Embedded {
                public static void main(String[] args) {
                    BaliConfig config = BaliConfig.classification(2, 8, 2).batchSize(8).seed(3).build();
                    OnlineLearner learner = OnlineLearner.create("m", config, List.of("no", "yes"),
                            LearnerSettings.defaults());
                    Rng rng = new Rng(5);
                    for (int i = 0; i < 2000; i++) {
                        double[] x = {rng.nextGaussian(), rng.nextGaussian()};
                        learner.label(learner.score(x, i), x[0] + x[1] > 0 ? 1 : 0, i);
                        if (learner.batchDue()) {
                            learner.learn();
                        }
                    }
                    BaliModel model = new BaliModel(config);
                    double[][] xs = {{1, 1}, {-1, -1}, {2, 0}, {0, -2}, {1, 0}, {0, 1}, {-1, 0}, {0, -1}};
                    model.learn(xs, new int[] {1, 0, 1, 0, 1, 1, 0, 0});
                    BaliModel copy = ModelStateCodec.decode(ModelStateCodec.encode(model));
                    boolean same = java.util.Arrays.equals(model.classify(xs[0]).probabilities(),
                            copy.classify(xs[0]).probabilities());
                    // a model file, written and read back in this fresh JVM (Avro's class-trust check included)
                    java.nio.file.Path file = java.nio.file.Path.of(args[0]);
                    try {
                        ModelFiles.write(file, ModelFiles.snapshot("m", model, List.of("no", "yes")));
                        io.balistreams.avro.ModelSnapshot read = ModelFiles.read(file);
                        BaliModel fromFile = ModelStateCodec.fromRecord(
                                (io.balistreams.avro.BaliModelState) read.getState());
                        same &= java.util.Arrays.equals(model.classify(xs[0]).probabilities(),
                                fromFile.classify(xs[0]).probabilities()) && read.getClassNames().size() == 2;
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    System.out.println("version " + learner.version() + " accuracy "
                            + learner.cumulativeMetrics().get("accuracy") + " restored " + same);
                }
            }
            """;

    @Test
    void anApplicationCompiledAgainstTheEngineJarAloneLearnsAndRestores(@TempDir final Path dir) throws Exception {
        Assumptions.assumeTrue(Files.exists(JAR), "target/bali-streams-engine.jar is built by mvn package");
        final List<String> entries = new ArrayList<>();
        try (ZipFile zip = new ZipFile(JAR.toFile())) {
            zip.stream().forEach(e -> entries.add(e.getName()));
        }
        assertThat(entries).contains("io/balistreams/bali/BaliModel.class", "io/balistreams/online/OnlineLearner.class",
                "io/balistreams/monitor/ModelMonitor.class", "io/balistreams/avro/BaliModelState.class",
                "org/ejml/data/DMatrixRMaj.class", "org/apache/avro/Schema.class");
        assertThat(entries).noneMatch(e -> e.startsWith("org/apache/kafka/") || e.startsWith("kafka/")
                || e.startsWith("ch/qos/logback/") || e.startsWith("org/slf4j/simple/")
                || e.startsWith("io/balistreams/streams/") || e.startsWith("io/balistreams/cli/")
                || e.startsWith("io/balistreams/eval/") || e.startsWith("io/balistreams/local/")
                || e.startsWith("io/micrometer/") || e.startsWith("picocli/"));

        final Path source = dir.resolve("Embedded.java");
        Files.writeString(source, PROGRAM);
        final JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, null, null, "-cp", JAR.toString(), "-d", dir.toString(), source.toString()))
                .as("compiles against the engine jar alone").isZero();

        final Path out = dir.resolve("out.txt");
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", JAR.toAbsolutePath() + java.io.File.pathSeparator + dir, "Embedded",
                dir.resolve("m.snapshot").toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final String printed = Files.readString(out);
        assertThat(p.exitValue()).as(printed).isZero();
        // 2,000 labels in batches of 8: 250 updates; a linearly separable stream is learned
        assertThat(printed).containsPattern("version 250 accuracy 0\\.9\\d+ restored true");
    }
}
