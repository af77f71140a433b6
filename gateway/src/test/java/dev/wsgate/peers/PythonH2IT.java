package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.session.Session;
import dev.wsgate.testing.AdminClient;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.IptablesDrop;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket over HTTP/2 (RFC 8441), cleartext by prior knowledge ({@code server.http2: on}), with a real HTTP/2
 * client: Python's {@code h2} ({@code src/test/resources/peers/h2_websocket_client.py}). Two WebSocket streams on one
 * connection are two sessions to the upstream (HTTP/1.1), echo independently, and closing one leaves the other; a
 * refused stream leaves the connection up. A connection silenced by the network ({@code iptables} DROP) is found dead
 * by wsgate's HTTP/2 PING, and all its sessions are evicted, each upstream told 1001.
 */
class PythonH2IT {

  private static final Duration STEP = Duration.ofSeconds(15);

  @TempDir
  Path dir;

  @BeforeEach
  void requirePython() throws InterruptedException {
    Peers.requirePythonH2();
  }

  @Test
  void twoWebSocketStreamsOnOneConnectionEchoIndependently() throws Exception {
    try (RawUpstream upstream = RawUpstream.echo();
        TestGateway gw = TestGateway.start("""
            server:
              listen: 127.0.0.1:0
              admin: 127.0.0.1:0
              http2: on
            routes:
              - path: /echo
                upstreams: ["%s"]
            """.formatted(upstream.uri()))) {
      try (PeerProcess client = PythonScripts.start("h2 client", dir, "h2_websocket_client.py", "127.0.0.1",
          "" + gw.port(), "/echo")) {
        client.awaitStdout("settings", l -> l.equals("SETTINGS enable_connect_protocol=1"), STEP);
        client.awaitStdout("two streams open", l -> l.equals("OPEN 1 3"), STEP);
        String refused = client.awaitStdout("the refusal", l -> l.startsWith("REFUSED 5 "), STEP);
        assertThat(refused).isEqualTo("REFUSED 5 404 404 Not Found: no route for /nowhere");
        gw.awaitSessions(2, STEP);
        // Each stream holds a place; the connection none of its own while it has streams.
        assertThat(gw.gateway().connectionsHeld()).isEqualTo(2);

        client.writeLine("NEXT");
        client.awaitStdout("echo on 1", l -> l.equals("ECHO 1 hello from a"), STEP);
        client.awaitStdout("echo on 3", l -> l.equals("ECHO 3 hello from b"), STEP);
        client.awaitStdout("echo again on 1", l -> l.equals("ECHO 1 again from a"), STEP);
        String closed = client.awaitStdout("stream 1 closed", l -> l.startsWith("CLOSED 1 "), STEP);
        assertThat(closed).startsWith("CLOSED 1 code=1000 ended=True");
        // Stream 1's session is gone and its place released; stream 3's lives on.
        gw.awaitSessions(1, STEP);
        awaitHeld(gw, 1);

        client.writeLine("NEXT");
        client.awaitStdout("echo on 3", l -> l.equals("ECHO 3 b goes on"), STEP);
        assertThat(client.awaitStdout("stream 3 closed", l -> l.startsWith("CLOSED 3 "), STEP))
            .startsWith("CLOSED 3 code=1000 ended=True");
        client.awaitStdout("done", l -> l.equals("DONE"), STEP);
        assertThat(client.awaitExit(STEP)).as(client.transcript()).isZero();
        assertThat(client.stdout()).noneMatch(l -> l.startsWith("FAIL"));
      }
      // Every session finished and every place released, the connection's too, once the client has gone.
      gw.awaitIdle(STEP);
    }
  }

  /**
   * Three streams on one connection, then every packet of the connection dropped (both ways, by its client port):
   * wsgate's PING (after the client heartbeat's interval of silence) goes unanswered, and at its timeout every
   * session of the connection is evicted as by its own heartbeat: the upstreams get 1001, the evictions count on the
   * client leg, the sessions end as {@code client-heartbeat}. The route's own client heartbeat is off, so that only
   * the connection's PING can find the client dead.
   */
  @Test
  void aSilentlyDeadConnectionIsFoundByPingAndAllItsSessionsAreEvicted() throws Exception {
    IptablesDrop.requireOrSkip("PythonH2IT");
    int streams = 3;
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
        TestGateway gw = TestGateway.start("""
            server:
              listen: 127.0.0.1:0
              admin: 127.0.0.1:0
              http2: on
            intermediaries:
              idle-timeout: 0
            heartbeat:
              client: {interval: 1s, timeout: 3s}
            routes:
              - path: /echo
                upstreams: ["%s"]
                heartbeat:
                  client: {interval: 0}
            """.formatted(upstream.uri()))) {
      try (PeerProcess client = PythonScripts.start("h2 client", dir, "h2_websocket_client.py", "127.0.0.1",
          "" + gw.port(), "/echo", "dead", "" + streams)) {
        String local = client.awaitStdout("its port", l -> l.startsWith("LOCAL "), STEP);
        int clientPort = Integer.parseInt(local.substring("LOCAL ".length()));
        client.awaitStdout("streams open", l -> l.startsWith("OPEN "), STEP);
        List<RawUpstream.Conn> ups = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
          RawUpstream.Conn up = upstream.take();
          String text = up.readData().text();
          assertThat(text).startsWith("hello from ");
          up.sendText(text);
          ups.add(up);
        }
        client.awaitStdout("echoed", l -> l.equals("ECHOED"), STEP);
        gw.awaitSessions(streams, STEP);
        assertThat(gw.gateway().connectionsHeld()).isEqualTo(streams);
        try (IptablesDrop drop = IptablesDrop.connectionOn(clientPort)) {
          client.writeLine("NEXT");
          for (RawUpstream.Conn up : ups) {
            WsFrame close = up.readClose();
            assertThat(close.closeCode()).isEqualTo(1001);
            assertThat(close.closeReason()).isEqualTo("client heartbeat timeout");
            up.sendClose(1001, "");
            up.close();
          }
          gw.awaitIdle(STEP);
        }
        assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.CLIENT_HEARTBEAT)).isEqualTo(streams);
        assertThat(AdminClient.sample(gw, "wsgate_evictions_total{leg=\"client\",route=\"/echo\"}"))
            .isEqualTo(streams);
        client.writeLine("END");
        client.awaitStdout("done", l -> l.equals("DONE"), STEP);
        assertThat(client.awaitExit(STEP)).as(client.transcript()).isZero();
      }
      gw.awaitIdle(STEP);
    }
  }

  private static void awaitHeld(TestGateway gw, int n) throws InterruptedException {
    Awaits.until(n + " places held (held: " + gw.gateway().connectionsHeld() + ")", STEP,
        () -> gw.gateway().connectionsHeld() == n);
  }
}
