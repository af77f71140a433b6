package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.AdminClient;
import dev.wsgate.testing.ProxyHeaders;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code server.trusted-proxies} end to end: from a trusted peer the right-most untrusted entry of its header is the
 * client (in {@code /sessions} and the access log), from any other peer the header is not believed; upstream the
 * list is extended with the peer either way. With the PROXY protocol the peer is the header's source, not the TCP
 * peer.
 */
class TrustedProxiesIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String CHAIN = "198.51.100.1, 203.0.113.7, 10.0.0.1";
  private static final String TRUSTING = "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
      + "  trusted-proxies: [127.0.0.1, 10.0.0.0/8]\n";

  @Test
  void fromATrustedPeerTheRightMostUntrustedEntryIsTheClient() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), TRUSTING)) {
      try (RawWebSocket c = RawWebSocket.connect(gw.address(), "/", Map.of("X-Forwarded-For", CHAIN,
          "X-Request-Id", "trusted-xff"))) {
        RawUpstream.Conn u = up.take();
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("203.0.113.7");
        assertThat(u.request().header("x-forwarded-for")).isEqualTo(CHAIN + ", 127.0.0.1");
        WsEndpoint.closeCleanly(c, u);
      }
      assertThat(RecordingAppender.await(l -> l.contains("request_id=trusted-xff "), WAIT))
          .contains(" client=203.0.113.7 ");
    }
  }

  @Test
  void fromAPeerThatIsNotTrustedTheHeaderIsNotBelieved() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), TRUSTING)) {
      Socket socket = RawWebSocket.open(gw.address(), InetAddress.getByName("127.0.0.5"));
      try (RawWebSocket c = RawWebSocket.handshake(socket, new byte[0], "/", Map.of("X-Forwarded-For", CHAIN))) {
        RawUpstream.Conn u = up.take();
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("127.0.0.5:" + socket.getLocalPort());
        assertThat(u.request().header("x-forwarded-for")).as("kept, with the peer appended")
            .isEqualTo(CHAIN + ", 127.0.0.5");
        WsEndpoint.closeCleanly(c, u);
      }
    }
  }

  @Test
  void forwardedWhenTheProxiesWriteIt() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), TRUSTING + "  client-address-header: forwarded\n")) {
      try (RawWebSocket c = RawWebSocket.connect(gw.address(), "/", Map.of(
          "Forwarded", "for=198.51.100.1;proto=https, for=\"[2001:db8::7]:4711\"",
          "X-Forwarded-For", "192.0.2.66"))) {
        RawUpstream.Conn u = up.take();
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("[2001:db8::7]:4711");
        assertThat(u.request().header("forwarded"))
            .isEqualTo("for=198.51.100.1;proto=https, for=\"[2001:db8::7]:4711\", for=127.0.0.1");
        assertThat(u.request().header("x-forwarded-for")).isEqualTo("192.0.2.66, 127.0.0.1");
        WsEndpoint.closeCleanly(c, u);
      }
    }
  }

  @Test
  void withTheProxyProtocolThePeerIsTheHeadersSource() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), TRUSTING + "  proxy-protocol: on\n")) {
      // A trusted proxy (10.0.0.9) behind the L4 balancer: its X-Forwarded-For is believed.
      byte[] trusted = ProxyHeaders.v1("TCP4 10.0.0.9 127.0.0.1 40001 " + gw.port());
      try (RawWebSocket c = RawWebSocket.handshake(RawWebSocket.open(gw.address()), trusted, "/",
          Map.of("X-Forwarded-For", CHAIN))) {
        RawUpstream.Conn u = up.take();
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("203.0.113.7");
        assertThat(u.request().header("x-forwarded-for")).isEqualTo(CHAIN + ", 10.0.0.9");
        WsEndpoint.closeCleanly(c, u);
      }
      gw.awaitIdle(WAIT);
      // The TCP peer (127.0.0.1) is trusted, the client the header names is not: the header is not believed.
      byte[] stranger = ProxyHeaders.v1("TCP4 192.0.2.44 127.0.0.1 40002 " + gw.port());
      try (RawWebSocket c = RawWebSocket.handshake(RawWebSocket.open(gw.address()), stranger, "/",
          Map.of("X-Forwarded-For", CHAIN))) {
        RawUpstream.Conn u = up.take();
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("192.0.2.44:40002");
        WsEndpoint.closeCleanly(c, u);
      }
    }
  }
}
