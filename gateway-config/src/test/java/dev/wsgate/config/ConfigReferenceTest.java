package dev.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration tables are the schema's: a key missing, a default or a meaning different, a key
 * unknown, all fail here. To rewrite the tables from the schema after adding or changing a key:
 * {@code mvn -pl gateway-config test -Dtest=ConfigReferenceTest -Dwsgate.write-readme}.
 */
class ConfigReferenceTest {

  static final Path README = Path.of("..", "README.md");

  @Test
  void everySectionTableIsTheSchemas() throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(README, StandardCharsets.UTF_8));
    List<String> wrong = new ArrayList<>();
    for (Section<?> section : Schema.DOCUMENTED) {
      int heading = lines.indexOf("### `" + section.name() + "`");
      assertThat(heading).as("README heading ### `%s`", section.name()).isNotNegative();
      int start = heading + 1;
      while (start < lines.size() && !lines.get(start).startsWith("|")) {
        assertThat(lines.get(start)).as("README: the table of `%s` comes before any other heading",
            section.name()).doesNotStartWith("#");
        start++;
      }
      int end = start;
      while (end < lines.size() && lines.get(end).startsWith("|")) {
        end++;
      }
      List<String> expected = ConfigReference.table(section).lines().toList();
      if (!lines.subList(start, end).equals(expected)) {
        wrong.add(section.name());
        lines.subList(start, end).clear();
        lines.addAll(start, expected);
      }
    }
    if (!wrong.isEmpty() && System.getProperty("wsgate.write-readme") != null) {
      Files.write(README, lines, StandardCharsets.UTF_8);
      return;
    }
    assertThat(wrong).as("README tables that differ from the schema; rewrite them with: mvn -pl gateway-config "
        + "test -Dtest=ConfigReferenceTest -Dwsgate.write-readme").isEmpty();
  }

  @Test
  void aTableHasARowPerKeyWithItsDefaultAndMeaning() {
    String server = ConfigReference.table(Schema.SERVER);
    assertThat(server).startsWith("| key | default | meaning |\n|---|---|---|\n")
        .contains("| `max-connections` | `10000` | client connections at once,")
        .contains("| `tls.cert` | none | PEM certificate chain")
        .contains("| `allowed-origins` | `[]` |");
    assertThat(ConfigReference.table(Schema.ROUTE)).contains("| `path` | required |")
        .contains("| `heartbeat` | global | overrides of `heartbeat`, as above |")
        .contains("| `forward-pings` | `false` |");
    assertThat(ConfigReference.table(Schema.HEARTBEAT)).contains("| `text.ping` | `{\"type\":\"ping\"}` |")
        .doesNotContain("`client`");
  }
}
