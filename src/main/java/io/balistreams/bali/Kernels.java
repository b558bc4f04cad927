package io.balistreams.bali;

import org.ejml.data.DMatrixRMaj;
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
     * Below {@link #BLOCK_MIN_SIZE} the row-oriented inner-product algorithm of {@link #choleskyLower} runs
     * straight from A into L (no copies); above it EJML's blocked algorithm, about 2–3× faster at n ≈ 800
     * on this machine (docs/platform-notes.md §6). The blocked decomposition rearranges its input into
     * block layout, so it works on a private copy and the factor is read out with {@code getT}.
     */
    static final class Cholesky {
        static final int BLOCK_MIN_SIZE = 256;

        /** EJML's blocked decomposition and its private copy of A, for n ≥ {@link #BLOCK_MIN_SIZE} only. */
        private final CholeskyDecomposition_F64<DMatrixRMaj> blocked;
        private final DMatrixRMaj work;
        /** 1/L[j][j] of the factor being computed, and the two sums of a row pair (small path). */
        private final double[] inverseDiagonal;
        private final double[] pair = new double[2];

        Cholesky(final int n) {
            final boolean large = n >= BLOCK_MIN_SIZE;
            blocked = large ? new CholeskyDecomposition_DDRB_to_DDRM(true) : null;
            work = large ? new DMatrixRMaj(n, n) : null;
            inverseDiagonal = new double[n];
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
            lower.reshape(n, n);
            double jitter = 0;
            for (int attempt = 0; attempt <= MAX_JITTER_TRIES; attempt++) {
                if (attempt > 0) {
                    jitter = meanDiag * FIRST_JITTER * Math.pow(100, attempt - 1);
                }
                if (blocked == null) {
                    if (choleskyLower(matrix.data, lower.data, n, jitter, inverseDiagonal, pair)) {
                        return jitter;
                    }
                    continue;
                }
                work.setTo(matrix);
                for (int i = 0; i < n; i++) {
                    work.data[i * n + i] += jitter;
                }
                if (blocked.decompose(work)) {
                    blocked.getT(lower);
                    zeroStrictUpper(lower);
                    if (finiteAndPositiveDiagonal(lower)) {
                        return jitter;
                    }
                }
            }
            return Double.NaN;
        }
    }

    /**
     * L with L Lᵀ = A + jitter·I for a symmetric n × n matrix A (row-major; only its lower triangle is read),
     * row by row (Cholesky–Banachiewicz): for j &lt; i, L[i][j] = (A[i][j] − Σ_{k&lt;j} L[i][k] L[j][k]) / L[j][j],
     * and L[i][i] = √(A[i][i] + jitter − Σ_{k&lt;i} L[i][k]²). Each sum is a {@link #dot} of two contiguous row
     * prefixes of L; rows are computed in pairs, so that row j is loaded once for entry j of both. The strict
     * upper triangle of L is set to zero. A non-finite entry of row i of L enters the pivot of row i (as a NaN
     * or an infinite square), so checking the pivots checks the whole factor.
     *
     * @param inverseDiagonal n entries of scratch (1/L[j][j])
     * @param pair            2 entries of scratch
     * @return false if a pivot is not positive and finite ({@code l} is then garbage)
     */
    static boolean choleskyLower(final double[] a, final double[] l, final int n, final double jitter,
                                 final double[] inverseDiagonal, final double[] pair) {
        int i = 0;
        // Rows in pairs: entry j of both rows needs row j, loaded once for the two dot products.
        for (; i + 1 < n; i += 2) {
            if (!choleskyRowPair(a, l, n, i, jitter, inverseDiagonal, pair)) {
                return false;
            }
        }
        for (; i < n; i++) {
            final int rowI = i * n;
            for (int j = 0; j < i; j++) {
                l[rowI + j] = (a[rowI + j] - dot(l, rowI, l, j * n, j)) * inverseDiagonal[j];
            }
            if (!pivot(a, l, n, i, jitter, inverseDiagonal)) {
                return false;
            }
        }
        return true;
    }

    /** Rows i and i + 1 of L (one invocation per pair: see {@link #innerProductsOfRowPair} on why). */
    private static boolean choleskyRowPair(final double[] a, final double[] l, final int n, final int i,
                                           final double jitter, final double[] inverseDiagonal, final double[] pair) {
        final int rowI = i * n;
        final int rowNext = rowI + n;
        for (int j = 0; j < i; j++) {
            final int rowJ = j * n;
            dotPair(l, rowI, rowNext, rowJ, j, pair);
            l[rowI + j] = (a[rowI + j] - pair[0]) * inverseDiagonal[j];
            l[rowNext + j] = (a[rowNext + j] - pair[1]) * inverseDiagonal[j];
        }
        if (!pivot(a, l, n, i, jitter, inverseDiagonal)) {
            return false;
        }
        l[rowNext + i] = (a[rowNext + i] - dot(l, rowNext, l, rowI, i)) * inverseDiagonal[i];
        return pivot(a, l, n, i + 1, jitter, inverseDiagonal);
    }

    /** L[i][i] = √(A[i][i] + jitter − Σ_{k&lt;i} L[i][k]²) and its reciprocal; zeroes the rest of row i; false if not positive and finite. */
    private static boolean pivot(final double[] a, final double[] l, final int n, final int i, final double jitter,
                                 final double[] inverseDiagonal) {
        final int rowI = i * n;
        final double pivot = a[rowI + i] + jitter - dot(l, rowI, l, rowI, i);
        if (!(pivot > 0) || pivot == Double.POSITIVE_INFINITY) {
            return false;
        }
        final double diagonal = Math.sqrt(pivot);
        l[rowI + i] = diagonal;
        inverseDiagonal[i] = 1.0 / diagonal;
        java.util.Arrays.fill(l, rowI + i + 1, rowI + n, 0.0);
        return true;
    }

    /**
     * out[0] = {@link #dot}(x, first, x, shared, len) and out[1] = {@link #dot}(x, second, x, shared, len), bit for
     * bit (the same four accumulators each, summed in the same order), with the shared row loaded once.
     */
    private static void dotPair(final double[] x, final int first, final int second, final int shared, final int len,
                                final double[] out) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        double b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        int k = 0;
        for (; k + 3 < len; k += 4) {
            final double s0 = x[shared + k];
            final double s1 = x[shared + k + 1];
            final double s2 = x[shared + k + 2];
            final double s3 = x[shared + k + 3];
            a0 += x[first + k] * s0;
            a1 += x[first + k + 1] * s1;
            a2 += x[first + k + 2] * s2;
            a3 += x[first + k + 3] * s3;
            b0 += x[second + k] * s0;
            b1 += x[second + k + 1] * s1;
            b2 += x[second + k + 2] * s2;
            b3 += x[second + k + 3] * s3;
        }
        for (; k < len; k++) {
            a0 += x[first + k] * x[shared + k];
            b0 += x[second + k] * x[shared + k];
        }
        out[0] = (a0 + a1) + (a2 + a3);
        out[1] = (b0 + b1) + (b2 + b3);
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

    /** xt (resized to n × b) = Xᵀ for X b × n. */
    static void transpose(final DMatrixRMaj x, final DMatrixRMaj xt) {
        final int b = x.numRows;
        final int n = x.numCols;
        xt.reshape(n, b);
        final double[] d = x.data;
        final double[] t = xt.data;
        for (int r = 0; r < b; r++) {
            final int row = r * n;
            for (int i = 0; i < n; i++) {
                t[i * b + r] = d[row + i];
            }
        }
    }

    /**
     * out[i·m + j] = Σ_{r&lt;len} u[i·len + r] · v[j·len + r] for i &lt; n, j &lt; m: the inner products of the rows
     * of U (n × len) with those of V (m × len), that is U Vᵀ; with {@code upper} (U = V, n = m) only the
     * entries j ≥ i are guaranteed (some below the diagonal are written too; {@link #mirrorUpper} restores
     * symmetry). Each entry is one accumulator summed over r in increasing order, so the result equals the
     * naive triple loop bit for bit; the work is tiled in 2 × 4 blocks of entries held in registers, six
     * loads per eight multiply-adds, instead of a load and a store of the output per multiply-add.
     * Flops: 2·len per entry computed.
     */
    static void rowInnerProducts(final double[] u, final int n, final double[] v, final int m, final int len,
                                 final double[] out, final boolean upper) {
        int i = 0;
        for (; i + 1 < n; i += 2) {
            innerProductsOfRowPair(u, i * len, v, m, len, out, i * m, upper ? i : 0);
        }
        for (; i < n; i++) {
            final int u0 = i * len;
            for (int j = upper ? i : 0; j < m; j++) {
                final int v0 = j * len;
                double s = 0;
                for (int r = 0; r < len; r++) {
                    s += u[u0 + r] * v[v0 + r];
                }
                out[i * m + j] = s;
            }
        }
    }

    /**
     * Entries j ≥ {@code firstColumn} of two consecutive output rows of {@link #rowInnerProducts} (the rows of U at
     * {@code u0} and {@code u0 + len}), in 2 × 4 tiles. A method of its own, invoked once per row pair, so that
     * the JIT's tiered policy (which waits for hundreds of invocations before its optimising compile) reaches it
     * within a few updates of a new process, not after hundreds.
     */
    private static void innerProductsOfRowPair(final double[] u, final int u0, final double[] v, final int m,
                                               final int len, final double[] out, final int o0, final int firstColumn) {
        final int u1 = u0 + len;
        final int o1 = o0 + m;
        int j = firstColumn;
        for (; j + 3 < m; j += 4) {
            final int v0 = j * len;
            final int v1 = v0 + len;
            final int v2 = v1 + len;
            final int v3 = v2 + len;
            double s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
            for (int r = 0; r < len; r++) {
                final double x0 = u[u0 + r];
                final double x1 = u[u1 + r];
                final double y0 = v[v0 + r];
                final double y1 = v[v1 + r];
                final double y2 = v[v2 + r];
                final double y3 = v[v3 + r];
                s00 += x0 * y0;
                s01 += x0 * y1;
                s02 += x0 * y2;
                s03 += x0 * y3;
                s10 += x1 * y0;
                s11 += x1 * y1;
                s12 += x1 * y2;
                s13 += x1 * y3;
            }
            out[o0 + j] = s00;
            out[o0 + j + 1] = s01;
            out[o0 + j + 2] = s02;
            out[o0 + j + 3] = s03;
            out[o1 + j] = s10;
            out[o1 + j + 1] = s11;
            out[o1 + j + 2] = s12;
            out[o1 + j + 3] = s13;
        }
        for (; j < m; j++) {
            final int v0 = j * len;
            double s0 = 0;
            double s1 = 0;
            for (int r = 0; r < len; r++) {
                s0 += u[u0 + r] * v[v0 + r];
                s1 += u[u1 + r] * v[v0 + r];
            }
            out[o0 + j] = s0;
            out[o1 + j] = s1;
        }
    }

    /** Copies the upper triangle of the n × n matrix {@code a} onto its lower triangle. */
    static void mirrorUpper(final double[] a, final int n) {
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                a[j * n + i] = a[i * n + j];
            }
        }
    }

    /**
     * The EMA of natural-parameter sums (docs/method.md §4), {@code next} = decay·{@code previous} +
     * weight·{@code batch} element by element, computed as EJML's {@code CommonOps_DDRM.add(α, A, β, B, C)}
     * does (same expression, same bits). With {@code symmetric}, only the upper triangle is combined and then
     * mirrored: symmetric inputs give an exactly symmetric sum at half the cost.
     */
    static void ema(final double decay, final DMatrixRMaj previous, final double weight, final double[] batch,
                    final DMatrixRMaj next, final boolean symmetric) {
        final int rows = previous.numRows;
        final int cols = previous.numCols;
        next.reshape(rows, cols);
        final double[] a = previous.data;
        final double[] c = next.data;
        if (!symmetric) {
            final int len = rows * cols;
            for (int k = 0; k < len; k++) {
                c[k] = decay * a[k] + weight * batch[k];
            }
            return;
        }
        for (int i = 0; i < rows; i++) {
            for (int j = i; j < cols; j++) {
                final int k = i * cols + j;
                c[k] = decay * a[k] + weight * batch[k];
            }
        }
        mirrorUpper(c, rows);
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
            substitutionRow(l, w, m, i, l[i * n + i], i * n, 1, 0, i);
        }
        // backward with Lᵀ: X[i,:] = (W[i,:] − Σ_{k>i} L[k,i] X[k,:]) / L[i,i]
        for (int i = n - 1; i >= 0; i--) {
            substitutionRow(l, w, m, i, l[i * n + i], i, n, i + 1, n);
        }
        for (int j = 0; j < m; j++) {
            for (int i = 0; i < n; i++) {
                r[j * n + i] = w[i * m + j];
            }
        }
    }

    /**
     * W = L⁻¹ (n × n, lower triangular, strict upper triangle zero) for a lower-triangular L with a positive
     * diagonal, by forward substitution on the columns of the identity, eight columns at a time:
     * W[i][c] = (δ_ic − Σ_{c0≤k&lt;i} L[i][k] W[k][c]) / L[i][i] for the block c0 ≤ c &lt; c0 + 8 and rows i ≥ c0 (rows
     * above a block are zero, and so are the terms k &lt; c). The eight sums stay in registers while row i of L is
     * walked once. Flops: see {@link FlopModel#invertLower}.
     */
    static void invertLower(final DMatrixRMaj lower, final DMatrixRMaj inverse) {
        final int n = lower.numRows;
        inverse.reshape(n, n);
        final double[] l = lower.data;
        final double[] w = inverse.data;
        java.util.Arrays.fill(w, 0, n * n, 0.0);
        int c = 0;
        for (; c + 7 < n; c += 8) {
            for (int i = c; i < n; i++) {
                invertLowerBlockRow(l, w, n, c, i);
            }
        }
        for (; c < n; c++) {
            for (int i = c; i < n; i++) {
                invertLowerEntry(l, w, n, c, i);
            }
        }
    }

    /** Row i of the eight columns c0..c0+7 of W (one invocation per row: see {@link #innerProductsOfRowPair} on why). */
    private static void invertLowerBlockRow(final double[] l, final double[] w, final int n, final int c0, final int i) {
        final int li = i * n;
        final double inv = 1.0 / l[li + i];
        final int d = i - c0;
        double s0 = d == 0 ? 1 : 0, s1 = d == 1 ? 1 : 0, s2 = d == 2 ? 1 : 0, s3 = d == 3 ? 1 : 0;
        double s4 = d == 4 ? 1 : 0, s5 = d == 5 ? 1 : 0, s6 = d == 6 ? 1 : 0, s7 = d == 7 ? 1 : 0;
        for (int k = c0; k < i; k++) {
            final double c = l[li + k];
            final int wk = k * n + c0;
            s0 -= c * w[wk];
            s1 -= c * w[wk + 1];
            s2 -= c * w[wk + 2];
            s3 -= c * w[wk + 3];
            s4 -= c * w[wk + 4];
            s5 -= c * w[wk + 5];
            s6 -= c * w[wk + 6];
            s7 -= c * w[wk + 7];
        }
        final int o = li + c0;
        w[o] = s0 * inv;
        w[o + 1] = s1 * inv;
        w[o + 2] = s2 * inv;
        w[o + 3] = s3 * inv;
        w[o + 4] = s4 * inv;
        w[o + 5] = s5 * inv;
        w[o + 6] = s6 * inv;
        w[o + 7] = s7 * inv;
    }

    /** W[i][c] for a column c after the last block of eight. */
    private static void invertLowerEntry(final double[] l, final double[] w, final int n, final int c, final int i) {
        final int li = i * n;
        double s = i == c ? 1 : 0;
        for (int k = c; k < i; k++) {
            s -= l[li + k] * w[k * n + c];
        }
        w[li + c] = s * (1.0 / l[li + i]);
    }

    /**
     * xᵀ (L Lᵀ)⁻¹ x = ‖W x‖² with W = L⁻¹ from {@link #invertLower}. Rows of W are taken four at a time: the
     * common prefix x[0..i] is loaded once for the four dot products (four independent accumulators), then each
     * row's remaining one to three entries are added. Flops: see {@link FlopModel#quadraticFormWithInverseFactor}.
     */
    static double quadraticFormWithInverseFactor(final DMatrixRMaj inverseFactor, final double[] x) {
        final int n = inverseFactor.numRows;
        final double[] w = inverseFactor.data;
        double s = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            final int r0 = i * n;
            final int r1 = r0 + n;
            final int r2 = r1 + n;
            final int r3 = r2 + n;
            double y0 = 0;
            double y1 = 0;
            double y2 = 0;
            double y3 = 0;
            for (int j = 0; j <= i; j++) {
                final double xj = x[j];
                y0 += w[r0 + j] * xj;
                y1 += w[r1 + j] * xj;
                y2 += w[r2 + j] * xj;
                y3 += w[r3 + j] * xj;
            }
            y1 += w[r1 + i + 1] * x[i + 1];
            y2 += w[r2 + i + 1] * x[i + 1] + w[r2 + i + 2] * x[i + 2];
            y3 += w[r3 + i + 1] * x[i + 1] + w[r3 + i + 2] * x[i + 2] + w[r3 + i + 3] * x[i + 3];
            s += y0 * y0 + y1 * y1 + y2 * y2 + y3 * y3;
        }
        for (; i < n; i++) {
            final int r = i * n;
            double y = 0;
            for (int j = 0; j <= i; j++) {
                y += w[r + j] * x[j];
            }
            s += y * y;
        }
        return s;
    }

    /**
     * Row i of a substitution of {@link #solveCholeskyRows} for all m right-hand sides (the columns of the transposed
     * work array), eight at a time in registers: W[i,:] ← (W[i,:] − Σ_{kFrom≤k&lt;kTo} c_k W[k,:]) / L[i,i] with
     * c_k = l[base + k·stride], k increasing. The forward substitution takes row i of L (base i·n, stride 1,
     * k &lt; i), the back substitution with Lᵀ column i (base i, stride n, k &gt; i). One invocation per row: see
     * {@link #innerProductsOfRowPair} on why.
     */
    private static void substitutionRow(final double[] l, final double[] w, final int m, final int i,
                                        final double diagonal, final int base, final int stride, final int kFrom,
                                        final int kTo) {
        final double inv = 1.0 / diagonal;
        final int wi = i * m;
        int j = 0;
        for (; j + 7 < m; j += 8) {
            double s0 = w[wi + j], s1 = w[wi + j + 1], s2 = w[wi + j + 2], s3 = w[wi + j + 3];
            double s4 = w[wi + j + 4], s5 = w[wi + j + 5], s6 = w[wi + j + 6], s7 = w[wi + j + 7];
            for (int k = kFrom; k < kTo; k++) {
                final double c = l[base + k * stride];
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
            for (int k = kFrom; k < kTo; k++) {
                s -= l[base + k * stride] * w[k * m + j];
            }
            w[wi + j] = s * inv;
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

    /**
     * out[off + i] = a[off + i] − c·x[off + i] for i &lt; len ({@code out} may be {@code x}): one record's row, so
     * that the per-update callers invoke it b times and the JIT optimises it early in a process.
     */
    static void subtractScaled(final double[] a, final double c, final double[] x, final double[] out, final int off,
                               final int len) {
        for (int i = off; i < off + len; i++) {
            out[i] = a[i] - c * x[i];
        }
    }

    /** Σ_{i&lt;n} x_i². */
    static double sumOfSquares(final double[] x, final int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x[i] * x[i];
        }
        return s;
    }

    /** x_i ← x_i / d for i &lt; n. */
    static void divideInPlace(final double[] x, final int n, final double d) {
        for (int i = 0; i < n; i++) {
            x[i] /= d;
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

    /**
     * p = softmax(z) for {@code z[0..k)} into {@code p} (z unchanged), and returns the entropy of p with one
     * logarithm instead of k: with m = max z and S = Σ e^{z_i − m}, log p_i = (z_i − m) − log S, so
     * H[p] = log S − Σ p_i (z_i − m), a sum of two non-negative terms (no cancellation).
     */
    static double softmaxWithEntropy(final double[] z, final double[] p, final int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            max = Math.max(max, z[i]);
        }
        double sum = 0;
        for (int i = 0; i < k; i++) {
            p[i] = Math.exp(z[i] - max);
            sum += p[i];
        }
        double expectedShift = 0;
        for (int i = 0; i < k; i++) {
            p[i] /= sum;
            expectedShift += p[i] * (z[i] - max);
        }
        return Math.log(sum) - expectedShift;
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
