package io.balistreams.bali;

import io.balistreams.avro.DenseMatrix;
import io.balistreams.avro.MixturePosteriorPart;
import io.balistreams.avro.ModelPosterior;
import io.balistreams.avro.StandardizerMoments;
import io.balistreams.avro.TrustedAvroTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Exports a {@link ServingPosterior} to, and imports it from, the Avro record
 * {@code schemas/ModelPosterior.avsc} (docs/state-format.md, "The serving posterior"), in Avro
 * single-object encoding like {@link ModelStateCodec}. Matrices are raw little-endian IEEE-754 doubles,
 * so the round trip is bit-exact and a decoded posterior predicts bit for bit like the model it was
 * taken from. Per layer the record holds M (qp doubles); for the last layer also the packed lower
 * triangle of the Cholesky factor of Λ_L (p(p+1)/2), and σ²_y or the S × K logit offsets — not the
 * p² + qp + q² doubles of S_A, S_C and S_G that the full state holds.
 */
public final class ServingPosteriorCodec {
    /** Version of the layout written by {@link #toRecord}. */
    public static final int FORMAT_VERSION = 1;

    static {
        TrustedAvroTypes.trust(ModelPosterior.getClassSchema());
    }

    private ServingPosteriorCodec() {
    }

    /**
     * The Avro record of a serving posterior.
     *
     * @param classNames class names of a classifier (index = class; empty or K names), empty for a regression
     * @throws IllegalArgumentException if {@code classNames} does not fit the model
     */
    public static ModelPosterior toRecord(final String modelId, final List<String> classNames,
                                          final ServingPosterior posterior) {
        final BaliConfig config = posterior.config();
        checkClassNames(classNames, config);
        final List<DenseMatrix> means = new ArrayList<>();
        for (int l = 0; l < posterior.numLayers(); l++) {
            final DMatrixRMaj mt = posterior.meanTransposed(l);
            means.add(ModelStateCodec.matrix(CommonOps_DDRM.transpose(mt, null)));
        }
        final boolean regression = config.task() == Task.REGRESSION;
        final ModelPosterior.Builder b = ModelPosterior.newBuilder()
                .setModelId(modelId)
                .setModelVersion(posterior.version())
                .setFormatVersion(FORMAT_VERSION)
                .setClassNames(new ArrayList<>(classNames))
                .setConfig(ModelStateCodec.configRecord(config))
                .setLayerMeans(means)
                .setLastLayerLambdaCholesky(ModelStateCodec.matrix(packLower(posterior.cholLambda())))
                .setNoiseVariance(regression ? posterior.noiseVariance() : null)
                .setLogitOffsets(regression ? null : ModelStateCodec.matrix(new DMatrixRMaj(
                        config.monteCarloSamples(), config.numClasses(), true, posterior.logitOffsets())))
                .setLogitScale(posterior.logitScale())
                .setInputStandardizer(moments(posterior.inputStandardizer()))
                .setTargetStandardizer(moments(posterior.targetStandardizer()));
        return b.build();
    }

    /**
     * A serving posterior from its record; validates the format version, the configuration and every
     * shape. The record's model id and class names are the caller's to read.
     *
     * @throws IllegalArgumentException if the record is of another format version or inconsistent
     */
    public static ServingPosterior fromRecord(final ModelPosterior record) {
        if (record.getFormatVersion() != FORMAT_VERSION) {
            throw new IllegalArgumentException("model posterior format version " + record.getFormatVersion()
                    + " is not supported (this build reads version " + FORMAT_VERSION + ")");
        }
        if (record.getModelVersion() < 0) {
            throw new IllegalArgumentException("model posterior has a negative model version " + record.getModelVersion());
        }
        final BaliConfig config = ModelStateCodec.config(record.getConfig());
        checkClassNames(record.getClassNames(), config);
        final int[] sizes = config.layerSizes();
        final int numLayers = sizes.length - 1;
        if (record.getLayerMeans().size() != numLayers) {
            throw new IllegalArgumentException("model posterior has " + record.getLayerMeans().size()
                    + " layer means, its configuration " + numLayers + " layers");
        }
        final DMatrixRMaj[] meansTransposed = new DMatrixRMaj[numLayers];
        for (int l = 0; l < numLayers; l++) {
            final DMatrixRMaj m = ModelStateCodec.matrix(record.getLayerMeans().get(l), sizes[l + 1], sizes[l] + 1,
                    "layer " + (l + 1) + " M");
            meansTransposed[l] = CommonOps_DDRM.transpose(m, null);
        }
        final int p = sizes[numLayers - 1] + 1;
        final DMatrixRMaj cholLambda = unpackLower(ModelStateCodec.matrix(record.getLastLayerLambdaCholesky(), 1,
                p * (p + 1) / 2, "last layer Cholesky factor of Lambda"), p);
        final boolean regression = config.task() == Task.REGRESSION;
        final double noiseVariance;
        final double[] offsets;
        if (regression) {
            final Double noise = record.getNoiseVariance();
            if (noise == null || !(noise > 0) || Double.isInfinite(noise)) {
                throw new IllegalArgumentException("a regression posterior needs a finite noise variance > 0, got " + noise);
            }
            if (record.getLogitOffsets() != null) {
                throw new IllegalArgumentException("a regression posterior has no logit offsets");
            }
            noiseVariance = noise;
            offsets = null;
        } else {
            if (record.getNoiseVariance() != null) {
                throw new IllegalArgumentException("a classification posterior has no noise variance");
            }
            if (record.getLogitOffsets() == null) {
                throw new IllegalArgumentException("a classification posterior needs its logit offsets");
            }
            if (!(record.getLogitScale() > 0) || Double.isInfinite(record.getLogitScale())) {
                throw new IllegalArgumentException("a classification posterior needs a finite logit scale > 0, got "
                        + record.getLogitScale());
            }
            noiseVariance = Double.NaN;
            offsets = ModelStateCodec.matrix(record.getLogitOffsets(), config.monteCarloSamples(), config.numClasses(),
                    "logit offsets").data;
        }
        final Standardizer inputs = standardizer(record.getInputStandardizer(), config.standardizeInputs(),
                config.inputSize(), "input");
        final Standardizer targets = standardizer(record.getTargetStandardizer(),
                regression && config.standardizeTargets(), 1, "target");
        return new ServingPosterior(config, record.getModelVersion(), meansTransposed, cholLambda, noiseVariance,
                offsets, regression ? 1.0 : record.getLogitScale(), inputs, targets);
    }

