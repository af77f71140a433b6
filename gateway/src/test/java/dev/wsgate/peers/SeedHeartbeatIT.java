package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import dev.wsgate.testing.Holds;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seeds' two heartbeat clients through wsgate, with their timings scaled down and nothing else changed but their
 * URI, and wsgate's own heartbeat on both legs (interval 1 s, timeout 2 s).
 *
 * <ol>
 *   <li>The {@code websockets} heartbeat client ({@code seed_client.py}), its {@code ping_interval=20,
 *       ping_timeout=30} scaled by 1/10 to 2 s and 3 s, to a {@code websockets} echo server: no application data for
 *       12 s (many intervals of both heartbeats), then one message that must still echo, then {@code exit}. Why 2 s
 *       and not 1 s: a client that pings every second keeps wsgate's client leg (which pings after about 1 s of
 *       silence) from ever pinging it, so only an interval longer than wsgate's shows both heartbeats on that
 *       leg.</li>
 *   <li>The manual JSON heartbeat client ({@code seed_manual_heartbeat_client.py}), its {@code ping_interval = 20}
 *       and {@code pong_timeout = 30} scaled to 1 s and 2 s, with the client leg in text mode answering text pings
 *       ({@code heartbeat.client.mode: text}, {@code text.answer-pings: true}), to an upstream that never sends a
 *       data frame (it only answers ping frames): wsgate's answer is the only possible pong. An echo upstream would
 *       not do: it would send the JSON ping back, which the client logs as business data, not a pong, and a relayed
 *       ping would then not even fail the test by its absence at the upstream.</li>
 * </ol>
 * Both clients run under {@code websockets_debug_log.py}, which only turns on the {@code websockets} library's debug
 * log so that the frames each client sends and receives are in its log.
 */
class SeedHeartbeatIT {

  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final Duration ECHO = Duration.ofSeconds(10);
  /** The seed client's quiet period: six of its 2 s intervals, twelve of wsgate's. */
  private static final Duration QUIET = Duration.ofSeconds(12);
  /** The manual client's quiet period: four and a half of its 2 s pong timeouts. */
  private static final Duration MANUAL_QUIET = Duration.ofSeconds(9);

  private static final String HEARTBEAT = "heartbeat:\n  interval: 1s\n  timeout: 2s\n";
  private static final String SEED_URI_LINE = "    WEBSOCKET_URI = \"ws://localhost:8765\"";
  private static final String WRAPPER = "websockets_debug_log.py";

  private static final String WS_DEBUG = "DEBUG:websockets.client:";
  private static final String OWN_PING = WS_DEBUG + "% sending keepalive ping";
  private static final String OWN_PONG = WS_DEBUG + "% received keepalive pong";
  private static final String PING_IN = WS_DEBUG + "< PING ";
  private static final String PONG_OUT = WS_DEBUG + "> PONG ";
  private static final String RECEIVED = "INFO:root:收到消息: ";
  private static final String PONG_LOGGED = "INFO:root:收到心跳 pong: ";
  private static final String BUSINESS_LOGGED = "INFO:root:收到业务消息: ";
  /** A JSON ping as the websockets library logs it when sent: {@code > TEXT '{"type": "ping", ...}' [45 bytes]}. */
  private static final Pattern JSON_PING_SENT = Pattern.compile(
      Pattern.quote(WS_DEBUG + "> TEXT '") + "(\\{\"type\": \"ping\".*\\})' \\[\\d+ bytes\\]");

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @BeforeEach
  void peersArePresent() throws InterruptedException {
    Peers.requirePythonPeers();
  }

