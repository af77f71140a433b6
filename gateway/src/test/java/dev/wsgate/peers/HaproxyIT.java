package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.AdminClient;
import dev.wsgate.testing.JdkWebSocket;
import dev.wsgate.testing.ProxyHeaders;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real HAProxy in TCP mode in front of wsgate, announcing each client with a PROXY protocol header (v1:
 * {@code send-proxy}, v2: {@code send-proxy-v2}). Clients connect from 127.0.0.5: that address and the client's own
 * port are what wsgate sees, in {@code /sessions} and the access log, and the upstream's {@code X-Forwarded-For}
 * ends with it. With {@code server.proxy-protocol: on} a client that goes around HAProxy is closed and counted, and
 * gives back what it took; {@code optional} takes both.
 */
class HaproxyIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final InetAddress CLIENT = address("127.0.0.5");

  @TempDir
  Path dir;

  private Path haproxy;

  @BeforeEach
  void requireHaproxy() {
    haproxy = Peers.requireHaproxy();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"send-proxy-v2", "send-proxy"})
  void theClientBehindHaproxyIsTheClientEverywhere(String sendProxy) throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), ProxyHeaders.server("on"));
         HaproxyFront front = HaproxyFront.start(haproxy, dir, gw.port(), sendProxy)) {
      Socket socket = RawWebSocket.open(front.address(), CLIENT);
      String client = "127.0.0.5:" + socket.getLocalPort();
      try (RawWebSocket c = RawWebSocket.handshake(socket, new byte[0], "/", Map.of())) {
        RawUpstream.Conn u = up.take();
        assertThat(u.request().header("x-forwarded-for")).isEqualTo("127.0.0.5");
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly(client);
        c.sendText("through haproxy");
        assertThat(u.readData().text()).isEqualTo("through haproxy");
        WsEndpoint.closeCleanly(c, u);
      }
      RecordingAppender.await(l -> l.contains("session end") && l.contains("client=" + client + " "), WAIT);
      gw.awaitIdle(WAIT);
      assertThat(AdminClient.sample(gw, "wsgate_proxy_protocol_refusals_total")).isZero();
    }
  }

  @Test
  void onRefusesAClientThatGoesAroundHaproxyAndGivesBackWhatItTook() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), ProxyHeaders.server("on"));
         HaproxyFront front = HaproxyFront.start(haproxy, dir, gw.port(), "send-proxy-v2")) {
      try (Socket direct = RawWebSocket.open(gw.address(), CLIENT)) {
        direct.getOutputStream().write(RawWebSocket.head("GET / HTTP/1.1",
            RawWebSocket.handshakeHeaders(gw.address())));
        direct.getOutputStream().flush();
        assertThat(direct.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
      }
      RecordingAppender.await(l -> l.contains("no valid PROXY protocol header") && l.contains("] 127.0.0.5:"), WAIT);
      gw.awaitIdle(WAIT);
      assertThat(gw.gateway().connectionsHeld()).as("permits").isZero();
      assertThat(gw.gateway().sessions().size()).isZero();
      assertThat(AdminClient.sample(gw, "wsgate_proxy_protocol_refusals_total")).isEqualTo(1.0);
      assertThat(up.poll(Duration.ofMillis(1))).as("nothing went upstream").isNull();
      // HAProxy's clients still get through.
      try (RawWebSocket c = RawWebSocket.handshake(RawWebSocket.open(front.address(), CLIENT), new byte[0], "/",
          Map.of())) {
        RawUpstream.Conn u = up.take();
        assertThat(u.request().header("x-forwarded-for")).isEqualTo("127.0.0.5");
        WsEndpoint.closeCleanly(c, u);
      }
    }
  }

  @Test
  void optionalTakesClientsThroughHaproxyAndDirect() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), ProxyHeaders.server("optional"));
         HaproxyFront front = HaproxyFront.start(haproxy, dir, gw.port(), "send-proxy-v2")) {
      for (boolean throughHaproxy : new boolean[] {true, false}) {
        Socket socket = RawWebSocket.open(throughHaproxy ? front.address() : gw.address(), CLIENT);
        String client = "127.0.0.5:" + socket.getLocalPort();
        try (RawWebSocket c = RawWebSocket.handshake(socket, new byte[0], "/", Map.of())) {
          RawUpstream.Conn u = up.take();
          assertThat(u.request().header("x-forwarded-for")).isEqualTo("127.0.0.5");
          assertThat(AdminClient.sessionClients(gw, 1)).as(throughHaproxy ? "through HAProxy" : "direct")
              .containsExactly(client);
          WsEndpoint.closeCleanly(c, u);
        }
        gw.awaitIdle(WAIT);
      }
      assertThat(AdminClient.sample(gw, "wsgate_proxy_protocol_refusals_total")).isZero();
    }
  }

  @Test
  void tlsPassesThroughHaproxyBehindTheHeader() throws Exception {
    Path cert = tls("rsa-cert.pem");
    String tls = "  tls:\n    cert: \"" + cert + "\"\n    key: \"" + tls("rsa-key.pem") + "\"\n";
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(up.uri(), ProxyHeaders.server("on") + tls);
         HaproxyFront front = HaproxyFront.start(haproxy, dir, gw.port(), "send-proxy-v2")) {
      Socket tcp = RawWebSocket.open(front.address(), CLIENT);
      String client = "127.0.0.5:" + tcp.getLocalPort();
      SSLSocket ssl = (SSLSocket) JdkWebSocket.trusting(cert).getSocketFactory().createSocket(tcp, "localhost",
          front.address().getPort(), true);
      try (RawWebSocket c = RawWebSocket.handshake(ssl, new byte[0], "/", Map.of())) {
        RawUpstream.Conn u = up.take();
        assertThat(u.request().header("x-forwarded-proto")).isEqualTo("https");
        assertThat(u.request().header("x-forwarded-for")).isEqualTo("127.0.0.5");
        assertThat(AdminClient.sessionClients(gw, 1)).containsExactly(client);
        WsEndpoint.closeCleanly(c, u);
      }
    }
  }




  private static Path tls(String name) throws Exception {
    return Path.of(HaproxyIT.class.getResource("/tls/" + name).toURI());
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
