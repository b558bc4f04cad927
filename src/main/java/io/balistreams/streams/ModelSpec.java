package io.balistreams.streams;

import io.balistreams.avro.ModelConfig;
import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliMixture;
import io.balistreams.bali.Task;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Everything needed to create one model: architecture, task, classes and the BALI knobs that a
 * {@code model-config} entry may override. The application's defaults are one spec
 * ({@code bali.model.*}); a model's spec is the defaults with its {@link ModelConfig} entry applied.
 *
 * @param task           regression or classification
 * @param inputDimension number of features d_0, or null to take it from the model's first event
 * @param hiddenLayers   widths of the hidden layers (may be empty)
 * @param activation     activation of every hidden layer
 * @param numClasses     K for classification (ignored for regression)
 * @param classNames     class names (index = class), empty if classes are only numbered
 * @param batchSize      labelled events per BALI update (B)
 * @param beta           EMA decay per batch of S_A, S_C (docs/method.md §4)
 * @param betaG          EMA decay per batch of S_G (NaN: the same as beta)
 * @param priorPrecision prior precision λ of every layer
 * @param seed           seed of the model's random numbers
 * @param experts        the memories of a mixture over memories (docs/method.md §11), or empty for one model; with
 *                       a mixture, {@code batchSize} and {@code beta} set the monitor's reference memory
 * @param share          the fixed share α of a mixture's weights
 */