  @Test
  void seedClientWithScaledKeepaliveStaysConnectedThroughQuietIntervals() throws Exception {
    try (PeerProcess server = PythonScripts.start("websockets-echo", dir, "websockets_echo_server.py", "0")) {
      URI upstream = URI.create("ws://127.0.0.1:" + PythonScripts.listeningPort(server, STARTUP));
      try (TestGateway gw = TestGateway.proxying(upstream, HEARTBEAT)) {
        String uri = "ws://127.0.0.1:" + gw.port() + "/quiet";
        Map<String, String> changes = new LinkedHashMap<>();
        changes.put(SEED_URI_LINE, "    WEBSOCKET_URI = \"" + uri + "\"");
        changes.put("ping_interval=20, #", "ping_interval=2, #");
        changes.put("ping_timeout=30, #", "ping_timeout=3, #");
        Path client = PythonScripts.write(dir, "seed_client.py", changes);
        try (PeerProcess seed = underDebugLog("seed-client", client)) {
          seed.awaitStderr("connected", l -> l.equals("INFO:root:已连接到服务器: " + uri), STARTUP);
          gw.awaitSessions(1, ECHO);
          Session session = gw.gateway().sessions().snapshot().get(0);

          Holds.throughout("the seed client connected and its session open, with no data", QUIET,
              () -> seed.exitCode().isEmpty() && seed.stderr().stream().noneMatch(SeedHeartbeatIT::endOrFailure)
                  && gw.gateway().sessions().size() == 1
                  && server.stdout().stream().noneMatch(l -> l.startsWith("CLOSED "))
                  && session.framesFromClient() == 0 && session.framesFromUpstream() == 0,
              seed::transcript);

          List<String> log = seed.stderr();
          long ownPings = count(log, l -> l.equals(OWN_PING));
          long ownPongs = count(log, l -> l.equals(OWN_PONG));
          long pingsIn = count(log, l -> l.startsWith(PING_IN));
          long pongsOut = count(log, l -> l.startsWith(PONG_OUT));
          // After the client's log, and pongs before pings: what wsgate counted can only be ahead of the log, and
          // a leg's pings ahead of its pongs.
          LegCounts clientLeg = LegCounts.of(session, Leg.CLIENT);
          LegCounts upstreamLeg = LegCounts.of(session, Leg.UPSTREAM);
          System.out.printf("[observed] seed client over %s: own keepalive pings %d, answered %d; pings from wsgate"
                  + " %d, answered %d; wsgate client leg %s; upstream leg %s%n", QUIET, ownPings, ownPongs, pingsIn,
              pongsOut, clientLeg, upstreamLeg);

          // The client's own keepalive pings (every 2 s) were answered, by wsgate, which does not relay them:
          // unanswered, the client fails the connection with 1011 after 3 s.
          assertThat(ownPings).as("keepalive pings the seed client sent\n%s", seed.transcript())
              .isGreaterThanOrEqualTo(4);
          assertThat(ownPongs).as("keepalive pongs the seed client received").isBetween(ownPings - 1, ownPings);
          // wsgate pinged the client in the client's quiet seconds, and the client answered.
          assertThat(pingsIn).as("pings from wsgate the client logged").isGreaterThanOrEqualTo(3);
          assertThat(pongsOut).as("pongs the client sent").isBetween(pingsIn - 1, pingsIn);
          assertThat(clientLeg.pings()).as("wsgate's pings on the client leg").isBetween(pingsIn, pingsIn + 1);
          assertThat(clientLeg.pongs()).as("pongs on the client leg")
              .isBetween(clientLeg.pings() - 1, clientLeg.pings());
          assertThat(clientLeg.rttNanos()).as("client leg RTT").isPositive();
          // The upstream, which pings every 20 s, sends nothing in 12 s but the answers to wsgate's pings; at least one
          // such answer per 2.2 s (timeout plus the most jitter) kept it from eviction.
          assertThat(upstreamLeg.pings()).as("wsgate's pings on the upstream leg").isGreaterThanOrEqualTo(5);
          assertThat(upstreamLeg.pongs()).as("pongs on the upstream leg")
              .isBetween(upstreamLeg.pings() - 1, upstreamLeg.pings());
          assertThat(upstreamLeg.rttNanos()).as("upstream leg RTT").isPositive();

          String message = "still here after " + QUIET.toSeconds() + " s of quiet, 还在";
          seed.writeLine(message);
          seed.awaitStderr("the echo after the quiet", l -> l.equals(RECEIVED + message), ECHO);
          seed.writeLine("exit");
          seed.closeStdin();
          int code = seed.awaitExit(Duration.ofSeconds(15));
          assertThat(seed.stderr()).as("the seed client's log\n%s", seed.transcript())
              .noneMatch(SeedHeartbeatIT::failure)
              .filteredOn(l -> l.startsWith(RECEIVED)).containsExactly(RECEIVED + message);
          assertThat(code).as("the seed client's exit code\n%s", seed.transcript()).isZero();
        }
        assertThat(server.awaitStdout("the upstream saw the close", l -> l.startsWith("CLOSED "), ECHO))
            .isEqualTo("CLOSED code=1000 reason=");
        String line = RecordingAppender.await(l -> l.contains(" upstream=" + upstream + " ")
            && l.contains(" route=/ "), ECHO);
        assertThat(line).contains(" frames_in=1 ").contains(" frames_out=1 ")
            .contains(" close_code=1000 closed_by=client end=client-close");
      }
    }
  }

