package dev.wsgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {

  @TempDir
  Path dir;

  @Test
  void checkConfigPrintsTheEffectiveConfigurationAndExitsZero() throws IOException {
    Path file = Files.writeString(dir.resolve("ok.yaml"), """
        routes:
          - path: /chat
            upstreams: [ws://backend:8000]
        """);
    CliRun run = CliRun.of("check-config", file.toString());
    assertThat(run.exitCode()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out())
        .contains("listen: 0.0.0.0:8080")
        .contains("- path: /chat")
        .contains("interval: 25s")
        .endsWith("# " + file + ": configuration OK\n");
  }

  @Test
  void checkConfigPrintsEveryErrorAndExitsOne() throws IOException {
    Path file = Files.writeString(dir.resolve("bad.yaml"), """
        heartbeat:
          intervall: 25s
        routes:
          - path: /chat
            upstreams: [ftp://x]
        """);
    CliRun run = CliRun.of("check-config", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).isEqualTo(
        file + ":2:3: heartbeat.intervall: unknown key (did you mean interval?)\n"
            + file + ":5:17: routes[0].upstreams[0]: ftp://x (expected: ws:// or wss://)\n"
            + file + ": 2 errors, configuration refused\n");
  }

  @Test
  void missingFileIsOneLineAndExitsOne() {
    CliRun run = CliRun.of("check-config", dir.resolve("none.yaml").toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).isEqualTo(dir.resolve("none.yaml") + ":1:1: no such file\n"
        + dir.resolve("none.yaml") + ": 1 error, configuration refused\n");
  }

  @Test
  void runRefusesABadConfigurationTheSameWay() throws IOException {
    Path file = Files.writeString(dir.resolve("bad.yaml"), "routes: []\n");
    CliRun run = CliRun.of("--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).startsWith(file + ":1:9: routes: no routes");
    assertThat(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  /** check-config and run judge TLS files by what the listener loads: a PKCS#1 key is refused at its line. */
  @Test
  void checkConfigAndRunJudgeTlsFilesAsTheListenerLoadsThem() throws Exception {
    Path tls = Path.of(CliTest.class.getResource("/tls/rsa-cert.pem").toURI()).getParent();
    Path file = Files.writeString(dir.resolve("tls.yaml"), """
        server:
          tls:
            cert: "%s"
            key: "%s"
        routes:
          - path: /chat
            upstreams: [ws://backend:8000]
        """.formatted(tls.resolve("rsa-cert.pem"), tls.resolve("rsa-pkcs1-key.pem")));
    String refusal = file + ":4:10: server.tls.key: " + tls.resolve("rsa-pkcs1-key.pem") + ": a PKCS#1 RSA key "
        + "(expected: PKCS#8, -----BEGIN PRIVATE KEY-----; convert it with: openssl pkcs8 -topk8 -nocrypt -in "
        + "rsa-pkcs1-key.pem -out key-pkcs8.pem)\n";
    CliRun check = CliRun.of("check-config", file.toString());
    assertThat(check.exitCode()).isEqualTo(1);
    assertThat(check.err()).isEqualTo(refusal + file + ": 1 error, configuration refused\n");
    CliRun run = CliRun.of("--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).startsWith(refusal).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void help() {
    CliRun run = CliRun.of("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("Usage: wsgate").contains("--config=FILE").contains("check-config");
  }

  @Test
  void checkConfigHelp() {
    CliRun run = CliRun.of("check-config", "--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("Usage: wsgate check-config").contains("FILE");
  }

  @Test
  void version() {
    CliRun run = CliRun.of("--version");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("wsgate ").doesNotContain("unknown");
  }

  @Test
  void healthAsksTheAdminListener() throws Exception {
    try (dev.wsgate.testing.RawUpstream up = dev.wsgate.testing.RawUpstream.echo();
         dev.wsgate.testing.TestGateway gw = dev.wsgate.testing.TestGateway.proxying(up.uri())) {
      String admin = "127.0.0.1:" + gw.gateway().adminAddress().getPort();
      CliRun alive = CliRun.of("health", "--admin", admin);
      assertThat(alive.exitCode()).isZero();
      assertThat(alive.out()).isEqualTo("ok\n");
      CliRun ready = CliRun.of("health", "--ready", "--admin", admin);
      assertThat(ready.exitCode()).isZero();
      assertThat(ready.out()).isEqualTo("ready\n");
    }
    CliRun nobody = CliRun.of("health", "--admin", "127.0.0.1:1", "--timeout", "2");
    assertThat(nobody.exitCode()).isEqualTo(1);
    assertThat(nobody.err()).startsWith("http://127.0.0.1:1/healthz: ");
  }

  @Test
  void usageErrorsExitTwo() {
    CliRun run = CliRun.of("--no-such-option");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("Unknown option: '--no-such-option'");
  }

  @Test
  void nettyLeakDetectionIsOffUnlessSet() {
    java.util.Properties unset = new java.util.Properties();
    Main.nettyDefaults(unset);
    assertThat(unset.getProperty(Main.LEAK_DETECTION)).isEqualTo("disabled");
    java.util.Properties set = new java.util.Properties();
    set.setProperty(Main.LEAK_DETECTION, "simple");
    Main.nettyDefaults(set);
    assertThat(set.getProperty(Main.LEAK_DETECTION)).as("a level set on the command line is kept").isEqualTo("simple");
  }
}
