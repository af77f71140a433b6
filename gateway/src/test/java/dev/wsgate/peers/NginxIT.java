package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import dev.wsgate.testing.AdminClient;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.Holds;
import dev.wsgate.testing.PingAnsweringClient;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import dev.wsgate.testing.WsFrame;
import java.io.EOFException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What wsgate exists for, with a real intermediary: nginx in front of wsgate, proxying WebSocket with
 * {@code proxy_read_timeout 3s} (and {@code proxy_send_timeout 3s}), cuts any upgraded connection on which nothing
 * has moved for 3 s. A client that sends no application data for 15 s stays connected through nginx while wsgate's
 * heartbeat pings it every second ({@code intermediaries.idle-timeout: 3s}, interval 1 s, timeout 2 s); with wsgate's
 * heartbeat off, nginx cuts the same session after about 3 s.
 *
 * <p>The client is a raw WebSocket that answers pings, as a browser does, and sends nothing; the upstream echoes,
 * so it too sends nothing until the client does.
 */
class NginxIT {

  /** The quiet period: five times nginx's idle timeout. */
  private static final Duration QUIET = Duration.ofSeconds(15);
  private static final Duration ECHO = Duration.ofSeconds(10);
  private static final String NGINX_TIMEOUTS = "proxy_read_timeout 3s; proxy_send_timeout 3s;";
  private static final Pattern DURATION = Pattern.compile(" duration_ms=(\\d+) ");

  @TempDir
  Path dir;

  private Path nginx;

  @BeforeEach
  void nginxIsPresent() {
    nginx = Peers.requireNginx();
  }

