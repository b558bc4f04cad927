package io.balistreams.streams;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's configuration table lists exactly the service's keys, with their real defaults. */
class ReadmeConfigurationTableTest {
    @Test
    void readmeTableMatchesTheDefaultsInTheCode() throws Exception {
        final String readme = Files.readString(Path.of("README.md"));
        final Pattern row = Pattern.compile("^\\| `(bali\\.[^`]+)` \\| (?:`([^`]*)`|\\(empty\\)) \\|", Pattern.MULTILINE);
        final Map<String, String> documented = new LinkedHashMap<>();
        final Matcher m = row.matcher(readme);
        while (m.find()) {
            documented.put(m.group(1), m.group(2) == null ? "" : m.group(2));
        }
        final Map<String, String> actual = new LinkedHashMap<>();
        ServiceConfig.DEFAULTS.forEach((k, v) -> actual.put(k, v[0]));
        assertThat(documented).containsExactlyEntriesOf(actual);
    }
}
