package io.balistreams.cli;

import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliMixture;
import io.balistreams.eval.ClassificationStream;
import io.balistreams.eval.DriftEvaluation;
import io.balistreams.eval.DriftMetrics;
import io.balistreams.eval.DriftStreams;
import io.balistreams.eval.IdxReader;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.monitor.PrequentialLoss;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bali eval drift}. */
@Command(name = "drift", mixinStandardHelpOptions = true,
        description = "Drift detection and adaptive forgetting on streams with known drift points: test-then-train "
                + "with the service's monitor (loss detector, feature-drift ADWIN on OOD flags, adaptive forgetting), "
                + "run twice with the same seed, adaptive forgetting on and off.")
public final class EvalDriftCommand implements Callable<Integer> {
    /** Largest --events accepted (the streams are held in memory). */
    static final int MAX_EVENTS = 5_000_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--stream", required = true,
            description = "sea (abrupt), hyperplane (incremental), fmnist-classes (class-incremental Fashion-MNIST) "
                    + "or elec2 (real, drift points unknown).")
    String stream;

    @Option(names = "--events", description = "Events (default: 40,000 for sea and hyperplane, 20,000 for "
            + "fmnist-classes, all 45,312 rows for elec2).")
    Integer events;

    @Option(names = "--segment", description = "Events between drift points (default: 10,000; 4,000 for "
            + "fmnist-classes; not for elec2).")
    Integer segment;

    @Option(names = "--detector", defaultValue = "adwin",
            description = "Detector on the prequential loss: adwin or page-hinkley (default ${DEFAULT-VALUE}).")
    String detector;

    @Option(names = "--alarm-memory", defaultValue = "0.5",
            description = "Memory right after a drift alarm as a fraction of N_eff, as bali.forgetting.alarm.memory "
                    + "(default ${DEFAULT-VALUE}).")
    double alarmMemory;

    @Option(names = "--loss", defaultValue = "error",
            description = "Loss the detector watches, as bali.drift.loss: error (0/1 error) or nll (default ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--memory", defaultValue = "2000",
            description = "Effective memory N_eff = B/(1-beta) in records (default ${DEFAULT-VALUE}).")
    double memory;

    @Option(names = "--batch", defaultValue = "32", description = "Mini-batch size B (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the stream and the model (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--hidden", split = ",", defaultValue = "32,32",
            description = "Hidden layer widths of the tabular streams' model (sea, hyperplane, elec2), "
                    + "comma-separated (default ${DEFAULT-VALUE}).")
    List<Integer> hidden;

    @Option(names = "--experts", split = ",", paramLabel = "MEMORYxBATCH", defaultValue = "none",
            description = "A Bayesian mixture of experts over these memories (effective memory x batch size each, "
                    + "e.g. 50x4,500x8,4000x32; docs/method.md section 11) instead of one model at --memory and "
                    + "--batch, which then set only the monitor's reference memory; none for one model "
                    + "(default ${DEFAULT-VALUE}).")
    List<String> experts;

    @Option(names = "--share", defaultValue = "0.01",
            description = "Fixed share alpha of a mixture's weights, in [0, 1) (default ${DEFAULT-VALUE}).")
    double share;

    @Option(names = "--tolerance", defaultValue = "2000",
            description = "A drift counts as detected by a DRIFT alarm within this many events after it "
                    + "(or before the next drift point) (default ${DEFAULT-VALUE}).")
    int tolerance;

    @Option(names = "--recovery-window", defaultValue = "1000",
            description = "Accuracy over this many events after each drift point (default ${DEFAULT-VALUE}).")
    int recoveryWindow;

    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Also write a self-contained HTML report (no network needed to open it): the settings, "
                    + "detection per known drift point, and the windowed accuracy of both runs with the drift points, "
                    + "the alarms and the periods of faster forgetting.")
    Path report;

    @Option(names = "--window", defaultValue = "1000",
            description = "Events per window of the windowed accuracy (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--data", defaultValue = "../shared/datasets",
            description = "Folder of the shared data sets (fashion-mnist/, streams/elec2.csv) (default ${DEFAULT-VALUE}).")
    Path data;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        final ModelMonitor.Detector kind = switch (detector.toLowerCase(Locale.ROOT)) {
            case "adwin" -> ModelMonitor.Detector.ADWIN;
            case "page-hinkley", "page_hinkley" -> ModelMonitor.Detector.PAGE_HINKLEY;
            default -> throw new IllegalArgumentException("--detector must be adwin or page-hinkley, got " + detector);
        };
        final PrequentialLoss lossKind = switch (loss.toLowerCase(Locale.ROOT)) {
            case "error" -> PrequentialLoss.ERROR;
            case "nll" -> PrequentialLoss.NLL;
            default -> throw new IllegalArgumentException("--loss must be error or nll, got " + loss);
        };
        if (events != null && (events < 1 || events > MAX_EVENTS)) {
            throw new IllegalArgumentException("--events must be in [1, " + MAX_EVENTS + "], got " + events);
        }
        if (segment != null && segment < 1) {
            throw new IllegalArgumentException("--segment must be >= 1, got " + segment);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        }
        if (!(memory > batch) || Double.isInfinite(memory)) {
            throw new IllegalArgumentException("--memory must be finite and exceed --batch (" + batch + "), got " + memory);
        }
        if (tolerance < 1 || recoveryWindow < 1 || window < 1) {
            throw new IllegalArgumentException("--tolerance, --recovery-window and --window must be >= 1");
        }
        final ClassificationStream s;
        final BaliConfig config;
        switch (stream) {
            case "sea" -> {
                s = DriftStreams.sea(seed, events == null ? 40_000 : events, segment == null ? 10_000 : segment);
                config = DriftStreams.tabularModel(s.dimension(), widths(), s.classes(), batch, memory, seed);
            }
            case "hyperplane" -> {
                s = DriftStreams.hyperplane(seed, events == null ? 40_000 : events,
                        segment == null ? 10_000 : segment);
                config = DriftStreams.tabularModel(s.dimension(), widths(), s.classes(), batch, memory, seed);
            }
            case "fmnist-classes" -> {
                final Path dir = data.resolve("fashion-mnist");
                final int n = events == null ? 20_000 : events;
                final double[][] images = IdxReader.readImages(dir.resolve("train-images-idx3-ubyte.gz"));
                final int[] labels = IdxReader.readLabels(dir.resolve("train-labels-idx1-ubyte.gz"));
                if (images.length != labels.length) {
                    throw new IllegalArgumentException(dir + ": " + images.length + " images but " + labels.length
                            + " labels");
                }
                s = DriftStreams.classIncremental(images, labels, seed, n, segment == null ? 4_000 : segment);
                config = DriftStreams.imageModel(s.dimension(), s.classes(), batch, memory, seed);
            }
            case "elec2" -> {
                if (segment != null) {
                    throw new IllegalArgumentException("--segment does not apply to elec2 (its drift points are unknown)");
                }
                final Path csv = data.resolve("streams").resolve("elec2.csv");
                final ClassificationStream all = DriftStreams.elec2(csv);
                if (events != null && events > all.events()) {
                    throw new IllegalArgumentException("--events " + events + " exceeds the " + all.events()
                            + " rows of " + csv);
                }
                s = events == null ? all : all.head(events);
                config = DriftStreams.tabularModel(s.dimension(), widths(), s.classes(), batch, memory, seed);
            }
            default -> throw new IllegalArgumentException(
                    "--stream must be sea, hyperplane, fmnist-classes or elec2, got " + stream);
        }
        final DriftEvaluation.Settings settings = new DriftEvaluation.Settings(
                ModelMonitor.Settings.defaults().with(kind, null, null, alarmMemory, null), tolerance, recoveryWindow,
                window, lossKind).withExperts(BaliMixture.Expert.parseAll(experts), share);
        final DriftEvaluation.Comparison c = ProgressBar.around(spec.commandLine().getErr(), output.progress(), "eval drift " + stream,
                2L * s.events(), bar -> DriftEvaluation.compare(config, s, settings, bar));
        if (output.json) {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("stream", stream);
            out.put("events", s.events());
            out.put("drift_points", s.driftPoints() == null ? null : longs(s.driftPoints()));
            out.put("detector", kind.name());
            out.put("loss", lossKind.name());
            out.put("alarm_memory", alarmMemory);
            out.put("memory", memory);
            out.put("batch", batch);
            out.put("experts", settings.experts().stream().map(Object::toString).toList());
            out.put("tolerance", tolerance);
            out.put("recovery_window", recoveryWindow);
            out.put("adaptive", runJson(c.adaptive()));
            out.put("fixed", runJson(c.fixed()));
            spec.commandLine().getOut().println(Json.write(out));
        } else {
            printDrift(spec.commandLine().getOut(), c);
        }
        spec.commandLine().getOut().flush();
        if (report != null) {
            final Map<String, Object> run = new LinkedHashMap<>();
            run.put("stream", stream + " (" + s.events() + " events, " + s.dimension() + " features, " + s.classes()
                    + " classes)");
            run.put("drift points", s.driftPoints() == null ? "unknown" : s.driftPoints().length == 0 ? "none"
                    : joinLongs(s.driftPoints()));
            run.put(settings.experts().isEmpty() ? "model" : "mixture", settings.experts().isEmpty()
                    ? config.describe() : BaliMixture.describe(config, settings.experts(), settings.share()));
            run.put("detector", kind.name() + " on the " + lossKind.name().toLowerCase(Locale.ROOT) + " loss");
            run.put("alarm memory", alarmMemory);
            run.put("memory N_eff, batch", memory + ", " + batch);
            run.put("tolerance, recovery window (events)", tolerance + ", " + recoveryWindow);
            run.put("seed", seed);
            EvalReports.write(EvalReports.drift("bali eval drift: " + stream, run, c,
                    settings.monitor().recoveryUpdates() * batch), report, spec.commandLine().getErr());
        }
        return 0;
    }

    private int[] widths() {
        return hidden.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Map<String, Object> runJson(final DriftEvaluation.Run r) {
        final boolean known = r.driftPoints() != null;
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", r.overall());
        final List<Object> alarms = new ArrayList<>();
        for (final DriftMetrics.Alarm a : r.alarms()) {
            final Map<String, Object> j = new LinkedHashMap<>();
            j.put("position", a.position());
            j.put("detector", a.detector());
            j.put("level", a.level().name());
            alarms.add(j);
        }
        m.put("alarms", alarms);
        m.put("drift_alarms", r.driftAlarms());
        m.put("detection_delays", java.util.Arrays.asList(r.delays()));
        m.put("missed", known ? r.missed() : null);
        if (r.memoryShift() != null) {
            final Map<String, Object> shift = new LinkedHashMap<>();
            shift.put("alarms", r.memoryShift().alarms().stream().map(DriftMetrics.Alarm::position).toList());
            shift.put("detection_delays", java.util.Arrays.asList(r.memoryShift().delays()));
            shift.put("missed", known ? r.memoryShift().missed() : null);
            shift.put("false_alarms_per_10k", r.memoryShift().falseAlarmsPer10k());
            m.put("memory_shift", shift);
        }
        m.put("false_alarms_per_10k", r.falseAlarmsPer10k());
        m.put("recovery_accuracy", doubles(r.recovery()));
        m.put("records_per_second", r.recordsPerSecond());
        m.put("rejected_updates", r.rejectedUpdates());
        final List<Object> windows = new ArrayList<>();
        for (int w = 0; w < r.windows().length; w++) {
            final Map<String, Object> j = new LinkedHashMap<>();
            j.put("end", r.windowEnds()[w]);
            j.put("accuracy", r.windows()[w]);
            windows.add(j);
        }
        m.put("windows", windows);
        return m;
    }

    private void printDrift(final PrintWriter o, final DriftEvaluation.Comparison c) {
        final ClassificationStream s = c.stream();
        final DriftEvaluation.Run on = c.adaptive();
        final DriftEvaluation.Run off = c.fixed();
        final boolean known = s.driftPoints() != null;
        o.printf(Locale.ROOT, "%s: %,d events, %d features, %d classes; drift points %s%n", stream, s.events(),
                s.dimension(), s.classes(), known ? (s.driftPoints().length == 0 ? "none" : joinLongs(s.driftPoints()))
                        : "unknown");
        final String model = c.settings().experts().isEmpty()
                ? String.format(Locale.ROOT, "model %s (beta %.4f)", c.config().describe(), c.config().beta())
                : "mixture " + BaliMixture.describe(c.config(), c.settings().experts(), c.settings().share());
        o.printf(Locale.ROOT, "%s, seed %d; loss detector %s, feature drift ADWIN on OOD flags; "
                        + "tolerance %,d, recovery window %,d%n", model, seed,
                c.settings().monitor().detector(), tolerance, recoveryWindow);
        o.printf(Locale.ROOT, "%-28s %22s %22s%n", "", "adaptive forgetting", "fixed beta");
        o.printf(Locale.ROOT, "%-28s %22.4f %22.4f%n", "accuracy", on.overall(), off.overall());
        o.printf(Locale.ROOT, "%-28s %22d %22d%n", "DRIFT alarms", on.driftAlarms(), off.driftAlarms());
        if (known) {
            o.printf(Locale.ROOT, "%-28s %22s %22s%n", "detection delays", delays(on), delays(off));
            o.printf(Locale.ROOT, "%-28s %22d %22d%n", "missed drifts", on.missed(), off.missed());
            o.printf(Locale.ROOT, "%-28s %22.2f %22.2f%n", "false alarms / 10k events", on.falseAlarmsPer10k(),
                    off.falseAlarmsPer10k());
            if (on.memoryShift() != null) {
                // the mixture's weights read as a drift signal, beside the monitor (an evaluation instrument)
                o.printf(Locale.ROOT, "%-28s %22s %22s%n", "memory shift: delays", delays(on.memoryShift().delays()),
                        delays(off.memoryShift().delays()));
                o.printf(Locale.ROOT, "%-28s %22d %22d%n", "memory shift: missed", on.memoryShift().missed(),
                        off.memoryShift().missed());
                o.printf(Locale.ROOT, "%-28s %22.2f %22.2f%n", "memory shift: false / 10k",
                        on.memoryShift().falseAlarmsPer10k(), off.memoryShift().falseAlarmsPer10k());
            }
            for (int k = 0; k < s.driftPoints().length; k++) {
                o.printf(Locale.ROOT, "%-28s %22.4f %22.4f%n", String.format(Locale.ROOT, "accuracy after %,d",
                        s.driftPoints()[k]), on.recovery()[k], off.recovery()[k]);
            }
        }
        o.printf(Locale.ROOT, "%-28s %,22.0f %,22.0f%n", "records/s", on.recordsPerSecond(), off.recordsPerSecond());
        for (final DriftEvaluation.Run r : new DriftEvaluation.Run[]{on, off}) {
            final StringBuilder sb = new StringBuilder();
            for (final DriftMetrics.Alarm a : r.alarms()) {
                if (a.level() == DriftLevel.DRIFT) {
                    sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%,d", a.position()))
                            .append(' ').append(a.detector());
                }
            }
            o.printf(Locale.ROOT, "DRIFT alarms, %s: %s%n", r.adaptiveForgetting() ? "adaptive" : "fixed",
                    sb.length() == 0 ? "none" : sb);
        }
        final StringBuilder w = new StringBuilder();
        for (int k = 0; k < on.windows().length; k++) {
            w.append(String.format(Locale.ROOT, "%s%.3f/%.3f", k == 0 ? "" : " ", on.windows()[k], off.windows()[k]));
        }
        o.printf(Locale.ROOT, "accuracy per %,d events (adaptive/fixed): %s%n", window, w);
    }

    private static String delays(final DriftEvaluation.Run r) {
        return delays(r.delays());
    }

    private static String delays(final Long[] all) {
        final StringBuilder sb = new StringBuilder();
        for (final Long d : all) {
            sb.append(sb.length() == 0 ? "" : ", ").append(d == null ? "missed" : String.format(Locale.ROOT, "%,d", d));
        }
        return sb.length() == 0 ? "-" : sb.toString();
    }

    private static List<Long> longs(final long[] v) {
        final List<Long> out = new ArrayList<>(v.length);
        for (final long x : v) {
            out.add(x);
        }
        return out;
    }

    private static List<Double> doubles(final double[] v) {
        final List<Double> out = new ArrayList<>(v.length);
        for (final double x : v) {
            out.add(x);
        }
        return out;
    }

    private static String joinLongs(final long[] v) {
        final StringBuilder sb = new StringBuilder();
        for (final long x : v) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%,d", x));
        }
        return sb.toString();
    }
}