  @Test
  void wsgateHeartbeatKeepsAQuietSessionAliveThroughNginx() throws Exception {
    String yaml = "intermediaries:\n  idle-timeout: 3s\nheartbeat:\n  interval: 1s\n  timeout: 2s\n";
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway gw = TestGateway.proxying(upstream.uri(), yaml);
         NginxProxy proxy = NginxProxy.start(nginx, dir, gw.port(), NGINX_TIMEOUTS)) {
      try (PingAnsweringClient client = PingAnsweringClient.connect(proxy.address(), "/through-nginx",
          Map.of("X-Request-Id", "nginx-heartbeat-on"))) {
        gw.awaitSessions(1, ECHO);
        Session session = gw.gateway().sessions().snapshot().get(0);

        Holds.throughout("the client's connection through nginx open and its session live, with no data", QUIET,
            () -> client.open() && gw.gateway().sessions().size() == 1
                && session.framesFromClient() == 0 && session.framesFromUpstream() == 0,
            () -> "client: " + client.end() + ", frames " + client.frames() + "\nnginx:\n"
                + String.join("\n", proxy.errorLog()));

        // The client's count first: wsgate's can only be ahead of it.
        int answered = client.pingsAnswered();
        LegCounts clientLeg = LegCounts.of(session, Leg.CLIENT);
        LegCounts upstreamLeg = LegCounts.of(session, Leg.UPSTREAM);
        System.out.printf("[observed] through nginx for %s: client answered %d pings; wsgate client leg %s;"
            + " upstream leg %s%n", QUIET, answered, clientLeg, upstreamLeg);
        // Only wsgate's pings kept nginx from cutting: at least one every 3 s, and wsgate evicts after 2 s of
        // silence, so at least one answered every 2.2 s (timeout plus the most jitter).
        assertThat(client.frames()).as("what reached the client").allMatch(f -> f.opcode() == WsFrame.PING);
        assertThat(answered).as("pings the client answered").isGreaterThanOrEqualTo(6);
        assertThat(clientLeg.pings()).as("wsgate's pings on the client leg")
            .isBetween((long) answered, answered + 1L);
        assertThat(clientLeg.pongs()).as("pongs on the client leg (through nginx)")
            .isBetween(clientLeg.pings() - 1, clientLeg.pings());
        assertThat(clientLeg.rttNanos()).as("client leg RTT").isPositive();
        assertThat(upstreamLeg.pings()).as("wsgate's pings on the upstream leg").isGreaterThanOrEqualTo(6);
        assertThat(upstreamLeg.pongs()).as("pongs on the upstream leg")
            .isBetween(upstreamLeg.pings() - 1, upstreamLeg.pings());

        client.sendText("after 15 s of quiet");
        assertThat(client.nextData(ECHO).text()).isEqualTo("after 15 s of quiet");
        client.sendClose(1000, "done");
        WsFrame close = client.nextData(ECHO);
        assertThat(close.opcode()).as("answer to the client's close: %s", close).isEqualTo(WsFrame.CLOSE);
        assertThat(close.closeCode()).isEqualTo(1000);
        assertThat(client.awaitEnd(ECHO)).as("the connection ends after the close handshake").isTrue();
        assertThat(client.end()).as("how the connection ended").isInstanceOf(EOFException.class);
      }
      String line = RecordingAppender.await(l -> l.contains("request_id=nginx-heartbeat-on "), ECHO);
      assertThat(line).contains(" frames_in=1 ").contains(" frames_out=1 ")
          .contains(" close_code=1000 closed_by=client end=client-close");
      assertThat(durationMs(line)).isGreaterThanOrEqualTo(QUIET.toMillis());
      assertThat(proxy.errorLog()).as("nginx's error log").noneMatch(l -> l.contains("timed out"));
    }
  }

  /**
   * nginx as a trusted proxy ({@code server.trusted-proxies: [127.0.0.1]}), adding the client it saw to
   * {@code X-Forwarded-For} as deploy/nginx does: a client from 127.0.0.5 is that client in wsgate, whatever
   * {@code X-Forwarded-For} it sent itself.
   */
  @Test
  void behindATrustedNginxTheClientIsTheOneNginxSaw() throws Exception {
    String yaml = "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  trusted-proxies: [127.0.0.1]\n";
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), yaml);
         NginxProxy proxy = NginxProxy.start(nginx, dir, gw.port(),
             "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")) {
      Socket socket = RawWebSocket.open(proxy.address(), InetAddress.getByName("127.0.0.5"));
      try (RawWebSocket client = RawWebSocket.handshake(socket, new byte[0], "/", Map.of("X-Forwarded-For",
          "203.0.113.66", "X-Request-Id", "behind-nginx"))) {
        RawUpstream.Conn up = upstream.take();
        assertThat(up.request().header("x-forwarded-for")).isEqualTo("203.0.113.66, 127.0.0.5, 127.0.0.1");
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("127.0.0.5");
        WsEndpoint.closeCleanly(client, up);
      }
      assertThat(RecordingAppender.await(l -> l.contains("request_id=behind-nginx "), ECHO))
          .contains(" client=127.0.0.5 ");
    }
  }

  @Test
  void withoutWsgateHeartbeatNginxCutsTheQuietSession() throws Exception {
    // Heartbeat off on both legs (the global setting); no idle timeout declared, or wsgate would refuse to start.
    String yaml = "intermediaries:\n  idle-timeout: 0\nheartbeat:\n  interval: 0\n";
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway gw = TestGateway.proxying(upstream.uri(), yaml);
         NginxProxy proxy = NginxProxy.start(nginx, dir, gw.port(), NGINX_TIMEOUTS)) {
      try (PingAnsweringClient client = PingAnsweringClient.connect(proxy.address(), "/through-nginx",
          Map.of("X-Request-Id", "nginx-heartbeat-off"))) {
        long opened = System.nanoTime();
        gw.awaitSessions(1, ECHO);
        Session session = gw.gateway().sessions().snapshot().get(0);
        long[] wsgatePings = {0};
        // Bounded well under the 15 s the session survives with the heartbeat on.
        Awaits.until("nginx cuts the quiet connection", Duration.ofSeconds(10), () -> {
          wsgatePings[0] = Math.max(wsgatePings[0],
              session.leg(Leg.CLIENT).pingsSent() + session.leg(Leg.UPSTREAM).pingsSent());
          return !client.open();
        });
        long cutAfterMs = (client.endedAtNanos() - opened) / 1_000_000;
        System.out.printf("[observed] without heartbeat, through nginx: connection ended after %d ms by %s; frames"
            + " before: %s%n", cutAfterMs, client.end(), client.frames());
        assertThat(wsgatePings[0]).as("pings wsgate sent with its heartbeat off").isZero();
        // Not quite 3 s after the 101 (2.8 s to 3.0 s measured): nginx's read timer on wsgate's connection may
        // date from when it sent the request, since nginx leaves an armed timer alone when re-arming it would move
        // it by less than its 300 ms lazy delay.
        assertThat(cutAfterMs).as("ms from the handshake to the cut").isBetween(2_500L, 6_000L);
        // nginx closes both of its connections (TCP FIN) without a close frame: the client reads EOF.
        assertThat(client.end()).as("how the connection ended").isInstanceOf(EOFException.class);
        assertThat(client.frames()).as("frames the client got before the cut").isEmpty();
      }
      assertThat(proxy.process().awaitStderr("nginx logs its timeout",
          l -> l.contains("upstream timed out") && l.contains("while proxying upgraded connection"), ECHO))
          .contains("(110: Connection timed out)");
      // wsgate saw its client leg (nginx's upstream connection) end without a close frame.
      String line = RecordingAppender.await(l -> l.contains("request_id=nginx-heartbeat-off "), ECHO);
      assertThat(line).contains(" frames_in=0 ").contains(" frames_out=0 ")
          .contains(" close_code=1006 closed_by=client end=client-lost");
      assertThat(durationMs(line)).isBetween(2_500L, 6_000L);
    }
  }

  private static long durationMs(String accessLine) {
    Matcher m = DURATION.matcher(accessLine);
    assertThat(m.find()).as("duration in %s", accessLine).isTrue();
    return Long.parseLong(m.group(1));
  }
}
