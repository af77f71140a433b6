package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wsgate.testing.AdminClient;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real HAProxy 2.6 in HTTP mode in front of wsgate, speaking HTTP/2 to it and carrying WebSocket over it (RFC 8441:
 * {@code server ... proto h2 ws h2}): a WebSocket client on HTTP/1.1 to HAProxy echoes through HAProxy and wsgate,
 * and wsgate sees the session's client leg as an HTTP/2 stream ({@code /sessions}: {@code client_protocol h2}). In
 * cleartext (h2c by prior knowledge) and over TLS ({@code ssl alpn h2}). {@code proto h2} forces HTTP/2: with
 * {@code alpn h2} alone HAProxy falls back to HTTP/1.1, silently, when the server does not choose h2.
 *
 * <p>wsgate's {@code handshake-timeout} is short, so that the HTTP/2 connection HAProxy keeps for reuse, without
 * streams once the session ended, is closed by wsgate (GOAWAY) and every place of {@code max-connections} is back.
 */
class HaproxyH2IT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  private Path haproxy;

  @BeforeEach
  void requireHaproxy() {
    haproxy = Peers.requireHaproxy();
  }

  @Test
  void webSocketOverCleartextHttp2FromHaproxy() throws Exception {
    echoThroughHaproxy("", "proto h2 ws h2");
  }

  @Test
  void webSocketOverHttp2OverTlsFromHaproxy() throws Exception {
    String tls = "  tls:\n    cert: \"" + tls("rsa-cert.pem") + "\"\n    key: \"" + tls("rsa-key.pem") + "\"\n";
    echoThroughHaproxy(tls, "ssl verify none alpn h2 proto h2 ws h2");
  }

  private void echoThroughHaproxy(String serverExtra, String serverOptions) throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
             + "  http2: on\n  handshake-timeout: 2s\n" + serverExtra);
         HaproxyFront front = HaproxyFront.startHttp(haproxy, dir, gw.port(), serverOptions)) {
      try (RawWebSocket c = RawWebSocket.connect(front.address(), "/through?q=1")) {
        RawUpstream.Conn u = up.take();
        assertThat(u.request().startLine()).isEqualTo("GET /through?q=1 HTTP/1.1");
        gw.awaitSessions(1, WAIT);
        JsonNode session = new ObjectMapper().readTree(AdminClient.get(gw, "/sessions").body()).get("sessions")
            .get(0);
        assertThat(session.get("client_protocol").asText()).as("wsgate's client leg").isEqualTo("h2");
        c.sendText("through haproxy over h2");
        assertThat(u.readData().text()).isEqualTo("through haproxy over h2");
        u.sendText("and back");
        assertThat(c.readData().text()).isEqualTo("and back");
        WsEndpoint.closeCleanly(c, u);
      }
      gw.awaitIdle(WAIT);
    }
  }

  private static Path tls(String name) throws Exception {
    return Path.of(HaproxyH2IT.class.getResource("/tls/" + name).toURI());
  }
}