public record ModelSpec(Task task, Integer inputDimension, int[] hiddenLayers, Activation activation, int numClasses,
                        List<String> classNames, int batchSize, double beta, double betaG, double priorPrecision,
                        long seed, List<BaliMixture.Expert> experts, double share) {

    public ModelSpec {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(activation, "activation");
        hiddenLayers = hiddenLayers.clone();
        classNames = List.copyOf(classNames);
        experts = List.copyOf(experts);
        if (inputDimension != null && inputDimension < 1) {
            throw new IllegalArgumentException("inputDimension must be >= 1, got " + inputDimension);
        }
        for (final int h : hiddenLayers) {
            if (h < 1) {
                throw new IllegalArgumentException("hiddenLayers must all be >= 1, got " + Arrays.toString(hiddenLayers));
            }
        }
        if (task == Task.CLASSIFICATION) {
            if (numClasses < 2) {
                throw new IllegalArgumentException("numClasses must be >= 2 for classification, got " + numClasses);
            }
            if (!classNames.isEmpty() && classNames.size() != numClasses) {
                throw new IllegalArgumentException("classNames lists " + classNames.size() + " names but numClasses is "
                        + numClasses);
            }
            if (classNames.stream().distinct().count() != classNames.size()) {
                throw new IllegalArgumentException("classNames has duplicates: " + classNames);
            }
        } else if (!classNames.isEmpty()) {
            throw new IllegalArgumentException("classNames given for a regression model");
        }
        // the engine validates the BALI knobs (batch size, beta, betaG, prior) with messages naming them
        final BaliConfig base = baliConfig(task, inputDimension == null ? 1 : inputDimension, hiddenLayers, activation,
                numClasses, batchSize, beta, betaG, priorPrecision, seed);
        if (!experts.isEmpty()) {
            BaliMixture.check(base, experts, share);
        }
    }

    /** One model (no mixture over memories). */
    public ModelSpec(final Task task, final Integer inputDimension, final int[] hiddenLayers, final Activation activation,
                     final int numClasses, final List<String> classNames, final int batchSize, final double beta,
                     final double betaG, final double priorPrecision, final long seed) {
        this(task, inputDimension, hiddenLayers, activation, numClasses, classNames, batchSize, beta, betaG,
                priorPrecision, seed, List.of(), BaliMixture.DEFAULT_SHARE);
    }

    /** Whether models of this spec are mixtures over memories. */
    public boolean isMixture() {
        return !experts.isEmpty();
    }

    /** The mixture over memories for a model with {@code inputs} features (only if {@link #isMixture()}). */
    public BaliMixture toMixture(final int inputs) {
        return new BaliMixture(toBaliConfig(inputs), experts, share);
    }

    /**
     * An upper bound, within about a kilobyte per model, of the size of the stored state of a model with
     * {@code inputs} features (one model, or every expert of a mixture), computed without making it.
     */
    public long stateBytes(final int inputs) {
        final BaliConfig config = toBaliConfig(inputs);
        return isMixture() ? io.balistreams.bali.MixtureStateCodec.stateBytes(config, experts)
                : io.balistreams.bali.ModelStateCodec.stateBytes(config);
    }

    /** The engine configuration for a model with {@code inputs} features (streaming scaling, docs/method.md §4). */
    public BaliConfig toBaliConfig(final int inputs) {
        return baliConfig(task, inputs, hiddenLayers, activation, numClasses, batchSize, beta, betaG, priorPrecision,
                seed);
    }

    private static BaliConfig baliConfig(final Task task, final int inputs, final int[] hiddenLayers,
                                         final Activation activation, final int numClasses, final int batchSize,
                                         final double beta, final double betaG, final double priorPrecision,
                                         final long seed) {
        final int[] sizes = new int[hiddenLayers.length + 2];
        sizes[0] = inputs;
        System.arraycopy(hiddenLayers, 0, sizes, 1, hiddenLayers.length);
        sizes[sizes.length - 1] = task == Task.CLASSIFICATION ? numClasses : 1;
        final BaliConfig.Builder b = task == Task.CLASSIFICATION
                ? BaliConfig.classification(sizes) : BaliConfig.regression(sizes);
        if (hiddenLayers.length > 0) {
            b.activation(activation);
        }
        return b.batchSize(batchSize).beta(beta).betaG(betaG).priorPrecision(priorPrecision).seed(seed).build();
    }

    /**
     * This spec with the non-null fields of a {@code model-config} entry applied.
     *
     * @throws IllegalArgumentException if the result is not a valid spec (the message names the field)
     */
    public ModelSpec withOverrides(final ModelConfig c) {
        final Task t = c.getTask() == null ? task : Task.valueOf(c.getTask().name());
        final int k = c.getNumClasses() == null ? numClasses : c.getNumClasses();
        List<String> names = c.getClassNames() == null ? classNames : List.copyOf(c.getClassNames());
        if (c.getClassNames() == null && (t != task || k != numClasses)) {
            names = List.of(); // default names belong to the default class set only
        }
        return new ModelSpec(t,
                c.getInputDimension() == null ? inputDimension : c.getInputDimension(),
                c.getHiddenLayers() == null ? hiddenLayers
                        : c.getHiddenLayers().stream().mapToInt(Integer::intValue).toArray(),
                c.getActivation() == null ? activation : Activation.valueOf(c.getActivation().name()),
                k, names,
                c.getBatchSize() == null ? batchSize : c.getBatchSize(),
                c.getBeta() == null ? beta : c.getBeta(),
                c.getBetaG() == null ? betaG : c.getBetaG(),
                c.getPriorPrecision() == null ? priorPrecision : c.getPriorPrecision(),
                c.getSeed() == null ? seed : c.getSeed(),
                c.getExperts() == null ? experts : BaliMixture.Expert.parseAll(c.getExperts()),
                c.getShare() == null ? share : c.getShare());
    }

    @Override
    public int[] hiddenLayers() {
        return hiddenLayers.clone();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof ModelSpec s && task == s.task && Objects.equals(inputDimension, s.inputDimension)
                && Arrays.equals(hiddenLayers, s.hiddenLayers) && activation == s.activation
                && numClasses == s.numClasses && classNames.equals(s.classNames) && batchSize == s.batchSize
                && Double.compare(beta, s.beta) == 0 && Double.compare(betaG, s.betaG) == 0
                && Double.compare(priorPrecision, s.priorPrecision) == 0 && seed == s.seed
                && experts.equals(s.experts) && Double.compare(share, s.share) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(task, inputDimension, Arrays.hashCode(hiddenLayers), activation, numClasses, classNames,
                batchSize, beta, betaG, priorPrecision, seed, experts, share);
    }

    @Override
    public String toString() {
        return task + " " + (inputDimension == null ? "?" : inputDimension) + "→" + Arrays.toString(hiddenLayers)
                + "→" + (task == Task.CLASSIFICATION ? numClasses : 1) + " " + activation + " B=" + batchSize
                + " β=" + beta + " βG=" + betaG + " λ=" + priorPrecision + " seed=" + seed
                + (experts.isEmpty() ? "" : " experts=" + experts + " share=" + share);
    }
}
