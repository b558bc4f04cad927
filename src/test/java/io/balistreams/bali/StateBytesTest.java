package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.List;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/**
 * The state size the service checks against bali.state.max.bytes before it makes a model: an upper bound of the
 * encoded state, at most a kilobyte or two above it, for one model and for a mixture, before and after learning.
 */
class StateBytesTest {

    @Test
    void theEstimateBoundsTheEncodedStateOfOneModelTightly() {
        for (final BaliConfig config : List.of(
                BaliConfig.classification(3, 32, 32, 2).build(),
                BaliConfig.regression(8, 64, 64, 1).build(),
                BaliConfig.classification(784, 128, 10).batchSize(8).build(),
                BaliConfig.regression(5, 1).build())) {
            final BaliModel model = new BaliModel(config);
            final long estimate = ModelStateCodec.stateBytes(config);
            final long before = encoded(ModelStateCodec.toRecord(model));
            learnOnce(model);
            final long after = encoded(ModelStateCodec.toRecord(model));
            assertThat(after).as(config.describe()).isEqualTo(before);
            assertThat(estimate).as(config.describe()).isGreaterThanOrEqualTo(after).isLessThan(after + 2048);
        }
    }

    @Test
    void theEstimateBoundsTheEncodedStateOfAMixture() {
        final BaliConfig base = BaliConfig.classification(8, 16, 16, 2).build();
        final List<BaliMixture.Expert> experts = BaliMixture.Expert.parseAll(List.of("50x4", "500x8", "4000x32"));
        final BaliMixture mixture = new BaliMixture(base, experts, 0.01);
        final long estimate = MixtureStateCodec.stateBytes(base, experts);
        final double[][] x = new double[31][8];
        final int[] y = new int[31];
        for (int n = 0; n < x.length; n++) {
            x[n][n % 8] = 1;
            y[n] = n % 2;
        }
        mixture.learn(x, y, base.beta(), false); // 31 records: the 4000x32 expert's buffer holds all of them
        final long encoded = encoded(MixtureStateCodec.toRecord(mixture));
        assertThat(estimate).isGreaterThanOrEqualTo(encoded).isLessThan(encoded + 3 * 2048 + 1024);
    }

    private static void learnOnce(final BaliModel model) {
        final BaliConfig c = model.config();
        final int b = c.batchSize();
        final double[][] x = new double[b][c.inputSize()];
        for (int n = 0; n < b; n++) {
            x[n][n % c.inputSize()] = 1;
        }
        if (c.task() == Task.CLASSIFICATION) {
            final int[] y = new int[b];
            for (int n = 0; n < b; n++) {
                y[n] = n % c.numClasses();
            }
            assertThat(model.learn(x, y).accepted()).isTrue();
        } else {
            final double[] y = new double[b];
            for (int n = 0; n < b; n++) {
                y[n] = n;
            }
            assertThat(model.learn(x, y).accepted()).isTrue();
        }
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> long encoded(final T record) {
        try {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            @SuppressWarnings("unchecked")
            final SpecificDatumWriter<T> writer = new SpecificDatumWriter<>((Class<T>) record.getClass());
            writer.write(record, encoder);
            encoder.flush();
            return out.size();
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
