package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The flop model against counts made by hand, statement by statement, for tiny networks (b = 2), and against
 * the closed forms its dominant terms must approach for large ones.
 */
class FlopModelTest {

    /**
     * 2→3→1 tanh regression, b = 2. Layer 0: p = 3, q = 3 (hidden); layer 1: p = 4, q = 1 (Gaussian output).
     * The comment of each line is the count.
     */
    @Test
    void regressionUpdateAndScoreMatchAHandCount() {
        final FlopModel model = FlopModel.of(BaliConfig.regression(2, 3, 1).activation(Activation.TANH).streaming()
                .batchSize(2).build());
        final Map<String, Long> update = model.update(2);
        // inputs: 2 × (2 + 11·2) observed + 2 × 2·2 standardised; targets: 2 × (13 + 2)
        assertThat(update.get(FlopModel.STANDARDISE)).isEqualTo(48 + 8 + 30);
        // layer 0: 2·b·q·p = 36 and tanh 5·b·q = 30; layer 1: 2·2·1·4 = 16
        assertThat(update.get(FlopModel.FORWARD)).isEqualTo(36 + 30 + 16);
        // per record: r, r² and its sum, r²/(1+h) and its sum, r/σ²
        assertThat(update.get(FlopModel.OUTPUT)).isEqualTo(2 * 8);
        // per record the leverage ‖W ā‖², ā of length 4: rows of 1..4 products and sums, each squared and summed
        assertThat(update.get(FlopModel.CALIBRATION)).isEqualTo(2 * (4 + 6 + 8 + 10));
        // 2·b·3·1 products and tanh' (1 − a², then ×) on 2 × 3 entries
        assertThat(update.get(FlopModel.BACKWARD)).isEqualTo(12 + 18);
        // layer 0: Σāāᵀ 7 tiled entries × 2b = 28, its EMA 3·6 = 18, Σz̃āᵀ 2·3·3·2 = 36, its EMA 27,
        //          Σggᵀ 28, its EMA 18; layer 1: Σāāᵀ 12 entries × 4 = 48, EMA 3·10 = 30, Σz̃āᵀ 16, EMA 12
        assertThat(update.get(FlopModel.SUMS)).isEqualTo(28 + 18 + 36 + 27 + 28 + 18 + 48 + 30 + 16 + 12);
        // Cholesky n = 3: pivots 7, 9, 11 and entries 5, 5, 7 → 44; n = 4: 44 + entries 5, 7, 9 + pivot 13 → 78.
        // Layer 0: Λ scale 9 + diagonal 3 + mean diagonal 4 + 44; Σ⁻¹ scale 9 + trace 3 + diagonal 3 + 4 + 44.
        // Layer 1: Λ 16 + 4 + 5 + 78; Σ = σ² I scale 1.
        assertThat(update.get(FlopModel.FACTORISATIONS)).isEqualTo((9 + 3 + 4 + 44) + (9 + 3 + 3 + 4 + 44)
                + (16 + 4 + 5 + 78) + 1);
        // (S_C/c) scale q·p, then q right-hand sides: 2·q·p² + 2p
        assertThat(update.get(FlopModel.MEAN_SOLVES)).isEqualTo((9 + 2 * 3 * 9 + 6) + (4 + 2 * 16 + 8));
        // layer 0: b right-hand sides with Σ⁻¹'s factor, 2·b·q² + 2q, then z − ηΣg: 2bq; layer 1: z − ησ²g: 2bq
        assertThat(update.get(FlopModel.PSEUDO_TARGETS)).isEqualTo((2 * 2 * 9 + 6) + 12 + 4);
        // W = L⁻¹ for p = 4 (no block of eight columns): column c, row i ≥ c costs 2(i − c) + 2:
        // column 0: 2 + 4 + 6 + 8, column 1: 2 + 4 + 6, column 2: 2 + 4, column 3: 2
        assertThat(update.get(FlopModel.PER_VERSION)).isEqualTo(20 + 12 + 6 + 2);
        assertThat(model.updateTotal(2)).isEqualTo(969);

        final Map<String, Long> score = model.score();
        // standardise 2·2, the hidden layer 2·2·3 and tanh 3·5; output 2·3·1; leverage as above;
        // √var, σ²s², μ + s z with its √, h σ² s²
        assertThat(score.get(FlopModel.HIDDEN)).isEqualTo(4 + 12 + 15);
        assertThat(score.get(FlopModel.OUTPUT_LAYER)).isEqualTo(6);
        assertThat(score.get(FlopModel.LEVERAGE)).isEqualTo(28);
        assertThat(score.get(FlopModel.PREDICTIVE)).isEqualTo(7);
        assertThat(model.scoreTotal()).isEqualTo(72);
        assertThat(model.perRecord(2)).isEqualTo(72 + 969 / 2.0);
    }

