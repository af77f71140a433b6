package dev.wsgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.JarProcess;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logs an attacker cannot flood, read from the packaged jar with its own logging configuration: each upstream
 * handshake failure is one line with request id, route, upstream and status (INFO for an upstream's refusal, WARN for
 * an answer that is no handshake), never a stack trace; bad requests, clients leaving mid-request and bad admin
 * queries log nothing above DEBUG.
 */
class LogLinesProcessIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Route, the upstream's answer, the status the client gets, and the level of the one line logged. */
  private record Case(String route, RawUpstream.Answer answer, int status, String level) {
  }

  @TempDir
  Path dir;

  @Test
  void upstreamRefusalsAndBrokenAnswersLogOneLineEachAndBadInputNothingAboveDebug() throws Exception {
    String ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    Map<String, Case> cases = new LinkedHashMap<>();
    cases.put("r401", new Case("/r401", RawUpstream.Answer.reject(401), 401, "INFO"));
    cases.put("r403", new Case("/r403", RawUpstream.Answer.reject(403), 403, "INFO"));
    cases.put("r200", new Case("/r200", RawUpstream.Answer.raw(ok), 502, "WARN"));
    cases.put("r302", new Case("/r302", RawUpstream.Answer.raw("HTTP/1.1 302 Found\r\nLocation: /x\r\n"
        + "Content-Length: 0\r\n\r\n"), 502, "WARN"));
    cases.put("badaccept", new Case("/badaccept", RawUpstream.Answer.raw("HTTP/1.1 101 Switching Protocols\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm90IHRoZSBhY2NlcHQ=\r\n\r\n"), 502,
        "WARN"));
    cases.put("noupgrade", new Case("/noupgrade", RawUpstream.Answer.raw("HTTP/1.1 101 Switching Protocols\r\n"
        + "Connection: Upgrade\r\n\r\n"), 502, "WARN"));
    cases.put("half101", new Case("/half101", RawUpstream.Answer.raw("HTTP/1.1 101 Switching Protocols\r\n"
        + "Upgrade: websocket\r\n"), 502, "WARN"));
    Map<String, RawUpstream> upstreams = new LinkedHashMap<>();
    try (RawUpstream silent = RawUpstream.start(RawUpstream.Answer.silence())) {
      StringBuilder routes = new StringBuilder("routes:\n");
      for (Map.Entry<String, Case> e : cases.entrySet()) {
        RawUpstream u = RawUpstream.start(e.getValue().answer());
        upstreams.put(e.getKey(), u);
        routes.append("  - path: ").append(e.getValue().route()).append("\n    upstreams: [\"").append(u.uri())
            .append("\"]\n");
      }
      routes.append("  - path: /silent\n    upstreams: [\"").append(silent.uri()).append("\"]\n");
      int port = JarProcess.freePort();
      int admin = JarProcess.freePort();
      Path file = dir.resolve("gateway.yaml");
      Files.writeString(file, "server:\n  listen: 127.0.0.1:" + port + "\n  admin: 127.0.0.1:" + admin + "\n"
          + "upstream:\n  connect-timeout: 2s\n" + routes);
      InetSocketAddress gw = new InetSocketAddress("127.0.0.1", port);
      try (JarProcess wsgate = JarProcess.start(Map.of(), "--config", file.toString())) {
        wsgate.awaitStdout("started", WAIT, l -> l.contains(" started; stop it with"));

        for (Map.Entry<String, Case> e : cases.entrySet()) {
          for (int i = 0; i < 3; i++) {
            Map<String, String> h = RawWebSocket.handshakeHeaders(gw);
            h.put("X-Request-Id", e.getKey() + "-" + i);
            RawWebSocket.Response r = RawWebSocket.request(gw, "GET " + e.getValue().route() + " HTTP/1.1", h);
            assertThat(r.status()).as("%s: %s", e.getKey(), r.body()).isEqualTo(e.getValue().status());
          }
        }
        // Bad input and clients that leave: nothing above DEBUG.
        Map<String, String> h = RawWebSocket.handshakeHeaders(gw);
        h.put("X-Request-Id", "quiet-target");
        assertThat(RawWebSocket.request(gw, "GET /r401?x=%zz HTTP/1.1", h).status()).isEqualTo(400);
        h.put("X-Request-Id", "quiet-body");
        h.put("Content-Length", "3");
        assertThat(RawWebSocket.exchange(gw, concat(RawWebSocket.head("GET /r401 HTTP/1.1", h), "abc")).status())
            .isEqualTo(400);
        leaveMidRequest(gw, "GET /r401 HTTP/1.1\r\nHost: x\r\nUpgr", false);
        leaveMidRequest(gw, "GET /r401 HTTP/1.1\r\nHost: x\r\nUpgr", true);
        assertThat(RawWebSocket.exchange(gw, "\u0016\u0003\u0001junk\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1))
            .status()).as("junk: the codec answers").isEqualTo(400);
        h.remove("Content-Length");
        h.put("X-Request-Id", "quiet-leaving");
        try (Socket s = RawWebSocket.open(gw)) { // leaves while wsgate waits for the upstream's answer
          s.getOutputStream().write(RawWebSocket.head("GET /silent HTTP/1.1", h));
          silent.take();
        }
        InetSocketAddress adminAddress = new InetSocketAddress("127.0.0.1", admin);
        RawWebSocket.Response past = admin(adminAddress, "/sessions?offset=2147483647");
        assertThat(past.status()).isEqualTo(200);
        assertThat(past.body()).contains("\"sessions\":[]");
        assertThat(admin(adminAddress, "/sessions?route=%zz").status()).isEqualTo(400);
        assertThat(admin(adminAddress, "/sessions?limit=-1&offset=99999999999").status()).isEqualTo(400);

        wsgate.signal("TERM");
        assertThat(wsgate.awaitExit(WAIT)).isZero();
        List<String> lines = wsgate.stdoutLines();
        String all = String.join("\n", lines) + "\n" + String.join("\n", wsgate.stderrLines());
        for (Map.Entry<String, Case> e : cases.entrySet()) {
          for (int i = 0; i < 3; i++) {
            String id = "request " + e.getKey() + "-" + i + " ";
            List<String> mine = lines.stream().filter(l -> l.contains(id)).toList();
            assertThat(mine).as("the lines of %s", id).singleElement().satisfies(l -> {
              assertThat(l).contains(" " + e.getValue().level() + " ", "route " + e.getValue().route(),
                  "upstream " + upstreams.get(e.getKey()).uri());
            });
          }
        }
        assertThat(lines).filteredOn(l -> l.contains("request r401-0 ")).singleElement().asString()
            .contains("refused the handshake with 401");
        assertThat(all).as("no stack trace anywhere").doesNotContain("\tat ", "Exception:");
        assertThat(lines).as("nothing above INFO but the per-request WARN lines and the passive health's")
            .filteredOn(l -> l.contains(" WARN ") || l.contains(" ERROR "))
            .allMatch(l -> l.contains(" WARN ") && (l.matches(".* request \\S+ route \\S+ upstream .*")
                || l.matches(".* route \\S+: upstream \\S+ failed .*")));
        assertThat(lines).as("bad input and clients leaving: DEBUG only")
            .noneMatch(l -> l.contains("quiet-") || l.contains("%zz"));
      }
    } finally {
      for (RawUpstream u : upstreams.values()) {
        u.close();
      }
    }
  }

  /** A client that sends part of a request and leaves, with a FIN or a reset. */
  private static void leaveMidRequest(InetSocketAddress gw, String partial, boolean reset) throws IOException {
    try (Socket s = RawWebSocket.open(gw)) {
      if (reset) {
        s.setSoLinger(true, 0);
      }
      s.getOutputStream().write(partial.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
    }
  }

  private static byte[] concat(byte[] head, String body) {
    byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[head.length + b.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(b, 0, out, head.length, b.length);
    return out;
  }

  /** A request to the admin listener as sent, even with a query {@link URI} refuses. */
  private static RawWebSocket.Response admin(InetSocketAddress admin, String target) throws IOException {
    return RawWebSocket.request(admin, "GET " + target + " HTTP/1.1", Map.of("Host", "localhost",
        "Connection", "close"));
  }
}
