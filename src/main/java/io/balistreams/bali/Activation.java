package io.balistreams.bali;

/**
 * Element-wise activation φ of a hidden layer (docs/method.md §1: a_l = φ_l(z_l)). The output layer is
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
                    values[i] = tanh(values[i]);
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
     * tanh z = 1 − 2/(e^{2z} + 1), through the intrinsic {@link Math#exp} (several times faster than
     * {@link Math#tanh}, which is not intrinsic on JDK 17). Absolute error about 1e-16; saturates to ±1
     * exactly beyond |z| = 20, where 1 − tanh|z| < 1e-17.
     */
    static double tanh(final double z) {
        if (z > 20.0) {
            return 1.0;
        }
        if (z < -20.0) {
            return -1.0;
        }
        return 1.0 - 2.0 / (Math.exp(2.0 * z) + 1.0);
    }

    /**
     * g[off + j] ·= φ'(z_j) for j &lt; length, with z_j = {@code pre[off + j]} and a_j = {@code act[actOff + j]}: one
     * record of the backward pass (a method invoked per record, so that the JIT optimises it early in a process).
     */
    void multiplyByDerivative(final double[] g, final int off, final double[] pre, final double[] act, final int actOff,
                              final int length) {
        for (int j = 0; j < length; j++) {
            g[off + j] *= derivative(pre[off + j], act[actOff + j]);
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
