package dev.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.server.Gateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/systemd/wsgate@.service} runs {@code deploy/examples/reuse-port.yaml} as several processes on one
 * port: each instance serves the admin port of its name, all run as one user (which {@code SO_REUSEPORT} needs),
 * the file's {@code max-connections} fits the unit's open-file limit, the stop timeout covers the drain, and systemd
 * accepts the unit.
 */
class SystemdUnitTest {

  private static final Path UNIT = DeployFiles.deploy().resolve("systemd/wsgate@.service");
  private static final Path CONFIG = DeployFiles.deploy().resolve("examples/reuse-port.yaml");

  @TempDir
  Path dir;

  @Test
  void eachInstanceServesTheAdminPortOfItsNameOnTheSharedPort() throws Exception {
    assertThat(directives("Environment")).contains("WSGATE_ADMIN=127.0.0.1:%i");
    assertThat(String.join(" ", directives("ExecStart"))).contains("--config /etc/wsgate/gateway.yaml");
    GatewayConfig instance9091 = config(Map.of("WSGATE_ADMIN", "127.0.0.1:9091"));
    assertThat(instance9091.server().reusePort()).isTrue();
    assertThat(instance9091.server().admin().port()).isEqualTo(9091);
    assertThat(config(Map.of("WSGATE_ADMIN", "127.0.0.1:9092")).server().listen())
        .isEqualTo(instance9091.server().listen());
  }

  @Test
  void theUnitRunsTheImagesJvmOptionsButForTheHeapSize() throws Exception {
    List<String> command = List.of(String.join(" ", directives("ExecStart")).trim().split("\\s+"));
    List<String> options = command.subList(1, command.indexOf("-jar"));
    // A host has no memory limit to take a share of: the unit gives the heap a size of its own instead.
    List<String> image = DeployFiles.imageJvmOptions().stream().filter(o -> !o.startsWith("-XX:MaxRAMPercentage="))
        .toList();
    assertThat(options).as("deploy/Dockerfile's options, in their order, and -Xmx").containsSubsequence(image)
        .hasSize(image.size() + 1).anyMatch(o -> o.startsWith("-Xmx"));
  }

  @Test
  void everyInstanceRunsAsOneUser() throws Exception {
    // Without User=, DynamicUser= names each instance's user after the instance: one uid each, and SO_REUSEPORT
    // shares a port between sockets of one uid only.
    assertThat(directives("User")).containsExactly("wsgate");
    assertThat(directives("DynamicUser")).containsExactly("yes");
  }

  @Test
  void maxConnectionsFitsTheOpenFileLimitAndTheStopTimeoutTheDrain() throws Exception {
    long files = Long.parseLong(directives("LimitNOFILE").get(0));
    GatewayConfig config = config(Map.of());
    assertThat((long) config.server().maxConnections()).as("two sockets a session, and the JVM's own files")
        .isPositive().isLessThanOrEqualTo((files - 100) / 2);
    long stop = Long.parseLong(directives("TimeoutStopSec").get(0));
    assertThat(stop).as("TimeoutStopSec > shutdown.drain-timeout")
        .isGreaterThan(config.shutdown().drainTimeout().toSeconds());
  }

  @Test
  void systemdAcceptsTheUnit() throws Exception {
    Path analyze = Tools.require("systemd-analyze", "systemd");
    Path instance = Files.copy(UNIT, dir.resolve("wsgate@9091.service"));
    Tools.Run run = Tools.run(dir, Duration.ofSeconds(60), Map.of(), List.of(analyze.toString(), "verify",
        instance.toString()));
    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.err()).as(run.describe()).isEmpty();
  }

  private GatewayConfig config(Map<String, String> environment) throws Exception {
    return ConfigLoader.withEnvironment(environment).withTls(Gateway.tlsFiles()).load(CONFIG);
  }

  /** The values of a directive of the unit, in order. */
  private static List<String> directives(String name) throws IOException {
    List<String> values = new ArrayList<>();
    for (String line : Files.readAllLines(UNIT)) {
      if (line.startsWith(name + "=")) {
        values.add(line.substring(name.length() + 1).strip());
      }
    }
    return values;
  }
}
