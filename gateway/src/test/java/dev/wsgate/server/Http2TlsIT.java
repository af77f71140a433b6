package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.H2Client;
import dev.wsgate.testing.JdkWebSocket;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.TestGateway;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code server.http2: on} with {@code server.tls}: HTTP/2 for a client that chooses {@code h2} by ALPN, HTTP/1.1
 * for the others, on one listener; the preface without ALPN's {@code h2} is not HTTP/2.
 */
class Http2TlsIT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private static TestGateway gateway(RawUpstream upstream) throws Exception {
    return TestGateway.start("""
        server:
          listen: 127.0.0.1:0
          admin: 127.0.0.1:0
          http2: on
          tls:
            cert: "%s"
            key: "%s"
        routes:
          - path: /
            upstreams: ["%s"]
        """.formatted(tls("ec-cert.pem"), tls("ec-key.pem"), upstream.uri()));
  }

  @Test
  void aClientThatChoosesH2ByAlpnGetsWebSocketOverHttp2() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
        TestGateway gw = gateway(upstream);
        H2Client client = H2Client.connectTls(gw.address(), "h2", "http/1.1")) {
      assertThat(client.alpn()).isEqualTo("h2");
      assertThat(client.settings().connectProtocolEnabled()).isTrue();
      H2Client.Stream s = client.websocket("/over-tls", Map.of());
      assertThat(s.status()).isEqualTo(200);
      RawUpstream.Conn up = upstream.take();
      assertThat(up.request().header("x-forwarded-proto")).isEqualTo("https");
      gw.awaitSessions(1, WAIT);
      s.sendText("over h2 and TLS");
      assertThat(up.readData().text()).isEqualTo("over h2 and TLS");
      up.sendText("back");
      assertThat(s.read().text()).isEqualTo("back");
      s.closeCleanly(up);
    }
  }

  @Test
  void anHttp11ClientOnTheSameListenerIsServedAsBefore() throws Exception {
    try (RawUpstream upstream = RawUpstream.echo();
        TestGateway gw = gateway(upstream);
        JdkWebSocket client = JdkWebSocket.connect(URI.create("wss://127.0.0.1:" + gw.port() + "/"),
            JdkWebSocket.trusting(tls("ec-cert.pem")))) {
      client.sendText("over HTTP/1.1 and TLS");
      assertThat(client.next()).isEqualTo("over HTTP/1.1 and TLS");
    }
  }

  @Test
  void thePrefaceWithoutAlpnH2IsNotHttp2() throws Exception {
    try (RawUpstream upstream = RawUpstream.echo();
        TestGateway gw = gateway(upstream);
        H2Client client = H2Client.connectTls(gw.address(), "http/1.1")) {
      assertThat(client.alpn()).isEqualTo("http/1.1");
      // HTTP/1.1 takes the preface for a request it refuses, and closes: no SETTINGS ever comes.
      assertThat(client.connection().closeFuture().await(WAIT.toMillis())).isTrue();
      assertThat(client.settingsIfAny()).isNull();
    }
  }

  private static Path tls(String name) throws Exception {
    return Path.of(Http2TlsIT.class.getResource("/tls/" + name).toURI());
  }
}
