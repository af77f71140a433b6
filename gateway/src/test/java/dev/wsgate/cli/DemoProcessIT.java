package dev.wsgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.wsgate.testing.JarProcess;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.WsFrame;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code wsgate.jar} as a process of its own: the embedded demo ({@code ws://localhost:8080/echo} in
 * front of a built-in echo upstream), {@code --config FILE}, SIGINT, and the exit codes of {@code check-config}.
 *
 * <p>The demo honours {@code WSGATE_LISTEN} and {@code WSGATE_ADMIN}, so that it runs on free ports here; one test
 * runs it exactly as documented, on port 8080, when 8080 (and the admin port 9090) are free.
 */
class DemoProcessIT {

  private static final Duration START = Duration.ofSeconds(60);
  private static final Duration STOP = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @Test
  void theDemoStartsOnTheGivenAddressesEchoesTextAndBinaryAndStopsOnSigint() throws Exception {
    int port = JarProcess.freePort();
    int admin = JarProcess.freePort();
    try (JarProcess wsgate = JarProcess.start(Map.of("WSGATE_LISTEN", "127.0.0.1:" + port,
        "WSGATE_ADMIN", "127.0.0.1:" + admin))) {
      wsgate.awaitStdout("the listen address", START, line -> line.contains("listening on ws://127.0.0.1:" + port));
      String route = wsgate.awaitStdout("the /echo route", START, line -> line.contains("route /echo -> "));
      assertThat(route).containsPattern("route /echo -> \\[ws://127\\.0\\.0\\.1:\\d+\\]");
      wsgate.awaitStdout("the started line", START, line -> line.contains(" started; stop it with SIGINT"));

      echoTextAndBinary(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), "/echo");

      stopWithSigint(wsgate);
    }
  }

  /** Exactly as documented: no configuration, no variables, {@code ws://localhost:8080/echo}. */
  @Test
  void theDocumentedDemoServesWsLocalhost8080Echo() throws Exception {
    assumeThat(canListen(8080)).as("port 8080 is free (the documented demo port)").isTrue();
    assumeThat(canListen(9090)).as("port 9090 is free (the demo's admin port)").isTrue();
    try (JarProcess wsgate = JarProcess.start(Map.of())) {
      wsgate.awaitStdout("the listen address", START, line -> line.contains("listening on ws://0.0.0.0:8080"));
      wsgate.awaitStdout("the demo line", START,
          line -> line.contains("running the demo, ws://localhost:8080/echo"));
      wsgate.awaitStdout("the started line", START, line -> line.contains(" started; stop it with SIGINT"));

      echoTextAndBinary(new InetSocketAddress(InetAddress.getByName("localhost"), 8080), "/echo");

      stopWithSigint(wsgate);
    }
  }

  /**
   * The README's exit codes: 0 success, 1 configuration or start-up error, 2 usage error; SIGINT (Ctrl-C) is how the
   * demo is meant to be stopped.
   */
  @Test
  void sigintEndsWsgateWithExitCode0() throws Exception {
    int port = JarProcess.freePort();
    int admin = JarProcess.freePort();
    try (JarProcess wsgate = JarProcess.start(Map.of("WSGATE_LISTEN", "127.0.0.1:" + port,
        "WSGATE_ADMIN", "127.0.0.1:" + admin))) {
      wsgate.awaitStdout("the started line", START, line -> line.contains(" started; stop it with SIGINT"));
      int code = stopWithSigint(wsgate);
      // wsgate handles SIGINT itself; left to the JVM, a stop by SIGINT would exit 128 + 2 = 130.
      assertThat(code).as("exit code after SIGINT\n%s", wsgate.describe()).isZero();
    }
  }

  @Test
  void withConfigItRunsExactlyThatFile() throws Exception {
    try (RawUpstream upstream = RawUpstream.echo()) {
      int port = JarProcess.freePort();
      int admin = JarProcess.freePort();
      Path config = dir.resolve("gateway.yaml");
      Files.writeString(config, "server:\n"
          + "  listen: 127.0.0.1:" + port + "\n"
          + "  admin: 127.0.0.1:" + admin + "\n"
          + "routes:\n"
          + "  - path: /via-file\n"
          + "    upstreams: [\"" + upstream.uri() + "\"]\n");
      try (JarProcess wsgate = JarProcess.start(Map.of(), "--config", config.toString())) {
        wsgate.awaitStdout("the listen address", START, line -> line.contains("listening on ws://127.0.0.1:" + port));
        wsgate.awaitStdout("the route of the file", START,
            line -> line.contains("route /via-file -> [" + upstream.uri() + "]"));
        wsgate.awaitStdout("the started line", START, line -> line.contains(" started; stop it with SIGINT"));
        // Routes are printed before the started line: there is no other route, and no demo.
        List<String> routes = wsgate.stdoutLines().stream().filter(l -> l.contains(" route ")).toList();
        assertThat(routes).hasSize(1);
        assertThat(wsgate.stdoutLines()).noneMatch(l -> l.contains("demo"));

        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        echoTextAndBinary(address, "/via-file");
        RawWebSocket.Response demoPath = RawWebSocket.request(address, "GET /echo HTTP/1.1",
            RawWebSocket.handshakeHeaders(address));
        assertThat(demoPath.status()).as("the demo's route is not in the file").isEqualTo(404);

        stopWithSigint(wsgate);
      }
    }
  }

  @Test
  void withABadConfigFileItDoesNotStartAndExits1() throws Exception {
    Path config = dir.resolve("bad.yaml");
    Files.writeString(config, "routes:\n  - path: /x\n    upstreams: [ftp://x]\n");
    try (JarProcess wsgate = JarProcess.start(Map.of(), "--config", config.toString())) {
      assertThat(wsgate.awaitExit(START)).as("exit code\n%s", wsgate.describe()).isEqualTo(1);
      assertThat(wsgate.stderrLines()).contains(config + ":3:17: routes[0].upstreams[0]: ftp://x (expected: ws:// or "
          + "wss://)");
      assertThat(wsgate.stdoutLines()).noneMatch(l -> l.contains("listening on"));
    }
  }

  @Test
  void checkConfigExits0ForAGoodFileAndPrintsTheEffectiveConfiguration() throws Exception {
    Path config = dir.resolve("good.yaml");
    Files.writeString(config, "routes:\n  - path: /chat\n    upstreams: [ws://127.0.0.1:8000]\n");
    try (JarProcess check = JarProcess.start(Map.of(), "check-config", config.toString())) {
      assertThat(check.awaitExit(START)).as("exit code\n%s", check.describe()).isZero();
      assertThat(check.stdoutLines()).contains("  listen: 0.0.0.0:8080", "      - ws://127.0.0.1:8000",
          "# " + config + ": configuration OK");
      assertThat(check.stderrLines()).isEmpty();
    }
  }

  @Test
  void checkConfigExits1ForABadFileAndPrintsEveryErrorAsFileLineColumnPathMessage() throws Exception {
    Path config = dir.resolve("bad.yaml");
    Files.writeString(config, "server:\n"
        + "  listen: 127.0.0.1:8080\n"
        + "heartbeat:\n"
        + "  intervall: 25s\n"
        + "routes:\n"
        + "  - path: /chat\n"
        + "    upstreams: [ftp://x]\n");
    try (JarProcess check = JarProcess.start(Map.of(), "check-config", config.toString())) {
      assertThat(check.awaitExit(START)).as("exit code\n%s", check.describe()).isEqualTo(1);
      List<String> err = check.stderrLines();
      assertThat(err).containsExactly(
          config + ":4:3: heartbeat.intervall: unknown key (did you mean interval?)",
          config + ":7:17: routes[0].upstreams[0]: ftp://x (expected: ws:// or wss://)",
          config + ": 2 errors, configuration refused");
      Pattern shape = Pattern.compile(Pattern.quote(config.toString()) + ":\\d+:\\d+: [a-z\\-.\\[\\]0-9]+: .+");
      assertThat(err.subList(0, 2)).allMatch(l -> shape.matcher(l).matches());
      assertThat(check.stdoutLines()).isEmpty();
    }
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private static void echoTextAndBinary(InetSocketAddress address, String path) throws IOException {
    try (RawWebSocket client = RawWebSocket.connect(address, path)) {
      client.sendText("hello, wsgate");
      WsFrame text = client.readData();
      assertThat(text.opcode()).isEqualTo(WsFrame.TEXT);
      assertThat(text.text()).isEqualTo("hello, wsgate");
      byte[] binary = new byte[70_000];
      new Random(7).nextBytes(binary);
      client.sendBinary(binary);
      WsFrame echoed = client.readData();
      assertThat(echoed.opcode()).isEqualTo(WsFrame.BINARY);
      assertThat(echoed.payload()).isEqualTo(binary);
      client.sendClose(1000, "bye");
      WsFrame close = client.readClose();
      assertThat(close.closeCode()).isEqualTo(1000);
      assertThat(client.awaitEof(Duration.ofSeconds(10))).as("wsgate closes TCP after the close handshake").isTrue();
    }
  }

  /** Sends SIGINT; the process must end within {@link #STOP}, having said it stops. Returns its exit code. */
  private static int stopWithSigint(JarProcess wsgate) throws Exception {
    assumeThat(wsgate.ignoresSigint())
        .as("SIGINT is ignored by this process (inherited; `env --default-signal` missing), nothing can stop it with "
            + "SIGINT").isFalse();
    wsgate.sigint();
    int code = wsgate.awaitExit(STOP);
    assertThat(wsgate.stdoutLines()).as("wsgate output\n%s", wsgate.describe()).anyMatch(l -> l.contains("stopping"));
    System.out.println("wsgate (pid " + wsgate.pid() + ") exit code after SIGINT: " + code);
    return code;
  }

  private static boolean canListen(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
