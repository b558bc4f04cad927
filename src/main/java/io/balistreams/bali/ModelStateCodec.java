package io.balistreams.bali;

import io.balistreams.avro.ActivationKind;
import io.balistreams.avro.BaliConfigState;
import io.balistreams.avro.BaliModelState;
import io.balistreams.avro.DenseMatrix;
import io.balistreams.avro.LayerState;
import io.balistreams.avro.StandardizerState;
import io.balistreams.avro.TaskKind;
import io.balistreams.avro.TrustedAvroTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.ejml.data.DMatrixRMaj;

/**
 * Exports a {@link BaliModel} to, and imports it from, one compact, versioned binary form: the Avro
 * record {@code schemas/BaliModelState.avsc} in Avro single-object encoding (2 marker bytes, the
 * schema's 8-byte CRC-64 fingerprint, then the body). Matrices are raw little-endian doubles, so the
 * round trip is bit-exact; per layer the state is S_A, S_C, S_G and M, i.e. p² + 2qp + q² doubles (§6).
 *
 * <p>The derived factors (Cholesky of Λ and Σ⁻¹) are recomputed on import by the same code an update
 * uses, so a restored model continues exactly as the original would.
 */
public final class ModelStateCodec {
    /** Version of the layout written by {@link #encode(BaliModel)}. */
    public static final int FORMAT_VERSION = 1;

    static {
        TrustedAvroTypes.trust(BaliModelState.getClassSchema());
    }

    private ModelStateCodec() {
    }

    /** Allowance per encoded matrix for its row, column and length fields. */
    private static final long MATRIX_OVERHEAD = 16;
    /** Allowance for the configuration, scalars, standardiser headers and record framing of one model. */
    private static final long MODEL_OVERHEAD = 1024;

    /**
     * An upper bound, within about a kilobyte, of the encoded size of the state of a model of this configuration
     * ({@link #toRecord}, as a learner stores it), without making the model: per layer mapping p = d + 1 augmented
     * inputs to q outputs, the sums S_A (p × p), S_C (q × p), S_G (q × q) and the mean (q × p), 8 bytes each, and
     * the standardisers' means and variances. The size does not change as the model learns.
     */
    public static long stateBytes(final BaliConfig config) {
        final int[] widths = config.layerSizes();
        long values = 0;
        long matrices = 0;
        for (int l = 0; l + 1 < widths.length; l++) {
            final long p = widths[l] + 1L;
            final long q = widths[l + 1];
            values += p * p + 2 * q * p + q * q;
            matrices += 4;
        }
        values += 2L * widths[0] + 2;
        matrices += 4;
        return 8 * values + MATRIX_OVERHEAD * matrices + MODEL_OVERHEAD;
    }

    /** The model's complete state as bytes. */
    public static byte[] encode(final BaliModel model) {
        try {
            final ByteBuffer buffer = BaliModelState.getEncoder().encode(toRecord(model));
            final byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        } catch (final IOException e) {
            throw new UncheckedIOException("encoding the model state failed", e);
        }
    }

    /**
     * A model restored from {@link #encode(BaliModel)}'s bytes.
     *
     * @throws IllegalArgumentException if the bytes are not a model state this version can read, or the
     *                                  state inside is inconsistent
     */
    public static BaliModel decode(final byte[] bytes) {
        final BaliModelState state;
        try {
            state = BaliModelState.getDecoder().decode(bytes);
        } catch (final IOException | AvroRuntimeException e) {
            throw new IllegalArgumentException("not a BALI model state: " + e.getMessage(), e);
        }
        return fromRecord(state);
    }

    /** The Avro record of the model's state. */
    public static BaliModelState toRecord(final BaliModel model) {
        final List<LayerState> layers = new ArrayList<>();
        for (int l = 0; l < model.numLayers(); l++) {
            final BayesianLayer layer = model.layer(l);
            final BayesianLayer.Parameters p = layer.current();
            final Double lambda = layer.priorPrecision() == model.config().priorPrecision() ? null : layer.priorPrecision();
            layers.add(LayerState.newBuilder().setSumA(matrix(p.sumA)).setSumC(matrix(p.sumC))
                    .setSumG(matrix(p.sumG)).setMean(matrix(p.mean)).setPriorPrecision(lambda).build());
        }
        return BaliModelState.newBuilder()
                .setFormatVersion(FORMAT_VERSION)
                .setConfig(configRecord(model.config()))
                .setStep(model.step())
                .setBiasWeight(model.biasWeight())
                .setBiasWeightG(model.biasWeightG())
                .setNoiseSum(model.noiseSum())
                .setLogitScale(model.logitScale())
                .setLayers(layers)
                .setInputStandardizer(standardizer(model.inputStandardizer()))
                .setTargetStandardizer(standardizer(model.targetStandardizer()))
                .build();
    }

