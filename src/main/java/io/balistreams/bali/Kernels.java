package io.balistreams.bali;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.decomposition.chol.CholeskyDecompositionInner_DDRM;
import org.ejml.dense.row.decomposition.chol.CholeskyDecomposition_DDRB_to_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;

/**
 * Flat-array kernels for the per-record hot path and the factorisations of docs/method.md §3–§6. Matrices are
 * EJML {@link DMatrixRMaj} (row-major); a lower-triangular factor L is stored in the lower triangle of
 * an n × n matrix (the strict upper triangle is zero).
 */
final class Kernels {
    /** Relative jitter added on the first retry of a failed Cholesky; multiplied by 100 on each further try. */
    static final double FIRST_JITTER = 1e-10;
    static final int MAX_JITTER_TRIES = 5;

    private Kernels() {
    }

    /**
     * Cholesky factorisation A = L Lᵀ of n × n symmetric matrices with jitter escalation (docs/method.md §8).
     * Below {@link #BLOCK_MIN_SIZE} the row-major inner-product algorithm is used; above it EJML's
     * blocked algorithm, about 2–3× faster at n ≈ 800 on this machine (docs/platform-notes.md §6). The
     * blocked decomposition rearranges its input into block layout, so every factorisation works on a
     * private copy and the factor is read out with {@code getT}.
     */
    static final class Cholesky {
        static final int BLOCK_MIN_SIZE = 256;

        private final CholeskyDecomposition_F64<DMatrixRMaj> decomposition;
        private final DMatrixRMaj work;

        Cholesky(final int n) {
            decomposition = n >= BLOCK_MIN_SIZE ? new CholeskyDecomposition_DDRB_to_DDRM(true)
                    : new CholeskyDecompositionInner_DDRM(true);
            work = new DMatrixRMaj(n, n);
        }

        /**
         * Writes the lower factor of {@code matrix} (not modified) into {@code lower} (strict upper
         * triangle zero). If the factorisation fails, retries with a diagonal jitter ε·mean(diag),
         * ε = 1e-10, 1e-8, …
         *
         * @return the jitter added (0 if none), or NaN when every attempt failed ({@code lower} is then garbage)
         */
        double factor(final DMatrixRMaj matrix, final DMatrixRMaj lower) {
            final int n = matrix.numRows;
            double meanDiag = 0;
            for (int i = 0; i < n; i++) {
                meanDiag += matrix.data[i * n + i];
            }
            meanDiag /= n;
            if (!(meanDiag > 0) || !Double.isFinite(meanDiag)) {
                return Double.NaN;
            }
            double jitter = 0;
            for (int attempt = 0; attempt <= MAX_JITTER_TRIES; attempt++) {
                work.setTo(matrix);
                if (attempt > 0) {
                    jitter = meanDiag * FIRST_JITTER * Math.pow(100, attempt - 1);
                    for (int i = 0; i < n; i++) {
                        work.data[i * n + i] += jitter;
                    }
                }
                if (decomposition.decompose(work)) {
                    decomposition.getT(lower);
                    zeroStrictUpper(lower);
                    if (finiteAndPositiveDiagonal(lower)) {
                        return jitter;
                    }
                }
            }
            return Double.NaN;
        }
    }