    /**
     * The Avro record of a mixture's serving form (docs/method.md §11): the first expert's posterior in the record's
     * own fields, the other experts in its {@code mixture} part with the weights, the share and the mixture's own
     * configuration.
     */
    public static ModelPosterior toRecord(final String modelId, final List<String> classNames,
                                          final MixturePosterior mixture) {
        final ModelPosterior first = toRecord(modelId, classNames, mixture.expert(0));
        final List<ModelPosterior> members = new ArrayList<>();
        for (int k = 1; k < mixture.experts().size(); k++) {
            members.add(toRecord(modelId, classNames, mixture.expert(k)));
        }
        first.setModelVersion(mixture.version());
        first.setMixture(MixturePosteriorPart.newBuilder()
                .setExperts(mixture.experts().stream().map(Object::toString).toList())
                .setShare(mixture.share())
                .setWeights(java.util.Arrays.stream(mixture.weights()).boxed().toList())
                .setExpertVersions(java.util.stream.IntStream.range(0, mixture.experts().size())
                        .mapToObj(i -> mixture.expert(i).version()).toList())
                .setMixtureConfig(ModelStateCodec.configRecord(mixture.config()))
                .setMembers(members)
                .build());
        return first;
    }

    /** The record of a model's serving form: a {@link ServingPosterior}'s or a {@link MixturePosterior}'s. */
    public static ModelPosterior toRecord(final String modelId, final List<String> classNames,
                                          final ServingModel model) {
        return model instanceof MixturePosterior m ? toRecord(modelId, classNames, m)
                : toRecord(modelId, classNames, (ServingPosterior) model);
    }

