package io.balistreams.bali;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class KernelsTest {
    /** L Lᵀ X = B row by row, against EJML's SPD solve, for widths with and without a remainder of 8. */
    @Test
    void solveCholeskyRowsSolvesEveryRowAgainstADenseSolve() {
        final Rng rng = Rng.forStream(5, 0);
        for (final int[] shape : new int[][]{{65, 64}, {64, 32}, {9, 13}, {1, 3}, {30, 7}}) {
            final int n = shape[0];
            final int m = shape[1];
            final DMatrixRMaj a = new DMatrixRMaj(n, n);
            for (int i = 0; i < a.data.length; i++) {
                a.data[i] = rng.nextGaussian();
            }
            final DMatrixRMaj spd = new DMatrixRMaj(n, n);
            CommonOps_DDRM.multTransB(a, a, spd);
            for (int i = 0; i < n; i++) {
                spd.add(i, i, n);
            }
            final Kernels.Cholesky chol = new Kernels.Cholesky(n);
            final DMatrixRMaj lower = new DMatrixRMaj(n, n);
            assertThat(chol.factor(spd, lower)).isZero();
            final DMatrixRMaj rows = new DMatrixRMaj(m, n);
            for (int i = 0; i < rows.data.length; i++) {
                rows.data[i] = rng.nextGaussian();
            }
            final DMatrixRMaj expected = new DMatrixRMaj(n, m);
            CommonOps_DDRM.solve(spd, CommonOps_DDRM.transpose(rows, null), expected);
            final DMatrixRMaj oneByOne = rows.copy();
            for (int r = 0; r < m; r++) {
                Kernels.solveLower(lower, oneByOne.data, r * n);
                Kernels.solveLowerTransposed(lower, oneByOne.data, r * n);
            }
            Kernels.solveCholeskyRows(lower, rows, new DMatrixRMaj(1, 1));
            for (int r = 0; r < m; r++) {
                for (int i = 0; i < n; i++) {
                    assertThat(rows.get(r, i)).as("row %d, entry %d of %dx%d", r, i, m, n)
                            .isCloseTo(expected.get(i, r), within(1e-10))
                            .isCloseTo(oneByOne.get(r, i), within(1e-12));
                }
            }
        }
    }
}