  @Test
  void manualJsonHeartbeatClientIsAnsweredByWsgateInTextMode() throws Exception {
    String yaml = HEARTBEAT + "  client:\n    mode: text\n    text:\n      answer-pings: true\n";
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), yaml)) {
      String uri = "ws://127.0.0.1:" + gw.port() + "/manual";
      Map<String, String> changes = new LinkedHashMap<>();
      changes.put("    ping_interval = 20\n", "    ping_interval = 1\n");
      changes.put("    pong_timeout = 30\n", "    pong_timeout = 2\n");
      changes.put(SEED_URI_LINE, "    WEBSOCKET_URI = \"" + uri + "\"");
      Path client = PythonScripts.write(dir, "seed_manual_heartbeat_client.py", changes);
      PeerProcess seed = underDebugLog("manual-client", client);
      try {
        UpstreamReader atUpstream = new UpstreamReader(upstream.take());
        try {
          seed.awaitStderr("connected", l -> l.equals("INFO:root:连接已建立"), STARTUP);
          gw.awaitSessions(1, ECHO);
          Session session = gw.gateway().sessions().snapshot().get(0);

          Holds.throughout("the manual client connected and answered, its session open, the upstream sent nothing",
              MANUAL_QUIET,
              () -> seed.exitCode().isEmpty() && seed.stderr().stream().noneMatch(SeedHeartbeatIT::endOrFailure)
                  && gw.gateway().sessions().size() == 1 && atUpstream.frames().isEmpty() && atUpstream.open(),
              () -> seed.transcript() + "\nupstream frames: " + atUpstream.frames() + ", end: " + atUpstream.end);

          List<String> log = seed.stderr();
          List<String> pingTexts = new ArrayList<>();
          List<JsonNode> pings = new ArrayList<>();
          for (String l : log) {
            Matcher m = JSON_PING_SENT.matcher(l);
            if (m.matches()) {
              pingTexts.add(m.group(1));
              pings.add(JSON.readTree(m.group(1)));
            }
          }
          List<String> pongTexts = log.stream().filter(l -> l.startsWith(PONG_LOGGED))
              .map(l -> l.substring(PONG_LOGGED.length())).toList();
          List<String> business = log.stream().filter(l -> l.startsWith(BUSINESS_LOGGED)).toList();
          LegCounts clientLeg = LegCounts.of(session, Leg.CLIENT);
          LegCounts upstreamLeg = LegCounts.of(session, Leg.UPSTREAM);
          System.out.printf("[observed] manual client over %s: JSON pings sent %d (logged 已发送心跳 ping: %d),"
                  + " pongs %d, first ping %s, first pong %s, other messages %s; wsgate client leg %s;"
                  + " upstream leg %s%n", MANUAL_QUIET, pings.size(),
              count(log, l -> l.equals("INFO:root:已发送心跳 ping")), pongTexts.size(),
              pingTexts.isEmpty() ? "-" : pingTexts.get(0), pongTexts.isEmpty() ? "-" : pongTexts.get(0), business,
              clientLeg, upstreamLeg);

          // One ping a second for 9 s, each answered: the client waits only 2 s for any message.
          assertThat(pings).as("JSON pings the client sent\n%s", seed.transcript()).hasSizeGreaterThanOrEqualTo(6);
          assertThat(pongTexts.size()).as("pongs the client logged").isBetween(pings.size() - 1, pings.size());
          for (int i = 0; i < pongTexts.size(); i++) {
            JsonNode pong = JSON.readTree(pongTexts.get(i));
            JsonNode ping = pings.get(i);
            assertThat(pong.get("type").asText()).as("pong %d: %s", i, pongTexts.get(i)).isEqualTo("pong");
            assertThat(pong.size()).as("fields of pong %d: %s", i, pongTexts.get(i)).isEqualTo(2);
            assertThat(pong.get("timestamp").isNumber()).as("pong %d: %s", i, pongTexts.get(i)).isTrue();
            assertThat(pong.get("timestamp").doubleValue()).as("timestamp of pong %d (%s) against ping %d (%s)", i,
                pongTexts.get(i), i, pingTexts.get(i)).isEqualTo(ping.get("timestamp").doubleValue());
          }
          // Nothing else reached the client but wsgate's own text ping (sent when the client was quiet for about
          // a second), which the client, which never answers pings, logs as business data.
          assertThat(business).as("other messages the client received")
              .allMatch(l -> l.equals(BUSINESS_LOGGED + "{\"type\":\"ping\"}"));
          assertThat(clientLeg.pings()).as("wsgate's text pings to the client")
              .isBetween((long) business.size(), business.size() + 1L);
          assertThat(upstreamLeg.pings()).as("wsgate's pings on the upstream leg").isGreaterThanOrEqualTo(4);
          assertThat(upstreamLeg.pongs()).as("pongs on the upstream leg")
              .isBetween(upstreamLeg.pings() - 1, upstreamLeg.pings());
          assertThat(session.framesFromClient()).as("data frames relayed from the client").isZero();

          // The seed client only stops on its timeout: it vanishes here, and wsgate tells the upstream.
          seed.close();
          WsFrame close = atUpstream.awaitClose(ECHO);
          assertThat(close.closeCode()).isEqualTo(1001);
          assertThat(atUpstream.frames()).as("what reached the upstream: none of the JSON pings")
              .containsExactly(close);
          String line = RecordingAppender.await(l -> l.contains(" upstream=" + upstream.uri() + " ")
              && l.contains(" route=/ "), ECHO);
          assertThat(line).contains(" frames_in=0 bytes_in=0 frames_out=0 bytes_out=0 ")
              .contains(" closed_by=client end=client-lost");
        } finally {
          atUpstream.stop();
        }
      } finally {
        seed.close(); // again, when the test failed before its end
      }
    }
  }

  /** Runs a seed client script under the wrapper that turns on the websockets library's debug log. */
  private PeerProcess underDebugLog(String name, Path script) throws IOException {
    Path wrapper = PythonScripts.write(dir, WRAPPER, Map.of());
    return PeerProcess.start(name, List.of(Peers.PYTHON.toString(), wrapper.toString(), script.toString()),
        PythonScripts.ENV, dir);
  }

  /** A log line of a client that failed: an error, a closed connection, a keepalive timeout. */
  private static boolean failure(String l) {
    return l.startsWith("ERROR:") || l.startsWith("WARNING:") || l.startsWith("Traceback")
        || l.contains("连接已关闭") || l.contains("failing connection") || l.contains("timed out");
  }

  /** A failure, or a connection that began to close (which is only right once the test says exit). */
  private static boolean endOrFailure(String l) {
    return failure(l) || l.contains("= connection is CLOSING") || l.contains("= connection is CLOSED");
  }

  private static long count(List<String> lines, Predicate<String> p) {
    return lines.stream().filter(p).count();
  }

  /**
   * Reads everything wsgate sends an upstream connection, answering pings (the only thing this upstream ever
   * sends), and records every other frame; answers a close frame with the same, closes the connection and stops.
   */
  private static final class UpstreamReader {
    private final RawUpstream.Conn conn;
    private final List<WsFrame> frames = new ArrayList<>();
    private final Thread thread;
    private volatile IOException end;

    UpstreamReader(RawUpstream.Conn conn) throws IOException {
      this.conn = conn;
      conn.socket().setSoTimeout(60_000); // wsgate pings every second; the test ends sooner
      this.thread = new Thread(this::run, "upstream-reader");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      try {
        while (true) {
          WsFrame f = conn.readData();
          synchronized (frames) {
            frames.add(f);
          }
          if (f.opcode() == WsFrame.CLOSE) {
            conn.send(true, WsFrame.CLOSE, f.payload());
            conn.close(); // the server closes TCP first (RFC 6455, 7.1.1); wsgate waits for it
            return;
          }
        }
      } catch (IOException e) {
        end = e;
      }
    }

    List<WsFrame> frames() {
      synchronized (frames) {
        return List.copyOf(frames);
      }
    }

    boolean open() {
      return end == null && thread.isAlive();
    }

    WsFrame awaitClose(Duration timeout) throws InterruptedException {
      thread.join(timeout.toMillis());
      List<WsFrame> got = frames();
      assertThat(got).as("frames at the upstream (end: %s)", end).isNotEmpty();
      WsFrame last = got.get(got.size() - 1);
      assertThat(last.opcode()).as("the last frame at the upstream: %s", last).isEqualTo(WsFrame.CLOSE);
      return last;
    }

    void stop() throws IOException, InterruptedException {
      conn.close();
      thread.join(5_000);
    }
  }
}
