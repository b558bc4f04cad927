package io.balistreams.bali;

import io.balistreams.avro.BaliMixtureState;
import io.balistreams.avro.MixtureExpertState;
import io.balistreams.avro.TrustedAvroTypes;
import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;

/**
 * Exports a {@link BaliMixture} to, and imports it from, the Avro record {@code schemas/BaliMixtureState.avsc}:
 * the base configuration, the share, the weights, and per expert its memory, its model ({@link ModelStateCodec})
 * and the records waiting in its batch buffer. Doubles are stored as they are, so a restored mixture predicts,
 * weighs and learns bit-exactly as the original would.
 */
public final class MixtureStateCodec {
    /** Version of the layout this class writes and reads. */
    public static final int FORMAT_VERSION = 1;

    static {
        TrustedAvroTypes.trust(BaliMixtureState.getClassSchema());
    }

    private MixtureStateCodec() {
    }

    /**
     * An upper bound, within about a kilobyte per expert, of the encoded size of a mixture's state
     * ({@link #toRecord}): every expert's model ({@link ModelStateCodec#stateBytes}) with a full buffer of raw
     * features and targets, and the weights.
     */
    public static long stateBytes(final BaliConfig base, final List<BaliMixture.Expert> experts) {
        long bytes = 1024;
        for (final BaliMixture.Expert e : experts) {
            final BaliConfig expert = base.toBuilder().batchSize(e.batchSize()).effectiveMemory(e.memory()).build();
            bytes += ModelStateCodec.stateBytes(expert) + 8L * e.batchSize() * (base.inputSize() + 1) + 64;
        }
        return bytes;
    }

    /** The Avro record of the mixture's state. */
    public static BaliMixtureState toRecord(final BaliMixture mixture) {
        final int d = mixture.baseConfig().inputSize();
        final List<MixtureExpertState> experts = new ArrayList<>();
        for (int k = 0; k < mixture.experts().size(); k++) {
            final BaliMixture.Expert e = mixture.experts().get(k);
            final double[][] x = mixture.bufferedFeatures(k);
            final DMatrixRMaj rows = new DMatrixRMaj(x.length, d);
            for (int n = 0; n < x.length; n++) {
                System.arraycopy(x[n], 0, rows.data, n * d, d);
            }
            experts.add(MixtureExpertState.newBuilder().setMemory(e.memory()).setBatchSize(e.batchSize())
                    .setState(ModelStateCodec.toRecord(mixture.expert(k)))
                    .setBufferedFeatures(ModelStateCodec.matrix(rows))
                    .setBufferedTargets(list(mixture.bufferedTargets(k))).build());
        }
        return BaliMixtureState.newBuilder()
                .setFormatVersion(FORMAT_VERSION)
                .setBase(ModelStateCodec.configRecord(mixture.baseConfig()))
                .setShare(mixture.share())
                .setWeights(list(mixture.weights()))
                .setExperts(experts)
                .build();
    }

    /**
     * A mixture from its Avro record; validates every part (configurations, shapes, weights, buffers).
     *
     * @throws IllegalArgumentException if the record is not a state this version can continue from
     */
    public static BaliMixture fromRecord(final BaliMixtureState state) {
        if (state.getFormatVersion() != FORMAT_VERSION) {
            throw new IllegalArgumentException("mixture state format version " + state.getFormatVersion()
                    + " is not supported (this build reads version " + FORMAT_VERSION + ")");
        }
        final BaliConfig base = ModelStateCodec.config(state.getBase());
        final int k = state.getExperts().size();
        final List<BaliMixture.Expert> experts = new ArrayList<>(k);
        final BaliModel[] models = new BaliModel[k];
        final double[][][] features = new double[k][][];
        final double[][] targets = new double[k][];
        for (int i = 0; i < k; i++) {
            final MixtureExpertState e = state.getExperts().get(i);
            experts.add(new BaliMixture.Expert(e.getMemory(), e.getBatchSize()));
            models[i] = ModelStateCodec.fromRecord(e.getState());
            final int rows = e.getBufferedFeatures().getRows();
            final DMatrixRMaj x = ModelStateCodec.matrix(e.getBufferedFeatures(), rows, base.inputSize(),
                    "expert " + experts.get(i) + " buffer");
            features[i] = new double[rows][base.inputSize()];
            for (int n = 0; n < rows; n++) {
                System.arraycopy(x.data, n * base.inputSize(), features[i][n], 0, base.inputSize());
            }
            targets[i] = array(e.getBufferedTargets());
        }
        return BaliMixture.restore(base, experts, state.getShare(), models, array(state.getWeights()), features,
                targets);
    }

    private static List<Double> list(final double[] values) {
        final List<Double> l = new ArrayList<>(values.length);
        for (final double v : values) {
            l.add(v);
        }
        return l;
    }

    private static double[] array(final List<Double> values) {
        final double[] a = new double[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        return a;
    }
}