    /** A model from its Avro record; validates shapes and the configuration. */
    public static BaliModel fromRecord(final BaliModelState state) {
        if (state.getFormatVersion() != FORMAT_VERSION) {
            throw new IllegalArgumentException("model state format version " + state.getFormatVersion()
                    + " is not supported (this build reads version " + FORMAT_VERSION + ")");
        }
        final BaliConfig config = config(state.getConfig());
        final BaliModel model = BaliModel.uninitialised(config);
        if (state.getLayers().size() != model.numLayers()) {
            throw new IllegalArgumentException("model state has " + state.getLayers().size() + " layers, its configuration "
                    + model.numLayers());
        }
        if (state.getStep() < 0 || !(state.getBiasWeight() >= 0) || !(state.getBiasWeightG() >= 0)
                || !Double.isFinite(state.getNoiseSum())
                || !(state.getLogitScale() > 0) || Double.isInfinite(state.getLogitScale())) {
            throw new IllegalArgumentException("model state has invalid counters: step " + state.getStep()
                    + ", c " + state.getBiasWeight() + ", c_G " + state.getBiasWeightG() + ", noise " + state.getNoiseSum()
                    + ", logit scale " + state.getLogitScale());
        }
        model.restoreScalars(state.getStep(), state.getBiasWeight(), state.getBiasWeightG(), state.getNoiseSum(),
                state.getLogitScale());
        restoreStandardizer(state.getInputStandardizer(), model.inputStandardizer(), "input");
        restoreStandardizer(state.getTargetStandardizer(), model.targetStandardizer(), "target");
        final double noiseVariance = config.task() == Task.REGRESSION ? model.noiseVarianceStandardised() : Double.NaN;
        for (int l = 0; l < model.numLayers(); l++) {
            final BayesianLayer layer = model.layer(l);
            final LayerState ls = state.getLayers().get(l);
            final int gSize = layer.sigmaKind == BayesianLayer.SigmaKind.GAUSSIAN_NOISE ? 0 : layer.q;
            final DMatrixRMaj sumA = matrix(ls.getSumA(), layer.p, layer.p, "layer " + (l + 1) + " S_A");
            final DMatrixRMaj sumC = matrix(ls.getSumC(), layer.q, layer.p, "layer " + (l + 1) + " S_C");
            final DMatrixRMaj sumG = matrix(ls.getSumG(), gSize, gSize, "layer " + (l + 1) + " S_G");
            final DMatrixRMaj mean = matrix(ls.getMean(), layer.q, layer.p, "layer " + (l + 1) + " M");
            if (ls.getPriorPrecision() != null) {
                if (!(ls.getPriorPrecision() > 0) || Double.isInfinite(ls.getPriorPrecision())) {
                    throw new IllegalArgumentException("layer " + (l + 1) + " prior precision must be finite and > 0, got "
                            + ls.getPriorPrecision());
                }
                layer.setPriorPrecision(ls.getPriorPrecision());
            }
            if (!layer.restore(sumA, sumC, sumG, mean, state.getBiasWeight(), state.getBiasWeightG(), noiseVariance)) {
                throw new IllegalArgumentException("layer " + (l + 1) + " of the model state is not positive definite");
            }
        }
        return model;
    }

