package io.balistreams.bali;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/** Small dense-matrix helpers for brute-force reference computations in tests. */
final class TestMatrices {
    private TestMatrices() {
    }

    static DMatrixRMaj random(final Rng rng, final int rows, final int cols) {
        final DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < m.data.length; i++) {
            m.data[i] = rng.nextGaussian();
        }
        return m;
    }

    /** Rows of standard normals with a last column of ones: augmented inputs ā. */
    static DMatrixRMaj augmentedInputs(final Rng rng, final int rows, final int inputs) {
        final DMatrixRMaj m = new DMatrixRMaj(rows, inputs + 1);
        for (int n = 0; n < rows; n++) {
            for (int j = 0; j < inputs; j++) {
                m.set(n, j, rng.nextGaussian());
            }
            m.set(n, inputs, 1.0);
        }
        return m;
    }

    static DMatrixRMaj inverse(final DMatrixRMaj m) {
        final DMatrixRMaj inv = m.copy();
        if (!CommonOps_DDRM.invert(inv)) {
            throw new AssertionError("singular matrix");
        }
        return inv;
    }

    /** Kronecker product a ⊗ b. */
    static DMatrixRMaj kron(final DMatrixRMaj a, final DMatrixRMaj b) {
        final DMatrixRMaj out = new DMatrixRMaj(a.numRows * b.numRows, a.numCols * b.numCols);
        CommonOps_DDRM.kron(a, b, out);
        return out;
    }

    /** Largest absolute entry of a − b. */
    static double maxAbsDiff(final DMatrixRMaj a, final DMatrixRMaj b) {
        if (a.numRows != b.numRows || a.numCols != b.numCols) {
            throw new AssertionError("shapes differ: " + a.numRows + "x" + a.numCols + " vs " + b.numRows + "x" + b.numCols);
        }
        double d = 0;
        for (int i = 0; i < a.getNumElements(); i++) {
            d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
        }
        return d;
    }

    static double maxAbs(final DMatrixRMaj a) {
        double d = 0;
        for (int i = 0; i < a.getNumElements(); i++) {
            d = Math.max(d, Math.abs(a.data[i]));
        }
        return d;
    }
}
