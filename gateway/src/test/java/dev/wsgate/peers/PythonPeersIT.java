package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seeds' own stack through wsgate: the heartbeat client of the seed document (Python {@code websockets} 10.4,
 * {@code ping_interval=20, ping_timeout=30, close_timeout=2}), unchanged but for its URI, talks through wsgate to
 * (a) a {@code websockets} echo server and (b) a FastAPI WebSocket endpoint under uvicorn. The client reads lines
 * from stdin and sends each; it logs {@code 收到消息: ...} (to stderr) for every message it receives.
 *
 * <p>The client is {@code src/test/resources/peers/seed_client.py}: the first code block of
 * {@code seeds/000_*.txt} with its indentation restored (the seed text lost it) and nothing else changed; the test
 * replaces only its {@code WEBSOCKET_URI = "ws://localhost:8765"} line.
 */
class PythonPeersIT {

  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final Duration ECHO = Duration.ofSeconds(10);
  private static final String SEED_URI_LINE = "    WEBSOCKET_URI = \"ws://localhost:8765\"";
  private static final String RECEIVED = "INFO:root:收到消息: ";
  private static final Pattern LISTENING = Pattern.compile("LISTENING (\\d+)");

  /** Python peers get UTF-8 on their standard streams whatever the locale, and unbuffered output. */
  private static final Map<String, String> PYTHON_ENV = Map.of("PYTHONUTF8", "1", "PYTHONIOENCODING", "utf-8",
      "PYTHONUNBUFFERED", "1");

  @TempDir
  Path dir;

  @BeforeEach
  void peersArePresent() throws InterruptedException {
    Peers.requirePythonPeers();
  }

  @Test
  void seedClientThroughWsgateToWebsocketsEchoServer() throws Exception {
    try (PeerProcess server = python("websockets-echo", "websockets_echo_server.py", "0")) {
      int port = listeningPort(server);
      URI upstream = URI.create("ws://127.0.0.1:" + port);
      try (TestGateway gw = TestGateway.proxying(upstream)) {
        List<String> sent = seedClientEchoes(gw, "/seed");
        assertThat(server.awaitStdout("the upstream saw the client's path", l -> l.startsWith("OPEN "), ECHO))
            .isEqualTo("OPEN path=/seed");
        assertCleanClose(gw, server, "CLOSED code=1000 reason=", upstream.toString(), sent);
      }
    }
  }

  @Test
  void seedClientThroughWsgateToFastApiUnderUvicorn() throws Exception {
    try (PeerProcess server = python("fastapi-uvicorn", "fastapi_echo_app.py")) {
      int port = listeningPort(server);
      // A route prefix that the upstream path replaces: the client's /chat reaches FastAPI as /ws/echo.
      String yaml = "routes:\n  - path: /chat\n    upstreams: [\"ws://127.0.0.1:" + port + "/ws/echo\"]\n";
      try (TestGateway gw = TestGateway.start(yaml)) {
        List<String> sent = seedClientEchoes(gw, "/chat");
        assertThat(server.awaitStdout("the upstream saw the rewritten path", l -> l.startsWith("OPEN "), ECHO))
            .isEqualTo("OPEN path=/ws/echo");
        assertCleanClose(gw, server, "CLOSED code=1000", "ws://127.0.0.1:" + port + "/ws/echo", sent);
      }
    }
  }

  /**
   * Runs the seed client against wsgate at {@code path}: feeds it lines one at a time, waiting for each echo, then
   * {@code exit}; asserts it received exactly what it sent, in order, exited 0 and logged no error. Returns what
   * was sent.
   */
  private List<String> seedClientEchoes(TestGateway gw, String path) throws Exception {
    String uri = "ws://127.0.0.1:" + gw.port() + path;
    Path client = seedClientFor(uri);
    List<String> sent = List.of("hello", "hello again", "你好, wsgate ✓ — ünïcödé", "x".repeat(70_000),
        "hello after the big one");
    try (PeerProcess seed = start("seed-client", List.of(Peers.PYTHON.toString(), client.toString()))) {
      seed.awaitStderr("connected", l -> l.equals("INFO:root:已连接到服务器: " + uri), STARTUP);
      for (String message : sent) {
        seed.writeLine(message);
        seed.awaitStderr("echo of " + abbreviate(message), l -> l.equals(RECEIVED + message), ECHO);
      }
      seed.writeLine("exit");
      seed.closeStdin();
      int code = seed.awaitExit(Duration.ofSeconds(15));
      List<String> received = new ArrayList<>();
      for (String l : seed.stderr()) {
        if (l.startsWith(RECEIVED)) {
          received.add(l.substring(RECEIVED.length()));
        }
      }
      assertThat(received).as("messages the seed client received").isEqualTo(sent);
      assertThat(seed.stderr()).as("the seed client's log\n%s", seed.transcript())
          .noneMatch(l -> l.startsWith("ERROR:"))
          .noneMatch(l -> l.contains("连接已关闭"))
          .noneMatch(l -> l.startsWith("Traceback"));
      assertThat(code).as("the seed client's exit code\n%s", seed.transcript()).isZero();
    }
    return sent;
  }