    /**
     * The serving form a record holds: a {@link MixturePosterior} when its {@code mixture} part is set, else a
     * {@link ServingPosterior}; validated as {@link #fromRecord} validates every expert.
     *
     * @throws IllegalArgumentException if the record is inconsistent
     */
    public static ServingModel servingModel(final ModelPosterior record) {
        final MixturePosteriorPart part = record.getMixture();
        if (part == null) {
            return fromRecord(record);
        }
        final int k = part.getExperts().size();
        if (k < 1 || part.getMembers().size() != k - 1 || part.getWeights().size() != k
                || part.getExpertVersions().size() != k) {
            throw new IllegalArgumentException("a mixture posterior of " + k + " experts has "
                    + (part.getMembers().size() + 1) + " posteriors and " + part.getWeights().size() + " weights");
        }
        final ServingPosterior[] posteriors = new ServingPosterior[k];
        final ModelPosterior first = ModelPosterior.newBuilder(record).setMixture(null)
                .setModelVersion(part.getExpertVersions().get(0)).build();
        posteriors[0] = fromRecord(first);
        for (int i = 1; i < k; i++) {
            final ModelPosterior member = part.getMembers().get(i - 1);
            if (member.getMixture() != null) {
                throw new IllegalArgumentException("a member of a mixture posterior is itself a mixture");
            }
            if (member.getModelVersion() != part.getExpertVersions().get(i)) {
                throw new IllegalArgumentException("a mixture posterior's expert " + i + " is at version "
                        + member.getModelVersion() + ", its part says " + part.getExpertVersions().get(i));
            }
            posteriors[i] = fromRecord(member);
        }
        final long versions = part.getExpertVersions().stream().mapToLong(Long::longValue).sum();
        if (versions != record.getModelVersion()) {
            throw new IllegalArgumentException("a mixture posterior at version " + record.getModelVersion()
                    + " has experts at versions summing to " + versions);
        }
        final List<BaliMixture.Expert> experts = part.getExperts().stream()
                .map(e -> BaliMixture.Expert.parse(e.toString())).toList();
        final double[] weights = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            weights[i] = part.getWeights().get(i);
            if (!(weights[i] >= 0) || Double.isInfinite(weights[i])) {
                throw new IllegalArgumentException("a mixture posterior's weight is " + weights[i]);
            }
            sum += weights[i];
        }
        if (Math.abs(sum - 1) > 1e-9) {
            throw new IllegalArgumentException("a mixture posterior's weights sum to " + sum + ", not 1");
        }
        return new MixturePosterior(ModelStateCodec.config(part.getMixtureConfig()), experts, part.getShare(),
                posteriors, weights, record.getModelVersion());
    }

    /** The record in single-object encoding (marker, schema fingerprint, body). */
    public static byte[] encode(final String modelId, final List<String> classNames, final ServingPosterior posterior) {
        try {
            final ByteBuffer buffer = ModelPosterior.getEncoder().encode(toRecord(modelId, classNames, posterior));
            final byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        } catch (final IOException e) {
            throw new UncheckedIOException("encoding the model posterior failed", e);
        }
    }

    /**
     * The record from {@link #encode}'s bytes (not yet validated: {@link #fromRecord} does that).
     *
     * @throws IllegalArgumentException if the bytes are not a model posterior
     */
    public static ModelPosterior decodeRecord(final byte[] bytes) {
        try {
            return ModelPosterior.getDecoder().decode(bytes);
        } catch (final IOException | AvroRuntimeException e) {
            throw new IllegalArgumentException("not a BALI model posterior: " + e.getMessage(), e);
        }
    }

    /** {@code fromRecord(decodeRecord(bytes))}. */
    public static ServingPosterior decode(final byte[] bytes) {
        return fromRecord(decodeRecord(bytes));
    }

    private static void checkClassNames(final List<String> names, final BaliConfig config) {
        if (names == null) {
            throw new IllegalArgumentException("class names must not be null (use an empty list)");
        }
        if (!names.isEmpty() && names.size() != config.numClasses()) {
            throw new IllegalArgumentException(names.size() + " class names for a model with " + config.numClasses()
                    + " classes");
        }
    }

    /** The lower triangle of an n × n matrix row by row, as 1 × n(n+1)/2. */
    static DMatrixRMaj packLower(final DMatrixRMaj lower) {
        final int n = lower.numRows;
        final DMatrixRMaj packed = new DMatrixRMaj(1, n * (n + 1) / 2);
        int k = 0;
        for (int i = 0; i < n; i++) {
            System.arraycopy(lower.data, i * n, packed.data, k, i + 1);
            k += i + 1;
        }
        return packed;
    }

    /** The n × n lower-triangular matrix (strict upper triangle zero) of a packed lower triangle. */
    static DMatrixRMaj unpackLower(final DMatrixRMaj packed, final int n) {
        final DMatrixRMaj lower = new DMatrixRMaj(n, n);
        int k = 0;
        for (int i = 0; i < n; i++) {
            System.arraycopy(packed.data, k, lower.data, i * n, i + 1);
            k += i + 1;
            if (!(lower.data[i * n + i] > 0)) {
                throw new IllegalArgumentException("last layer Cholesky factor of Lambda has diagonal entry " + i
                        + " = " + lower.data[i * n + i] + ", expected > 0");
            }
        }
        return lower;
    }

    private static StandardizerMoments moments(final Standardizer s) {
        if (s == null) {
            return null;
        }
        return StandardizerMoments.newBuilder()
                .setMean(ModelStateCodec.matrix(new DMatrixRMaj(1, s.dimension(), true, s.mean())))
                .setVariance(ModelStateCodec.matrix(new DMatrixRMaj(1, s.dimension(), true, s.variance())))
                .build();
    }

    private static Standardizer standardizer(final StandardizerMoments m, final boolean used, final int dimension,
                                             final String what) {
        if (!used) {
            if (m != null) {
                throw new IllegalArgumentException("the configuration does not use a " + what
                        + " standardiser, but the posterior holds one");
            }
            return null;
        }
        if (m == null) {
            throw new IllegalArgumentException("the configuration standardises " + what + "s, but the posterior holds no "
                    + what + " standardiser");
        }
        final double[] mean = ModelStateCodec.matrix(m.getMean(), 1, dimension, what + " standardiser mean").data;
        final double[] variance = ModelStateCodec.matrix(m.getVariance(), 1, dimension, what + " standardiser variance").data;
        for (int j = 0; j < dimension; j++) {
            if (variance[j] < 0) {
                throw new IllegalArgumentException(what + " standardiser variance " + j + " is negative: " + variance[j]);
            }
        }
        return Standardizer.ofMoments(mean, variance);
    }
}