    private static void zeroStrictUpper(final DMatrixRMaj m) {
        final int n = m.numRows;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                m.data[i * n + j] = 0;
            }
        }
    }

    private static boolean finiteAndPositiveDiagonal(final DMatrixRMaj lower) {
        final int n = lower.numRows;
        for (int i = 0; i < n; i++) {
            if (!(lower.data[i * n + i] > 0) || !Double.isFinite(lower.data[i * n + i])) {
                return false;
            }
        }
        return allFinite(lower);
    }

    /**
     * out = XᵀX (n × n) for X with b rows of length n, as a sum of rank-one updates of the upper
     * triangle (each an axpy over a contiguous row of out, which the JIT vectorises), then mirrored;
     * the result is exactly symmetric.
     */
    static void gram(final DMatrixRMaj x, final DMatrixRMaj out) {
        final int b = x.numRows;
        final int n = x.numCols;
        out.reshape(n, n);
        final double[] o = out.data;
        final double[] d = x.data;
        java.util.Arrays.fill(o, 0, n * n, 0.0);
        for (int r = 0; r < b; r++) {
            final int row = r * n;
            for (int i = 0; i < n; i++) {
                final double xi = d[row + i];
                if (xi == 0.0) {
                    continue;
                }
                final int outRow = i * n;
                for (int j = i; j < n; j++) {
                    o[outRow + j] += xi * d[row + j];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                o[j * n + i] = o[i * n + j];
            }
        }
    }

    /** m ← (m + mᵀ)/2. */
    static void symmetrize(final DMatrixRMaj m) {
        final int n = m.numRows;
        final double[] d = m.data;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                final double v = 0.5 * (d[i * n + j] + d[j * n + i]);
                d[i * n + j] = v;
                d[j * n + i] = v;
            }
        }
    }

    static boolean allFinite(final DMatrixRMaj m) {
        final double[] d = m.data;
        final int len = m.getNumElements();
        for (int i = 0; i < len; i++) {
            if (!Double.isFinite(d[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * Σ_{k<n} a[aOff+k]·b[bOff+k] with four independent accumulators, so the JIT can keep several
     * multiply-adds in flight (a single-accumulator floating-point reduction cannot be reordered).
     * The summation order is fixed, so results are reproducible.
     */
    static double dot(final double[] a, final int aOff, final double[] b, final int bOff, final int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int k = 0;
        for (; k + 3 < n; k += 4) {
            s0 += a[aOff + k] * b[bOff + k];
            s1 += a[aOff + k + 1] * b[bOff + k + 1];
            s2 += a[aOff + k + 2] * b[bOff + k + 2];
            s3 += a[aOff + k + 3] * b[bOff + k + 3];
        }
        for (; k < n; k++) {
            s0 += a[aOff + k] * b[bOff + k];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * Solves L y = b in place (forward substitution; {@code x} holds b on entry and y on exit), using
     * only the first n entries. L is n × n lower triangular, row-major.
     */
    static void solveLower(final DMatrixRMaj lower, final double[] x, final int xOffset) {
        final int n = lower.numRows;
        final double[] l = lower.data;
        for (int i = 0; i < n; i++) {
            final int row = i * n;
            x[xOffset + i] = (x[xOffset + i] - dot(l, row, x, xOffset, i)) / l[row + i];
        }
    }

    /**
     * Solves Lᵀ x = y in place (back substitution with the transpose of a lower factor; {@code x} holds
     * y on entry and x on exit). Column-oriented so that it walks rows of L contiguously.
     */
    static void solveLowerTransposed(final DMatrixRMaj lower, final double[] x, final int xOffset) {
        final int n = lower.numRows;
        final double[] l = lower.data;
        for (int i = n - 1; i >= 0; i--) {
            final int row = i * n;
            final double xi = x[xOffset + i] / l[row + i];
            x[xOffset + i] = xi;
            for (int k = 0; k < i; k++) {
                x[xOffset + k] -= l[row + k] * xi;
            }
        }
    }

    /**
     * Solves L Lᵀ xᵣ = bᵣ for every row r of {@code rows} (m × n, row-major) in place: the same result as
     * {@link #solveLower} then {@link #solveLowerTransposed} on each row, computed for all rows at once.
     * The rows are transposed into {@code work} (resized to n × m) so that each substitution step updates
     * eight right-hand sides held in registers while it walks L, instead of one row at a time through
     * memory. Summation runs over k in increasing order for each right-hand side, so results are
     * reproducible (they may differ from the one-row solves in the last bits).
     *
     * @param lower n × n lower-triangular Cholesky factor L (row-major; the upper part is not read)
     * @param rows  m × n right-hand sides bᵣ on entry, solutions xᵣ on exit
     * @param work  scratch, reshaped to n × m
     */
    static void solveCholeskyRows(final DMatrixRMaj lower, final DMatrixRMaj rows, final DMatrixRMaj work) {
        final int n = lower.numRows;
        final int m = rows.numRows;
        if (rows.numCols != n) {
            throw new IllegalArgumentException("rows have " + rows.numCols + " columns, L is " + n + " x " + n);
        }
        work.reshape(n, m);
        final double[] l = lower.data;
        final double[] w = work.data;
        final double[] r = rows.data;
        for (int j = 0; j < m; j++) {
            for (int i = 0; i < n; i++) {
                w[i * m + j] = r[j * n + i];
            }
        }
        // forward: W[i,:] = (B[i,:] − Σ_{k<i} L[i,k] W[k,:]) / L[i,i]
        for (int i = 0; i < n; i++) {
            final int li = i * n;
            final double inv = 1.0 / l[li + i];
            final int wi = i * m;
            int j = 0;
            for (; j + 7 < m; j += 8) {
                double s0 = w[wi + j], s1 = w[wi + j + 1], s2 = w[wi + j + 2], s3 = w[wi + j + 3];
                double s4 = w[wi + j + 4], s5 = w[wi + j + 5], s6 = w[wi + j + 6], s7 = w[wi + j + 7];
                for (int k = 0; k < i; k++) {
                    final double c = l[li + k];
                    final int wk = k * m + j;
                    s0 -= c * w[wk];
                    s1 -= c * w[wk + 1];
                    s2 -= c * w[wk + 2];
                    s3 -= c * w[wk + 3];
                    s4 -= c * w[wk + 4];
                    s5 -= c * w[wk + 5];
                    s6 -= c * w[wk + 6];
                    s7 -= c * w[wk + 7];
                }
                w[wi + j] = s0 * inv;
                w[wi + j + 1] = s1 * inv;
                w[wi + j + 2] = s2 * inv;
                w[wi + j + 3] = s3 * inv;
                w[wi + j + 4] = s4 * inv;
                w[wi + j + 5] = s5 * inv;
                w[wi + j + 6] = s6 * inv;
                w[wi + j + 7] = s7 * inv;
            }
            for (; j < m; j++) {
                double s = w[wi + j];
                for (int k = 0; k < i; k++) {
                    s -= l[li + k] * w[k * m + j];
                }
                w[wi + j] = s * inv;
            }
        }
        // backward with Lᵀ: X[i,:] = (W[i,:] − Σ_{k>i} L[k,i] X[k,:]) / L[i,i]
        for (int i = n - 1; i >= 0; i--) {
            final double inv = 1.0 / l[i * n + i];
            final int wi = i * m;
            int j = 0;
            for (; j + 7 < m; j += 8) {
                double s0 = w[wi + j], s1 = w[wi + j + 1], s2 = w[wi + j + 2], s3 = w[wi + j + 3];
                double s4 = w[wi + j + 4], s5 = w[wi + j + 5], s6 = w[wi + j + 6], s7 = w[wi + j + 7];
                for (int k = i + 1; k < n; k++) {
                    final double c = l[k * n + i];
                    final int wk = k * m + j;
                    s0 -= c * w[wk];
                    s1 -= c * w[wk + 1];
                    s2 -= c * w[wk + 2];
                    s3 -= c * w[wk + 3];
                    s4 -= c * w[wk + 4];
                    s5 -= c * w[wk + 5];
                    s6 -= c * w[wk + 6];
                    s7 -= c * w[wk + 7];
                }
                w[wi + j] = s0 * inv;
                w[wi + j + 1] = s1 * inv;
                w[wi + j + 2] = s2 * inv;
                w[wi + j + 3] = s3 * inv;
                w[wi + j + 4] = s4 * inv;
                w[wi + j + 5] = s5 * inv;
                w[wi + j + 6] = s6 * inv;
                w[wi + j + 7] = s7 * inv;
            }
            for (; j < m; j++) {
                double s = w[wi + j];
                for (int k = i + 1; k < n; k++) {
                    s -= l[k * n + i] * w[k * m + j];
                }
                w[wi + j] = s * inv;
            }
        }
        for (int j = 0; j < m; j++) {
            for (int i = 0; i < n; i++) {
                r[j * n + i] = w[i * m + j];
            }
        }
    }

    /** Σ_i x_i², i &lt; n, after solving L y = x in place: the quadratic form xᵀ (L Lᵀ)⁻¹ x. */
    static double inverseQuadraticForm(final DMatrixRMaj lower, final double[] work) {
        solveLower(lower, work, 0);
        double s = 0;
        final int n = lower.numRows;
        for (int i = 0; i < n; i++) {
            s += work[i] * work[i];
        }
        return s;
    }

    /**
     * Affine layer on one record: out[i] = Σ_j W[i,j] in[j] + W[i,p−1] for the augmented input
     * ā = [in; 1], W q × p with p = in.length + 1.
     */
    static void affine(final DMatrixRMaj w, final double[] in, final double[] out) {
        final int q = w.numRows;
        final int p = w.numCols;
        final int d = p - 1;
        final double[] wd = w.data;
        for (int i = 0; i < q; i++) {
            final int row = i * p;
            out[i] = wd[row + d] + dot(wd, row, in, 0, d);
        }
    }

    /**
     * The same affine map from the transposed weights Wᵀ (p × q, bias in the last row):
     * out[i] = Wᵀ[p−1,i] + Σ_j in[j] Wᵀ[j,i], summed in that order. Eight outputs are accumulated at a
     * time in registers (eight independent chains), which keeps the multiply-adds in flight without
     * storing partial sums; used on the per-record hot path with the posterior means.
     */
    static void affineTransposed(final DMatrixRMaj wt, final double[] in, final double[] out) {
        final int p = wt.numRows;
        final int q = wt.numCols;
        final int d = p - 1;
        final double[] w = wt.data;
        final int bias = d * q;
        int i = 0;
        for (; i + 7 < q; i += 8) {
            double s0 = w[bias + i];
            double s1 = w[bias + i + 1];
            double s2 = w[bias + i + 2];
            double s3 = w[bias + i + 3];
            double s4 = w[bias + i + 4];
            double s5 = w[bias + i + 5];
            double s6 = w[bias + i + 6];
            double s7 = w[bias + i + 7];
            for (int j = 0; j < d; j++) {
                final double a = in[j];
                final int r = j * q + i;
                s0 += a * w[r];
                s1 += a * w[r + 1];
                s2 += a * w[r + 2];
                s3 += a * w[r + 3];
                s4 += a * w[r + 4];
                s5 += a * w[r + 5];
                s6 += a * w[r + 6];
                s7 += a * w[r + 7];
            }
            out[i] = s0;
            out[i + 1] = s1;
            out[i + 2] = s2;
            out[i + 3] = s3;
            out[i + 4] = s4;
            out[i + 5] = s5;
            out[i + 6] = s6;
            out[i + 7] = s7;
        }
        for (; i < q; i++) {
            double s = w[bias + i];
            for (int j = 0; j < d; j++) {
                s += in[j] * w[j * q + i];
            }
            out[i] = s;
        }
    }

    /** In-place numerically stable softmax of {@code z[0..k)}; returns log Σ exp z. */
    static double softmaxInPlace(final double[] z, final int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            max = Math.max(max, z[i]);
        }
        double sum = 0;
        for (int i = 0; i < k; i++) {
            z[i] = Math.exp(z[i] - max);
            sum += z[i];
        }
        for (int i = 0; i < k; i++) {
            z[i] /= sum;
        }
        return max + Math.log(sum);
    }

    /** Shannon entropy −Σ p log p (nats) of {@code p[0..k)}, with 0 log 0 = 0. */
    static double entropy(final double[] p, final int k) {
        double h = 0;
        for (int i = 0; i < k; i++) {
            if (p[i] > 0) {
                h -= p[i] * Math.log(p[i]);
            }
        }
        return h;
    }
}