  /**
   * The session ended cleanly: the upstream got the client's close (1000), wsgate logged a session closed by the
   * client with 1000 and the traffic that was sent, and its session registry is empty.
   */
  private static void assertCleanClose(TestGateway gw, PeerProcess server, String upstreamClose, String upstreamUri,
      List<String> sent) throws Exception {
    assertThat(server.awaitStdout("the upstream saw the close", l -> l.startsWith("CLOSED "), ECHO))
        .isEqualTo(upstreamClose);
    long bytes = sent.stream().mapToLong(m -> m.getBytes(StandardCharsets.UTF_8).length).sum();
    String line = RecordingAppender.await(l -> l.contains(" upstream=" + upstreamUri + " "), ECHO);
    // Both peers compress (permessage-deflate) and both legs agree: the frames pass through compressed, and the
    // bytes counted are the compressed payloads.
    var counts = Pattern.compile(" frames_in=(\\d+) bytes_in=(\\d+) frames_out=(\\d+) bytes_out=(\\d+) ")
        .matcher(line);
    assertThat(counts.find()).as(line).isTrue();
    assertThat(counts.group(1)).isEqualTo(String.valueOf(sent.size()));
    assertThat(counts.group(3)).isEqualTo(String.valueOf(sent.size()));
    assertThat(Long.parseLong(counts.group(2))).as("compressed bytes in").isPositive().isLessThan(bytes / 3);
    assertThat(Long.parseLong(counts.group(4))).as("compressed bytes out").isPositive().isLessThan(bytes / 3);
    assertThat(line)
        .contains(" close_code=1000 closed_by=client end=client-close")
        .doesNotContain("close_reason=");
    gw.awaitIdle(ECHO);
    assertThat(gw.gateway().sessions().size()).isZero();
  }

  private Path seedClientFor(String uri) throws IOException {
    String source = resource("seed_client.py");
    int at = source.indexOf("\n" + SEED_URI_LINE + "\n");
    assertThat(at).as("the seed client's URI line").isNotNegative();
    assertThat(source.indexOf(SEED_URI_LINE, at + 1 + SEED_URI_LINE.length())).as("a second URI line").isNegative();
    String changed = source.replace(SEED_URI_LINE, "    WEBSOCKET_URI = \"" + uri + "\"");
    Path file = dir.resolve("seed_client.py");
    Files.writeString(file, changed, StandardCharsets.UTF_8);
    return file;
  }

  private PeerProcess python(String name, String script, String... args) throws IOException {
    Path file = dir.resolve(script);
    Files.writeString(file, resource(script), StandardCharsets.UTF_8);
    List<String> command = new ArrayList<>(List.of(Peers.PYTHON.toString(), file.toString()));
    command.addAll(List.of(args));
    return start(name, command);
  }

  private PeerProcess start(String name, List<String> command) throws IOException {
    return PeerProcess.start(name, command, PYTHON_ENV, dir);
  }

  private static int listeningPort(PeerProcess server) throws InterruptedException {
    String line = server.awaitStdout("listening", l -> LISTENING.matcher(l).matches(), STARTUP);
    var m = LISTENING.matcher(line);
    assertThat(m.matches()).isTrue();
    return Integer.parseInt(m.group(1));
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = PythonPeersIT.class.getResourceAsStream("/peers/" + name)) {
      assertThat(in).as("test resource /peers/%s", name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "... (" + s.length() + " chars)" : s;
  }
}
