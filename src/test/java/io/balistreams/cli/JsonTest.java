package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesNestedValuesInOrderWithNullForNonFiniteNumbers() {
        final Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("mean", 2.5);
        inner.put("se", Double.NaN);
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("dataset", "a \"quoted\"\tname\\");
        out.put("splits", 20);
        out.put("rmse", inner);
        out.put("windows", List.of(1.0, 1e-4, Double.POSITIVE_INFINITY));
        out.put("ok", true);
        out.put("none", null);
        assertThat(Json.write(out)).isEqualTo("{\"dataset\":\"a \\\"quoted\\\"\\tname\\\\\",\"splits\":20,"
                + "\"rmse\":{\"mean\":2.5,\"se\":null},\"windows\":[1,1.0E-4,null],\"ok\":true,\"none\":null}");
    }
}
