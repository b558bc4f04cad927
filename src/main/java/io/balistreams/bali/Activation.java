package io.balistreams.bali;

/**
 * Element-wise activation φ of a hidden layer (BALI.md §1: a_l = φ_l(z_l)). The output layer is
 * always linear (its pre-activation is the regression mean or the logits).
 */
public enum Activation {
    /** φ(z) = z; for tests and linear models. */
    IDENTITY,
    /** φ(z) = tanh z. */
    TANH,
    /** φ(z) = max(0, z). */
    RELU;

    /** Applies φ in place to {@code values[offset..offset+length)}. */
    void applyRange(final double[] values, final int offset, final int length) {
        final int end = offset + length;
        switch (this) {
            case IDENTITY:
                break;
            case TANH:
                for (int i = offset; i < end; i++) {
                    values[i] = Math.tanh(values[i]);
                }
                break;
            case RELU:
                for (int i = offset; i < end; i++) {
                    values[i] = Math.max(0.0, values[i]);
                }
                break;
            default:
                throw new AssertionError(this);
        }
    }

    /**
     * φ'(z) expressed through the pre-activation z and the activation a = φ(z) (whichever is cheaper).
     */
    double derivative(final double preActivation, final double activation) {
        switch (this) {
            case IDENTITY:
                return 1.0;
            case TANH:
                return 1.0 - activation * activation;
            case RELU:
                return preActivation > 0.0 ? 1.0 : 0.0;
            default:
                throw new AssertionError(this);
        }
    }
}