    /** 2→3→2 tanh classification, S = 2, b = 2; the layer-0 terms are those of the regression above. */
    @Test
    void classificationUpdateAndScoreMatchAHandCount() {
        final FlopModel model = FlopModel.of(BaliConfig.classification(2, 3, 2).activation(Activation.TANH)
                .streaming().batchSize(2).monteCarloSamples(2).build());
        final Map<String, Long> update = model.update(2);
        assertThat(update.get(FlopModel.STANDARDISE)).isEqualTo(48 + 8);
        assertThat(update.get(FlopModel.FORWARD)).isEqualTo(36 + 30 + 32);
        // softmax of 2 (4k + 2 = 10), log Z − z_y, g_y − 1
        assertThat(update.get(FlopModel.OUTPUT)).isEqualTo(2 * 13);
        // per draw: u and θu 6, softmax 10, E[u] and E[u²] 10, the three sums 1 + 3 + 4 → 34;
        // per record: leverage 28, √h, 2 draws, two ratios 4
        assertThat(update.get(FlopModel.CALIBRATION)).isEqualTo(2 * (28 + 1 + 2 * 34 + 4));
        assertThat(update.get(FlopModel.BACKWARD)).isEqualTo(2 * 2 * 3 * 2 + 18);
        // layer 1 (p = 4, q = 2): Σāāᵀ 48, EMA 30, Σz̃āᵀ 2·2·4·2 = 32, EMA 24, Σggᵀ one pair of rows, 4 entries × 4 = 16, EMA 9
        assertThat(update.get(FlopModel.SUMS)).isEqualTo(155 + 48 + 30 + 32 + 24 + 16 + 9);
        // layer 1: Λ 103; Σ⁻¹ with a fixed floor: scale 4, diagonal 2, mean diagonal 3, Cholesky n = 2 (7 + 5 + 9)
        assertThat(update.get(FlopModel.FACTORISATIONS)).isEqualTo(123 + 103 + (4 + 2 + 3 + 21));
        assertThat(update.get(FlopModel.MEAN_SOLVES)).isEqualTo(69 + (8 + 2 * 2 * 16 + 8));
        assertThat(update.get(FlopModel.PSEUDO_TARGETS)).isEqualTo(54 + (2 * 2 * 4 + 4) + 8);
        // W as above, and S back substitutions with the 2 × 2 factor of Σ: S·K²
        assertThat(update.get(FlopModel.PER_VERSION)).isEqualTo(40 + 8);
        assertThat(model.updateTotal(2)).isEqualTo(1273);

        final Map<String, Long> score = model.score();
        // √h; per draw θ(z + √h δ) 6, softmax with entropy 7k + 2 = 16, Σ H 1, Σ p 2; average 2, H[p̄] 6, MI 2
        assertThat(score.get(FlopModel.PREDICTIVE)).isEqualTo(1 + 2 * (6 + 16 + 1 + 2) + 2 + 6 + 2);
        assertThat(model.scoreTotal()).isEqualTo(31 + 12 + 28 + 61);
    }

    /** W = L⁻¹ for n = 9: one block of eight columns (rows 0..8: 16 i + 9 each) and the last column (row 8: 2). */
    @Test
    void inverseFactorCountWithABlockOfEightColumns() {
        long block = 0;
        for (int i = 0; i < 9; i++) {
            block += 16L * i + 9;
        }
        assertThat(block).isEqualTo(16 * 36 + 81);
        assertThat(FlopModel.invertLower(9)).isEqualTo(16 * 36 + 81 + 2);
    }

    /** Every term is linear in b or independent of it, so the update's count is exactly affine in b. */
    @Test
    void updateCountIsAffineInTheBatchSize() {
        final FlopModel model = FlopModel.of(BaliConfig.classification(8, 32, 32, 2).activation(Activation.RELU)
                .streaming().build());
        final long perRecord = model.updateTotal(9) - model.updateTotal(8);
        for (int b = 1; b < 64; b++) {
            assertThat(model.updateTotal(b + 1) - model.updateTotal(b)).isEqualTo(perRecord);
        }
    }

    /** The kernels' leading terms: Cholesky n³/3, W = L⁻¹ n³/3, a Gram matrix b n², two triangular solves 2 m n². */
    @Test
    void kernelCountsApproachTheirClosedForms() {
        final int n = 400;
        assertThat(FlopModel.cholesky(n) / (n * (double) n * n / 3)).isCloseTo(1.0, within(0.02));
        // the blocks of eight columns also compute the zeros above the diagonal inside each block: + about 12/n
        assertThat(FlopModel.invertLower(n) / (n * (double) n * n / 3)).isCloseTo(1.0, within(0.04));
        assertThat(FlopModel.upperInnerProducts(n, 32) / (32.0 * n * n)).isCloseTo(1.0, within(0.01));
        assertThat(FlopModel.solveCholeskyRows(n, 7) / (2.0 * 7 * n * n)).isCloseTo(1.0, within(0.01));
        assertThat(FlopModel.quadraticFormWithInverseFactor(n) / ((double) n * n)).isCloseTo(1.0, within(0.02));
    }
}
