package dev.wsgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.JarProcess;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.WsFrame;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * wsgate as a process: hot reload on file change and on SIGHUP (a bad file refused, the running configuration
 * kept, live sessions untouched), and SIGTERM draining with 1001 before an exit 0.
 */
class ReloadProcessIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  private static String config(int port, int admin, String routes) {
    return "server:\n  listen: 127.0.0.1:" + port + "\n  admin: 127.0.0.1:" + admin + "\n"
        + "shutdown: {drain-timeout: 10s, drain-window: 0}\n" + routes;
  }

  private static String route(String path, RawUpstream up) {
    return "  - path: " + path + "\n    upstreams: [\"" + up.uri() + "\"]\n";
  }

  /** Writes the file as editors do: a new file moved over the old one. */
  private void write(Path file, String text) throws Exception {
    Path tmp = Files.writeString(dir.resolve("gateway.yaml.tmp"), text);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void reloadsOnFileChangeAndSighupRefusesBadFilesAndDrainsOnSigterm() throws Exception {
    try (RawUpstream a = RawUpstream.start(RawUpstream.Answer.upgrade());
         RawUpstream b = RawUpstream.start(RawUpstream.Answer.upgrade())) {
      int port = JarProcess.freePort();
      int admin = JarProcess.freePort();
      InetSocketAddress gw = new InetSocketAddress("127.0.0.1", port);
      Path file = dir.resolve("gateway.yaml");
      Files.writeString(file, config(port, admin, "routes:\n" + route("/a", a)));
      try (JarProcess wsgate = JarProcess.start(Map.of(), "--config", file.toString())) {
        wsgate.awaitStdout("started", WAIT, l -> l.contains(" started; stop it with"));

        // A live session on the first configuration.
        RawWebSocket live = RawWebSocket.connect(gw, "/a");
        RawUpstream.Conn liveUp = a.take();

        // 1. The file changes: /a now goes to b, and /b appears.
        write(file, config(port, admin, "routes:\n" + route("/a", b) + route("/b", a)));
        wsgate.awaitStdout("reloaded on file change", WAIT, l -> l.contains("reloaded " + file + " on file change"));
        try (RawWebSocket fresh = RawWebSocket.connect(gw, "/a")) {
          RawUpstream.Conn freshUp = b.take();
          echo(fresh, freshUp, "new config");
          fresh.close();
          freshUp.close();
        }
        try (RawWebSocket other = RawWebSocket.connect(gw, "/b")) {
          RawUpstream.Conn otherUp = a.take();
          echo(other, otherUp, "new route");
          other.close();
          otherUp.close();
        }
        echo(live, liveUp, "the live session keeps its upstream");

        // 2. A bad file: refused, every error logged, the running configuration kept.
        write(file, config(port, admin, "heartbeat:\n  intervall: 25s\nroutes:\n" + route("/a", a)));
        wsgate.awaitStdout("the refusal", WAIT, l -> l.contains("reload (file change) refused: " + file
            + " has 1 error(s); the running configuration stays"));
        wsgate.awaitStdout("the error line", WAIT, l -> l.contains(file + ":6:3: heartbeat.intervall: unknown key "
            + "(did you mean interval?)"));
        try (RawWebSocket stillB = RawWebSocket.connect(gw, "/a")) {
          RawUpstream.Conn up = b.take();
          echo(stillB, up, "still the good configuration");
          stillB.close();
          up.close();
        }

        // 3. SIGHUP reloads the file as it is now: fix it in place first, without waiting for the watcher.
        Files.writeString(file, config(port, admin, "routes:\n" + route("/a", a) + route("/c", b)));
        wsgate.signal("HUP");
        wsgate.awaitStdout("reloaded on SIGHUP", WAIT, l -> l.contains("reloaded " + file + " on SIGHUP"));
        try (RawWebSocket c = RawWebSocket.connect(gw, "/c")) {
          RawUpstream.Conn up = b.take();
          echo(c, up, "route c");
          c.close();
          up.close();
        }

        // 4. SIGTERM while the upstream streams numbered frames to the live client: the client gets every frame, in
        //    order, then 1001; the upstream stops at the close it gets, answers it; the process exits 0.
        java.util.concurrent.atomic.AtomicBoolean upstreamClosing = new java.util.concurrent.atomic.AtomicBoolean();
        Thread stream = new Thread(() -> {
          try {
            for (long k = 0; !upstreamClosing.get(); k++) {
              liveUp.send(true, WsFrame.BINARY, java.nio.ByteBuffer.allocate(512).putLong(k).array());
            }
          } catch (Exception closed) {
            // the leg is gone
          }
        });
        stream.setDaemon(true);
        stream.start();
        Thread answer = new Thread(() -> {
          try {
            WsFrame upClose = liveUp.readClose();
            upstreamClosing.set(true);
            liveUp.sendClose(upClose.closeCode(), "");
            liveUp.close();
          } catch (Exception gone) {
            // closed meanwhile
          }
        });
        answer.setDaemon(true);
        answer.start();
        long expected = 0;
        while (expected < 1000) { // streaming for real before the signal
          WsFrame f = live.readData();
          assertThat(java.nio.ByteBuffer.wrap(f.payload()).getLong()).isEqualTo(expected++);
        }
        wsgate.signal("TERM");
        WsFrame close;
        while (true) {
          WsFrame f = live.readData();
          if (f.opcode() == WsFrame.CLOSE) {
            close = f;
            break;
          }
          long got = java.nio.ByteBuffer.wrap(f.payload()).getLong();
          if (got != expected) {
            throw new AssertionError("frame " + got + " where " + expected + " was due: a frame was lost");
          }
          expected++;
        }
        assertThat(close.closeCode()).isEqualTo(1001);
        assertThat(close.closeReason()).isEqualTo("going away");
        live.sendClose(1001, "");
        answer.join(10_000);
        stream.join(10_000);
        assertThat(wsgate.awaitExit(WAIT)).as("exit code\n%s", wsgate.describe()).isZero();
        assertThat(wsgate.stdoutLines()).anyMatch(l -> l.contains("SIGTERM received: draining, then stopping"))
            .anyMatch(l -> l.contains("drained")).anyMatch(l -> l.contains("stopped"));
        live.close();
      }
    }
  }

  @Test
  void aListenAddressChangeIsReportedAsNeedingARestart() throws Exception {
    try (RawUpstream a = RawUpstream.echo()) {
      int port = JarProcess.freePort();
      int admin = JarProcess.freePort();
      Path file = dir.resolve("gateway.yaml");
      Files.writeString(file, config(port, admin, "routes:\n" + route("/", a)));
      try (JarProcess wsgate = JarProcess.start(Map.of(), "--config", file.toString())) {
        wsgate.awaitStdout("started", WAIT, l -> l.contains(" started; stop it with"));
        int other = JarProcess.freePort();
        write(file, config(other, admin, "routes:\n" + route("/", a)));
        wsgate.awaitStdout("the warning", WAIT, l -> l.contains("configuration changes that need a restart, not "
            + "applied: server.listen 127.0.0.1:" + port + " -> 127.0.0.1:" + other));
        try (RawWebSocket c = RawWebSocket.connect(new InetSocketAddress("127.0.0.1", port), "/")) {
          c.sendText("still on the old port");
          assertThat(c.readData().text()).isEqualTo("still on the old port");
          c.sendClose(1000, "");
          c.readClose();
        }
        wsgate.signal("TERM");
        assertThat(wsgate.awaitExit(WAIT)).isZero();
      }
    }
  }

  @Test
  void jsonLogLinesAreJsonObjects() throws Exception {
    try (RawUpstream a = RawUpstream.echo()) {
      int port = JarProcess.freePort();
      int admin = JarProcess.freePort();
      Path file = dir.resolve("gateway.yaml");
      Files.writeString(file, config(port, admin, "logging: {format: json}\nroutes:\n" + route("/", a)));
      try (JarProcess wsgate = JarProcess.start(Map.of(), "--config", file.toString())) {
        wsgate.awaitStdout("started", WAIT, l -> l.contains(" started; stop it with"));
        oneSession(port, "json-log-1", 1000, "");
        String access = wsgate.awaitStdout("the access log line", WAIT,
            l -> l.contains("{\"request_id\":\"json-log-1\"}"));
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var node = mapper.readTree(access);
        assertThat(node.get("loggerName").asText()).isEqualTo("wsgate.access");
        assertThat(node.get("level").asText()).isEqualTo("INFO");
        assertThat(node.get("formattedMessage").asText()).isEqualTo("session end");
        // Each field a {"key": "value"} object of its own in kvpList, in the access log's order.
        Map<String, String> fields = new LinkedHashMap<>();
        for (var pair : node.get("kvpList")) {
          assertThat(pair.size()).as("%s", pair).isEqualTo(1);
          var field = pair.fields().next();
          fields.put(field.getKey(), field.getValue().asText());
        }
        assertThat(fields.keySet()).containsExactly("request_id", "session", "client", "client_protocol", "route",
            "upstream", "subprotocol", "duration_ms", "frames_in", "bytes_in", "frames_out", "bytes_out", "close_code",
            "closed_by", "end");
        assertThat(fields).containsEntry("request_id", "json-log-1").containsEntry("client_protocol", "http/1.1")
            .containsEntry("route", "/")
            .containsEntry("upstream", a.uri().toString()).containsEntry("subprotocol", "-")
            .containsEntry("frames_in", "1").containsEntry("bytes_in", "1").containsEntry("frames_out", "1")
            .containsEntry("bytes_out", "1").containsEntry("close_code", "1000").containsEntry("closed_by", "client")
            .containsEntry("end", "client-close");
        assertThat(fields.get("client")).matches("127\\.0\\.0\\.1:\\d+");
        assertThat(fields.get("duration_ms")).matches("\\d+");
        wsgate.signal("TERM");
        assertThat(wsgate.awaitExit(WAIT)).isZero();
        for (String line : wsgate.stdoutLines()) {
          assertThat(mapper.readTree(line).isObject()).as(line).isTrue();
        }
      }
    }
  }

  @Test
  void textAccessLinesAreLogfmt() throws Exception {
    try (RawUpstream a = RawUpstream.echo()) {
      int port = JarProcess.freePort();
      int admin = JarProcess.freePort();
      Path file = dir.resolve("gateway.yaml");
      Files.writeString(file, config(port, admin, "routes:\n" + route("/", a)));
      try (JarProcess wsgate = JarProcess.start(Map.of(), "--config", file.toString())) {
        wsgate.awaitStdout("started", WAIT, l -> l.contains(" started; stop it with"));
        oneSession(port, "text-log-1", 4001, "bye now");
        String access = wsgate.awaitStdout("the access log line", WAIT, l -> l.contains(" request_id=text-log-1 "));
        assertThat(access).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S+ ACCESS "
            + "request_id=text-log-1 session=\\d+ client=127\\.0\\.0\\.1:\\d+ client_protocol=http/1\\.1 route=/ "
            + "upstream=" + Pattern.quote(a.uri().toString()) + " subprotocol=- duration_ms=\\d+ "
            + "frames_in=1 bytes_in=1 frames_out=1 bytes_out=1 close_code=4001 closed_by=client end=client-close "
            + "close_reason=\"bye now\"");
        wsgate.signal("TERM");
        assertThat(wsgate.awaitExit(WAIT)).isZero();
      }
    }
  }

  private static void echo(RawWebSocket client, RawUpstream.Conn up, String text) throws Exception {
    client.sendText(text);
    WsFrame f = up.readData();
    assertThat(f.text()).isEqualTo(text);
    up.sendText(text);
    assertThat(client.readData().text()).isEqualTo(text);
  }

  /** One session with request id {@code id}: a message each way, then the client's close and its answer. */
  private static void oneSession(int port, String id, int code, String reason) throws Exception {
    try (RawWebSocket c = RawWebSocket.connect(new InetSocketAddress("127.0.0.1", port), "/",
        Map.of("X-Request-Id", id))) {
      c.sendText("x");
      c.readData();
      c.sendClose(code, reason);
      c.readClose();
    }
  }
}
