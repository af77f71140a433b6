package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.H2Client;
import dev.wsgate.testing.ProxyHeaders;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code server.max-connections-per-address} end to end: past it a request from that address gets 429 with
 * {@code Retry-After} before anything goes upstream, counted with {@code reason="per_address"}; other addresses are
 * not held back; once a connection of the address closes, a new one gets through; the table is empty once every
 * connection has closed. Through trusted proxies the forwarded address is the one counted, with the PROXY protocol the
 * header's source, and HTTP/2 streams count one each.
 */
class ConnectionsPerAddressIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String LIMITED = "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
      + "  max-connections-per-address: 2\n";

  @Test
  void theThirdConnectionOfAnAddressGets429BeforeAnyUpgrade() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), LIMITED)) {
      InetSocketAddress address = gw.address();
      RawWebSocket a = RawWebSocket.connect(address, "/");
      RawUpstream.Conn aUp = up.take();
      RawWebSocket b = RawWebSocket.connect(address, "/");
      RawUpstream.Conn bUp = up.take();
      assertThat(gw.gateway().connectionsHeldBy("127.0.0.1")).isEqualTo(2);

      RawWebSocket.Response refused = RawWebSocket.request(address, "GET / HTTP/1.1",
          RawWebSocket.handshakeHeaders(address));
      assertThat(refused.status()).isEqualTo(429);
      assertThat(refused.head().header("retry-after")).isEqualTo("5");
      assertThat(refused.body()).isEqualTo("429 Too Many Requests: client address 127.0.0.1 is at "
          + "server.max-connections-per-address (2)\n");
      assertThat(up.poll(Duration.ofMillis(200))).as("no upstream connection for a refused client").isNull();
      assertThat(gw.gateway().metrics().handshakeRejections(429, "per_address")).isEqualTo(1.0);
      assertThat(gw.gateway().scrape())
          .contains("wsgate_handshake_rejections_total{reason=\"per_address\",status=\"429\"} 1.0");

      // Another address is not held back by this one's connections.
      try (RawWebSocket other = RawWebSocket.handshake(RawWebSocket.open(address,
          InetAddress.getByName("127.0.0.2")), new byte[0], "/", Map.of())) {
        WsEndpoint.closeCleanly(other, up.take());
      }

      WsEndpoint.closeCleanly(a, aUp);
      a.close();
      Awaits.until("a's slot back", WAIT, () -> gw.gateway().connectionsHeldBy("127.0.0.1") == 1);
      try (RawWebSocket again = RawWebSocket.connect(address, "/")) {
        WsEndpoint.closeCleanly(again, up.take());
      }
      WsEndpoint.closeCleanly(b, bUp);
      b.close();
      gw.awaitIdle(WAIT);
      Awaits.until("the table empty", WAIT, () -> gw.gateway().clientAddressesHeld() == 0);
    }
  }

  @Test
  void throughTrustedProxiesTheForwardedAddressIsCounted() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), LIMITED + "  trusted-proxies: [127.0.0.1]\n")) {
      InetSocketAddress address = gw.address();
      Map<String, String> client = Map.of("X-Forwarded-For", "198.51.100.1");
      RawWebSocket a = RawWebSocket.connect(address, "/", client);
      RawUpstream.Conn aUp = up.take();
      RawWebSocket b = RawWebSocket.connect(address, "/", client);
      RawUpstream.Conn bUp = up.take();
      assertThat(gw.gateway().connectionsHeldBy("198.51.100.1")).isEqualTo(2);
      assertThat(gw.gateway().connectionsHeldBy("127.0.0.1")).as("the proxy is not the client").isZero();

      Map<String, String> third = RawWebSocket.handshakeHeaders(address);
      third.put("X-Forwarded-For", "198.51.100.1");
      RawWebSocket.Response refused = RawWebSocket.request(address, "GET / HTTP/1.1", third);
      assertThat(refused.status()).isEqualTo(429);
      assertThat(refused.body()).contains("client address 198.51.100.1 ");
      assertThat(up.poll(Duration.ofMillis(200))).isNull();

      // Another client behind the same proxy gets through.
      try (RawWebSocket other = RawWebSocket.connect(address, "/", Map.of("X-Forwarded-For", "198.51.100.2"))) {
        WsEndpoint.closeCleanly(other, up.take());
      }
      closeBothAndAwaitTheTableEmpty(gw, a, aUp, b, bUp);
    }
  }

  @Test
  void withTheProxyProtocolTheHeadersSourceIsCounted() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), LIMITED + "  proxy-protocol: on\n")) {
      InetSocketAddress address = gw.address();
      RawWebSocket a = RawWebSocket.handshake(RawWebSocket.open(address),
          ProxyHeaders.v1("TCP4 192.0.2.44 127.0.0.1 40001 " + gw.port()), "/", Map.of());
      RawUpstream.Conn aUp = up.take();
      RawWebSocket b = RawWebSocket.handshake(RawWebSocket.open(address),
          ProxyHeaders.v1("TCP4 192.0.2.44 127.0.0.1 40002 " + gw.port()), "/", Map.of());
      RawUpstream.Conn bUp = up.take();
      assertThat(gw.gateway().connectionsHeldBy("192.0.2.44")).isEqualTo(2);
      byte[] third = concat(ProxyHeaders.v1("TCP4 192.0.2.44 127.0.0.1 40003 " + gw.port()),
          RawWebSocket.head("GET / HTTP/1.1", RawWebSocket.handshakeHeaders(address)));
      assertThat(RawWebSocket.exchange(address, third).status()).isEqualTo(429);
      assertThat(up.poll(Duration.ofMillis(200))).isNull();
      // Another source behind the same balancer gets through.
      try (RawWebSocket other = RawWebSocket.handshake(RawWebSocket.open(address),
          ProxyHeaders.v1("TCP4 192.0.2.45 127.0.0.1 40004 " + gw.port()), "/", Map.of())) {
        WsEndpoint.closeCleanly(other, up.take());
      }
      closeBothAndAwaitTheTableEmpty(gw, a, aUp, b, bUp);
    }
  }

  @Test
  void aReloadChangesTheCapForNewRequestsTheOpenConnectionsCounted() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), LIMITED)) {
      InetSocketAddress address = gw.address();
      RawWebSocket a = RawWebSocket.connect(address, "/");
      RawUpstream.Conn aUp = up.take();
      RawWebSocket b = RawWebSocket.connect(address, "/");
      RawUpstream.Conn bUp = up.take();
      GatewayConfig lower = ConfigLoader.withEnvironment(Map.of()).parse("server:\n  listen: 127.0.0.1:0\n"
          + "  admin: 127.0.0.1:0\n  max-connections-per-address: 1\nroutes:\n  - path: /\n    upstreams: [\""
          + up.uri() + "\"]\n", "reload.yaml", java.nio.file.Path.of("."));
      gw.gateway().reload(lower);
      WsEndpoint.closeCleanly(a, aUp);
      a.close();
      Awaits.until("a's slot back", WAIT, () -> gw.gateway().connectionsHeldBy("127.0.0.1") == 1);
      RawWebSocket.Response refused = RawWebSocket.request(address, "GET / HTTP/1.1",
          RawWebSocket.handshakeHeaders(address));
      assertThat(refused.status()).as("b still counts against the lower cap").isEqualTo(429);
      assertThat(refused.body()).contains("(1)");
      WsEndpoint.closeCleanly(b, bUp);
      b.close();
      gw.awaitIdle(WAIT);
      try (RawWebSocket again = RawWebSocket.connect(address, "/")) {
        WsEndpoint.closeCleanly(again, up.take());
      }
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void http2StreamsCountOneEach() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), LIMITED + "  http2: on\n")) {
      try (H2Client h2 = H2Client.connect(gw.address())) {
        H2Client.Stream a = h2.websocket("/", Map.of());
        assertThat(a.status()).isEqualTo(200);
        RawUpstream.Conn aUp = up.take();
        H2Client.Stream b = h2.websocket("/", Map.of());
        assertThat(b.status()).isEqualTo(200);
        RawUpstream.Conn bUp = up.take();
        H2Client.Stream c = h2.websocket("/", Map.of());
        assertThat(c.status()).isEqualTo(429);
        assertThat(c.response().get("retry-after")).hasToString("5");
        assertThat(c.body()).contains("server.max-connections-per-address (2)");
        assertThat(up.poll(Duration.ofMillis(200))).isNull();
        a.closeCleanly(aUp);
        Awaits.until("a's slot back", WAIT, () -> gw.gateway().connectionsHeldBy("127.0.0.1") == 1);
        H2Client.Stream d = h2.websocket("/", Map.of());
        assertThat(d.status()).isEqualTo(200);
        d.closeCleanly(up.take());
        b.closeCleanly(bUp);
      }
      gw.awaitIdle(WAIT);
      Awaits.until("the table empty", WAIT, () -> gw.gateway().clientAddressesHeld() == 0);
    }
  }

  /** Closes both sessions cleanly, then waits until the gateway is idle and the per-address table empty. */
  private static void closeBothAndAwaitTheTableEmpty(TestGateway gw, RawWebSocket a, RawUpstream.Conn aUp,
      RawWebSocket b, RawUpstream.Conn bUp) throws Exception {
    WsEndpoint.closeCleanly(a, aUp);
    WsEndpoint.closeCleanly(b, bUp);
    a.close();
    b.close();
    gw.awaitIdle(WAIT);
    Awaits.until("the table empty", WAIT, () -> gw.gateway().clientAddressesHeld() == 0);
  }
}