    static BaliConfigState configRecord(final BaliConfig c) {
        final List<Integer> sizes = new ArrayList<>();
        for (final int s : c.layerSizes()) {
            sizes.add(s);
        }
        final List<ActivationKind> acts = new ArrayList<>();
        for (final Activation a : c.activations()) {
            acts.add(ActivationKind.valueOf(a.name()));
        }
        return BaliConfigState.newBuilder()
                .setTask(TaskKind.valueOf(c.task().name()))
                .setLayerSizes(sizes)
                .setActivations(acts)
                .setNumClasses(c.numClasses())
                .setBatchSize(c.batchSize())
                .setBeta(c.beta())
                .setBetaG(c.betaG())
                .setEta(c.eta())
                .setPriorPrecision(c.priorPrecision())
                .setOutputGamma(c.outputGamma())
                .setHiddenKappa(c.hiddenKappa())
                .setHiddenGammaMin(c.hiddenGammaMin())
                .setDataScale(c.dataScale())
                .setFixedNoiseVariance(c.fixedNoiseVariance())
                .setNoiseVarianceFloor(c.noiseVarianceFloor())
                .setMonteCarloSamples(c.monteCarloSamples())
                .setStandardizeInputs(c.standardizeInputs())
                .setStandardizeTargets(c.standardizeTargets())
                .setInitScale(c.initScale())
                .setSeed(c.seed())
                .build();
    }

    /** The configuration held in a state record (validated like any other). */
    public static BaliConfig config(final BaliConfigState s) {
        final int[] sizes = s.getLayerSizes().stream().mapToInt(Integer::intValue).toArray();
        final BaliConfig.Builder b = s.getTask() == TaskKind.REGRESSION ? BaliConfig.regression(sizes)
                : BaliConfig.classification(sizes);
        final Activation[] acts = s.getActivations().stream().map(a -> Activation.valueOf(a.name()))
                .toArray(Activation[]::new);
        b.activations(acts)
                .batchSize(s.getBatchSize())
                .beta(s.getBeta())
                .betaG(s.getBetaG())
                .eta(s.getEta())
                .priorPrecision(s.getPriorPrecision())
                .outputGamma(s.getOutputGamma())
                .hiddenKappa(s.getHiddenKappa())
                .hiddenGammaMin(s.getHiddenGammaMin())
                .fixedNoiseVariance(s.getFixedNoiseVariance())
                .noiseVarianceFloor(s.getNoiseVarianceFloor())
                .monteCarloSamples(s.getMonteCarloSamples())
                .standardizeInputs(s.getStandardizeInputs())
                .standardizeTargets(s.getStandardizeTargets())
                .initScale(s.getInitScale())
                .seed(s.getSeed());
        if (s.getDataScale() != null) {
            b.dataScale(s.getDataScale());
        } else {
            b.streaming();
        }
        final BaliConfig config = b.build();
        if (config.numClasses() != s.getNumClasses()) {
            throw new IllegalArgumentException("numClasses " + s.getNumClasses() + " does not match the output width "
                    + config.outputSize());
        }
        return config;
    }

    private static StandardizerState standardizer(final Standardizer s) {
        return StandardizerState.newBuilder().setWeight(s.weight()).setCount(s.count())
                .setMean(vector(s.mean())).setVariance(vector(s.variance())).build();
    }

    private static void restoreStandardizer(final StandardizerState st, final Standardizer target, final String what) {
        final int d = target.dimension();
        final DMatrixRMaj mean = matrix(st.getMean(), 1, d, what + " standardiser mean");
        final DMatrixRMaj var = matrix(st.getVariance(), 1, d, what + " standardiser variance");
        target.restore(st.getWeight(), st.getCount(), mean.data, var.data);
    }

    private static DenseMatrix vector(final double[] v) {
        return matrix(new DMatrixRMaj(1, v.length, true, v));
    }

    static DenseMatrix matrix(final DMatrixRMaj m) {
        final int n = m.getNumElements();
        final ByteBuffer bytes = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asDoubleBuffer().put(m.data, 0, n);
        return DenseMatrix.newBuilder().setRows(m.numRows).setCols(m.numCols).setValues(bytes).build();
    }

    static DMatrixRMaj matrix(final DenseMatrix dm, final int rows, final int cols, final String what) {
        if (dm.getRows() != rows || dm.getCols() != cols) {
            throw new IllegalArgumentException(what + " is " + dm.getRows() + "x" + dm.getCols() + ", expected "
                    + rows + "x" + cols);
        }
        final ByteBuffer bytes = dm.getValues().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.remaining() != 8L * rows * cols) {
            throw new IllegalArgumentException(what + " holds " + bytes.remaining() + " bytes, expected " + 8L * rows * cols);
        }
        final DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        bytes.asDoubleBuffer().get(m.data, 0, rows * cols);
        if (!Kernels.allFinite(m)) {
            throw new IllegalArgumentException(what + " contains a non-finite value");
        }
        return m;
    }
}
