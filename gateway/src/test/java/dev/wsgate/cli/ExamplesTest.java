package dev.wsgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** Every YAML example the project shows, in README.md and under deploy/, passes {@code check-config}. */
class ExamplesTest {

  private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);

  @TempDir
  Path dir;

  static Path projectRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("README.md"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("no README.md above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  static List<String> readmeYamlBlocks() throws IOException {
    String readme = Files.readString(projectRoot().resolve("README.md"));
    List<String> blocks = new ArrayList<>();
    Matcher m = YAML_BLOCK.matcher(readme);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  static List<Path> deployConfigs() throws IOException {
    try (Stream<Path> files = Files.walk(projectRoot().resolve("deploy"))) {
      return files.filter(f -> f.toString().endsWith(".yaml") && isGatewayConfig(f)).sorted().toList();
    }
  }

  /** Gateway configurations, as opposed to Kubernetes manifests or compose files. */
  private static boolean isGatewayConfig(Path f) {
    try {
      return Files.readString(f).lines().anyMatch(l -> l.startsWith("routes:"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @TestFactory
  Stream<DynamicTest> everyReadmeExamplePassesCheckConfig() throws IOException {
    List<String> blocks = readmeYamlBlocks();
    return java.util.stream.IntStream.range(0, blocks.size()).mapToObj(i -> DynamicTest.dynamicTest(
        "README.md yaml block " + (i + 1), () -> {
          Path file = Files.writeString(dir.resolve("readme-" + (i + 1) + ".yaml"), blocks.get(i));
          CliRun run = CliRun.of("check-config", file.toString());
          assertThat(run.err()).as("README block %d:%n%s", i + 1, blocks.get(i)).isEmpty();
          assertThat(run.exitCode()).isZero();
        }));
  }

  @TestFactory
  Stream<DynamicTest> everyDeployExamplePassesCheckConfig() throws IOException {
    return deployConfigs().stream().map(f -> DynamicTest.dynamicTest(projectRoot().relativize(f).toString(), () -> {
      CliRun run = CliRun.of("check-config", f.toString());
      assertThat(run.err()).isEmpty();
      assertThat(run.exitCode()).isZero();
    }));
  }

  @Test
  void thereAreExamplesToCheck() throws IOException {
    assertThat(readmeYamlBlocks()).isNotEmpty();
    assertThat(deployConfigs()).extracting(f -> f.getFileName().toString()).contains("gateway.yaml");
  }
}
