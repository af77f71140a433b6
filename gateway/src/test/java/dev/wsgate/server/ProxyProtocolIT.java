package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.AdminClient;
import dev.wsgate.testing.ProxyHeaders;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code server.proxy-protocol} with headers written by the test, v1 and v2, byte for byte: the header's source is
 * the client everywhere (upstream {@code X-Forwarded-For}, {@code /sessions}, the access log); a connection without
 * one ({@code on}) or with a broken one is closed, counted and logged once, and gives its permit back. (A held
 * session keeps nothing of the header's handlers or attributes: HeldSessionIT. HaproxyIT puts a real HAProxy in
 * front.)
 */
class ProxyProtocolIT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void onTakesTheClientFromAV1Header() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), ProxyHeaders.server("on"))) {
      byte[] header = ProxyHeaders.v1("TCP4 127.0.0.5 127.0.0.1 40001 " + gw.port());
      try (RawWebSocket c = RawWebSocket.handshake(RawWebSocket.open(gw.address()), header, "/", Map.of())) {
        RawUpstream.Conn u = up.take();
        assertThat(u.request().header("x-forwarded-for")).isEqualTo("127.0.0.5");
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("127.0.0.5:40001");
        WsEndpoint.closeCleanly(c, u);
      }
      RecordingAppender.await(l -> l.contains("session end") && l.contains("client=127.0.0.5:40001"), WAIT);
    }
  }

  @Test
  void onTakesAnIpv6ClientFromAV2Header() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), ProxyHeaders.server("on"))) {
      byte[] header = ProxyHeaders.v2("2001:db8::5", 40002, "2001:db8::1", gw.port());
      try (RawWebSocket c = RawWebSocket.handshake(RawWebSocket.open(gw.address()), header, "/", Map.of(
          "X-Forwarded-For", "203.0.113.66"))) {
        RawUpstream.Conn u = up.take();
        assertThat(u.request().header("x-forwarded-for")).as("not trusted: kept, and the peer appended")
            .isEqualTo("203.0.113.66, 2001:db8::5");
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("[2001:db8::5]:40002");
        WsEndpoint.closeCleanly(c, u);
      }
      RecordingAppender.await(l -> l.contains("session end") && l.contains("client=[2001:db8::5]:40002"), WAIT);
    }
  }

  @Test
  void onClosesCountsAndLogsOnceAConnectionWithoutHeaderAndGivesItsPermitBack() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), ProxyHeaders.server("on"))) {
      try (Socket s = RawWebSocket.open(gw.address())) {
        String port = Integer.toString(s.getLocalPort());
        s.getOutputStream().write(RawWebSocket.head("GET / HTTP/1.1", RawWebSocket.handshakeHeaders(gw.address())));
        s.getOutputStream().flush();
        assertThat(s.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
        String line = RecordingAppender.await(l -> l.contains("no valid PROXY protocol header")
            && l.contains("] 127.0.0.1:" + port + ": "), WAIT);
        assertThat(line).startsWith("WARN ").contains("server.proxy-protocol: on").doesNotContain("[stack trace]");
      }
      gw.awaitIdle(WAIT);
      assertThat(gw.gateway().connectionsHeld()).isZero();
      assertThat(AdminClient.sample(gw, "wsgate_proxy_protocol_refusals_total")).isEqualTo(1.0);
      assertThat(up.poll(Duration.ofMillis(1))).as("nothing went upstream").isNull();
    }
  }

  @Test
  void optionalTakesConnectionsWithAndWithoutHeaderButRefusesABrokenOne() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), ProxyHeaders.server("optional"))) {
      try (RawWebSocket direct = RawWebSocket.connect(gw.address(), "/")) {
        RawUpstream.Conn u = up.take();
        assertThat(u.request().header("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("127.0.0.1:" + direct.socket().getLocalPort());
        WsEndpoint.closeCleanly(direct, u);
      }
      gw.awaitIdle(WAIT);
      byte[] header = ProxyHeaders.v2("127.0.0.5", 40003, "127.0.0.1", gw.port());
      try (RawWebSocket proxied = RawWebSocket.handshake(RawWebSocket.open(gw.address()), header, "/", Map.of())) {
        RawUpstream.Conn u = up.take();
        assertThat(u.request().header("x-forwarded-for")).isEqualTo("127.0.0.5");
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("127.0.0.5:40003");
        WsEndpoint.closeCleanly(proxied, u);
      }
      try (Socket s = RawWebSocket.open(gw.address())) {
        s.getOutputStream().write(ProxyHeaders.v1("TCP4 127.0.0.5 nonsense"));
        s.getOutputStream().write(RawWebSocket.head("GET / HTTP/1.1", RawWebSocket.handshakeHeaders(gw.address())));
        s.getOutputStream().flush();
        assertThat(s.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
      }
      // Counted before it is logged; the client may see the connection closed before either.
      RecordingAppender.await(l -> l.contains("no valid PROXY protocol header (server.proxy-protocol: optional)")
          && l.contains("PROXY TCP4 127.0.0.5 nonsense"), WAIT);
      gw.awaitIdle(WAIT);
      assertThat(AdminClient.sample(gw, "wsgate_proxy_protocol_refusals_total")).isEqualTo(1.0);
    }
  }

  @Test
  void aLocalHeaderLeavesTheTcpPeerAsTheClient() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), ProxyHeaders.server("on"))) {
      byte[] local = ProxyHeaders.v2Local(); // HAProxy's health checks send LOCAL: no address
      Socket socket = RawWebSocket.open(gw.address());
      try (RawWebSocket c = RawWebSocket.handshake(socket, local, "/", Map.of())) {
        RawUpstream.Conn u = up.take();
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly("127.0.0.1:" + socket.getLocalPort());
        WsEndpoint.closeCleanly(c, u);
      }
    }
  }



}
