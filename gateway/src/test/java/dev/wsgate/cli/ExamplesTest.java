package dev.wsgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.deploy.DeployFiles;
import dev.wsgate.deploy.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every YAML example the project shows, in README.md and under deploy/ (the Kubernetes ConfigMap's included), passes
 * {@code check-config}.
 */
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

  /**
   * Every gateway configuration under deploy/, and the one the Kubernetes ConfigMap embeds, passes
   * {@code check-config}: the command itself, in a JVM of its own, so that the examples' {@code ${VAR}}s can be given
   * (their TLS files, pointed at the test certificates).
   */
  @TestFactory
  Stream<DynamicTest> everyDeployExamplePassesCheckConfig() throws IOException {
    List<Path> configs = new ArrayList<>(deployConfigs());
    configs.add(Files.writeString(dir.resolve("configmap-gateway.yaml"), DeployFiles.configMapGatewayYaml()));
    return configs.stream().map(f -> DynamicTest.dynamicTest(f.startsWith(dir) ? "deploy/k8s/configmap.yaml "
        + "gateway.yaml" : projectRoot().relativize(f).toString(), () -> {
          Tools.Run run = checkConfigProcess(f, DeployFiles.testTlsEnvironment());
          assertThat(run.err()).as(run.describe()).isEmpty();
          assertThat(run.exitCode()).as(run.describe()).isZero();
          assertThat(run.out()).as(run.describe()).endsWith("# " + f + ": configuration OK\n");
        }));
  }

  /** The production-like example really takes its TLS files from the environment: without it, they are missing. */
  @Test
  void theProductionExampleNeedsItsTlsFilesFromTheEnvironment() throws Exception {
    Path production = projectRoot().resolve("deploy/examples/production.yaml");
    Tools.Run run = checkConfigProcess(production, Map.of());
    assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
    assertThat(run.err()).as(run.describe())
        .contains("server.tls.cert: /etc/wsgate/tls/tls.crt: no such file")
        .contains("server.tls.key: /etc/wsgate/tls/tls.key: no such file")
        .contains("upstream.ca-file: /etc/wsgate/tls/upstream-ca.crt: no such file");
  }

  /**
   * {@code java -cp TEST_CLASSPATH dev.wsgate.cli.Main check-config FILE} with {@code env} instead of any
   * {@code WSGATE_} variable of this JVM.
   */
  private Tools.Run checkConfigProcess(Path file, Map<String, String> env) throws Exception {
    Map<String, String> environment = new HashMap<>(System.getenv());
    environment.keySet().removeIf(k -> k.startsWith("WSGATE_"));
    environment.putAll(env);
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "check-config", file.toString());
    return Tools.runWithEnvironment(dir, Duration.ofSeconds(60), environment, command);
  }

  @Test
  void thereAreExamplesToCheck() throws IOException {
    assertThat(readmeYamlBlocks()).isNotEmpty();
    assertThat(deployConfigs()).extracting(f -> projectRoot().relativize(f).toString())
        .contains("deploy/gateway.yaml", "deploy/examples/minimal.yaml", "deploy/examples/production.yaml");
    assertThat(DeployFiles.configMapGatewayYaml()).contains("routes:");
  }
}
