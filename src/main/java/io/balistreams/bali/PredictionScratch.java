package io.balistreams.bali;

/**
 * Work arrays of one closed-form prediction (docs/method.md §5): two ping-pong buffers for the hidden
 * features, one for the leverage solve and the softmax of a logit draw, and one for the output
 * pre-activation. The first three have the widest layer's width plus one (the augmented input ā), the
 * last the output width d_L.
 *
 * <p>A scratch is written by every prediction that uses it, so it belongs to one thread at a time:
 * a thread that scores with a shared {@link ServingPosterior} keeps its own scratch
 * ({@link ServingPosterior#newScratch()}) or lets {@link ServingPosterior#predict(double[])} allocate
 * one per call. The prediction returned never refers to the scratch.
 */
public final class PredictionScratch {
    final double[] featuresA;
    final double[] featuresB;
    final double[] work;
    final double[] outputs;

    /**
     * @param maxWidth    max over layers of (width + 1)
     * @param outputWidth d_L (1 for regression, K for classification)
     */
    PredictionScratch(final int maxWidth, final int outputWidth) {
        this.featuresA = new double[maxWidth];
        this.featuresB = new double[maxWidth];
        this.work = new double[maxWidth];
        this.outputs = new double[outputWidth];
    }

    /** max over layers of (width + 1): the length of the augmented input ā of the widest layer. */
    static int maxWidth(final BaliConfig config) {
        int widest = 0;
        for (final int s : config.layerSizes()) {
            widest = Math.max(widest, s + 1);
        }
        return widest;
    }

    /** Whether this scratch is large enough for a network of this maximal width and output width. */
    boolean fits(final int maxWidth, final int outputWidth) {
        return featuresA.length >= maxWidth && outputs.length >= outputWidth;
    }
}
