package io.balistreams.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.balistreams.bali.BaliMixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The memory-shift signal against positions worked out by hand. */
class MemoryShiftDetectorTest {
    private static final List<BaliMixture.Expert> GRID = List.of(new BaliMixture.Expert(50, 4),
            new BaliMixture.Expert(4000, 32));
    private static final Map<String, Double> LONG = Map.of("50x4", 0.0, "4000x32", 1.0);
    private static final Map<String, Double> SHORT = Map.of("50x4", 1.0, "4000x32", 0.0);

    @Test
    void aFallOfTheExpectedLogMemoryRaisesOneAlarmUntilTheSignalSettles() {
        // horizon 10, fraction 0.3 of ln 80 (threshold 1.315 nats), no warm-up, cooldown 5
        final MemoryShiftDetector d = new MemoryShiftDetector(GRID, 10, 0.3, 0, 5);
        assertThat(d.expectedLogMemory(Map.of("50x4", 0.25, "4000x32", 0.75)))
                .isCloseTo(0.25 * Math.log(50) + 0.75 * Math.log(4000), within(1e-12));
        final List<Long> alarms = new ArrayList<>();
        long position = 0;
        for (int i = 0; i < 20; i++, position++) {          // the long memory holds the weight: no alarm
            if (d.observe(position, LONG)) {
                alarms.add(position);
            }
        }
        // at 20 the weight jumps to the short memory: the baseline moves a tenth of ln 80 towards it, the drop
        // is 0.9 ln 80 = 3.94 > 1.315
        for (int i = 0; i < 10; i++, position++) {
            if (d.observe(position, SHORT)) {
                alarms.add(position);
            }
        }
        assertThat(alarms).containsExactly(20L);
        // the drop after t short events is 0.9^t ln 80; the detector re-arms below a quarter of the threshold
        // (0.329), i.e. from t = 25 on; back to the long memory (a rise never alarms) and short again at 60
        for (int i = 30; i < 60; i++, position++) {
            if (d.observe(position, i < 45 ? SHORT : LONG)) {
                alarms.add(position);
            }
        }
        assertThat(alarms).containsExactly(20L);
        for (int i = 60; i < 70; i++, position++) {
            if (d.observe(position, SHORT)) {
                alarms.add(position);
            }
        }
        assertThat(alarms).containsExactly(20L, 60L);
    }

    @Test
    void noAlarmDuringTheWarmUpNorWithinTheCooldownAndBadGridsAreRefused() {
        final MemoryShiftDetector d = new MemoryShiftDetector(GRID, 10, 0.3, 25, 100);
        final List<Long> alarms = new ArrayList<>();
        for (long position = 0; position < 200; position++) {
            // short at 20..29 (the drop, 0.9^(t+1) ln 80 after t short events, is still 2.33 at 25, the first
            // event after the warm-up), at 60..69 (within the cooldown of 100 after 25) and from 150 on
            final boolean shortMemory = position >= 20 && position < 30 || position >= 60 && position < 70
                    || position >= 150;
            if (d.observe(position, shortMemory ? SHORT : LONG)) {
                alarms.add(position);
            }
        }
        assertThat(alarms).containsExactly(25L, 150L);
        assertThatThrownBy(() -> new MemoryShiftDetector(List.of(new BaliMixture.Expert(50, 4))))
                .hasMessageContaining("at least two");
        assertThatThrownBy(() -> new MemoryShiftDetector(List.of(new BaliMixture.Expert(50, 4),
                new BaliMixture.Expert(50, 8)))).hasMessageContaining("different lengths");
        assertThatThrownBy(() -> d.observe(5, Map.of("50x4", 1.0))).hasMessageContaining("4000x32");
    }
}
