package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.wsgate.testing.JdkWebSocket;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.TlsEchoUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS on both sides of wsgate: {@code wss://} to clients with the configured PEM certificate and key, and
 * {@code wss://} upstreams verified against the configured CA file, or else the system trust store; every case with
 * each {@link TlsEngine} ({@code -Dwsgate.tls.engine} set around it).
 *
 * <p>The certificates are self-signed for {@code localhost} and {@code 127.0.0.1} (src/test/resources/tls).
 */
class TlsIT {

  private static final String LISTEN = "  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n";

  @Nested
  class WithOpenSsl extends Cases {
    WithOpenSsl() {
      super(TlsEngine.OPENSSL);
    }
  }

  @Nested
  class WithJdk extends Cases {
    WithJdk() {
      super(TlsEngine.JDK);
    }
  }

  abstract static class Cases {
    private final TlsEngine engine;
    private TlsEngines.Forced forced;

    Cases(TlsEngine engine) {
      this.engine = engine;
    }

    @BeforeEach
    void force() {
      assumeThat(TlsEngines.all()).as("OpenSSL loads here: %s", io.netty.handler.ssl.OpenSsl.unavailabilityCause())
          .contains(engine);
      forced = TlsEngines.force(engine);
    }

    @AfterEach
    void restore() {
      if (forced != null) {
        forced.close();
      }
    }

    @ParameterizedTest(name = "{0} certificate")
    @ValueSource(strings = {"rsa", "ec"})
    void clientsConnectWithWssToTheConfiguredCertificateAndEchoThroughAPlainUpstream(String kind) throws Exception {
      try (RawUpstream upstream = RawUpstream.echo();
           TestGateway gw = TestGateway.start("server:\n" + LISTEN + serverTls(kind) + route(upstream.uri()))) {
        assertThat(gw.gateway().tlsEngine()).isEqualTo(engine);
        try (JdkWebSocket client = JdkWebSocket.connect(wss(gw), JdkWebSocket.trusting(tls(kind + "-cert.pem")))) {
          echoTextAndBinary(client);
        }
      }
    }

    /** TLS 1.2's handshake writes more while reading than TLS 1.3's, past the OpenSSL engine's smaller buffer. */
    @ParameterizedTest(name = "{0} certificate")
    @ValueSource(strings = {"rsa", "ec"})
    void aTls12ClientConnectsAndEchoes(String kind) throws Exception {
      try (RawUpstream upstream = RawUpstream.echo();
           TestGateway gw = TestGateway.start("server:\n" + LISTEN + serverTls(kind) + route(upstream.uri()));
           JdkWebSocket client = JdkWebSocket.connect(wss(gw), JdkWebSocket.trusting(tls(kind + "-cert.pem"),
               "TLSv1.2"))) {
        echoTextAndBinary(client);
      }
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateFailsItsTlsHandshake() throws Exception {
      try (RawUpstream upstream = RawUpstream.echo();
           TestGateway gw = TestGateway.start("server:\n" + LISTEN + serverTls("rsa") + route(upstream.uri()))) {
        // The JDK's default trust: the system trust store, which does not hold the self-signed test certificate.
        assertThatThrownBy(() -> JdkWebSocket.connect(wss(gw), null).close())
            .isInstanceOf(ExecutionException.class)
            .cause().isInstanceOf(SSLHandshakeException.class);
      }
    }

    @Test
    void aWssUpstreamTrustedThroughTheConfiguredCaFileEchoes() throws Exception {
      try (TlsEchoUpstream upstream = TlsEchoUpstream.start("127.0.0.1", tls("ec-cert.pem"), tls("ec-key.pem"));
           TestGateway gw = TestGateway.start("upstream:\n  ca-file: \"" + tls("ec-cert.pem") + "\"\n"
               + route(upstream.uri()));
           RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
        client.sendText("over wss upstream");
        assertThat(client.readData().text()).isEqualTo("over wss upstream");
        byte[] binary = randomBytes(100_000);
        client.sendBinary(binary);
        assertThat(client.readData().payload()).isEqualTo(binary);
        client.sendClose(1000, "bye");
        assertThat(client.readClose().closeCode()).isEqualTo(1000);
        assertThat(upstream.sessions()).isEqualTo(1);
      }
    }

    @Test
    void wssOnBothLegs() throws Exception {
      try (TlsEchoUpstream upstream = TlsEchoUpstream.start("127.0.0.1", tls("ec-cert.pem"), tls("ec-key.pem"));
           TestGateway gw = TestGateway.start("server:\n" + LISTEN + serverTls("rsa")
               + "upstream:\n  ca-file: \"" + tls("ec-cert.pem") + "\"\n" + route(upstream.uri()))) {
        try (JdkWebSocket client = JdkWebSocket.connect(wss(gw), JdkWebSocket.trusting(tls("rsa-cert.pem")))) {
          echoTextAndBinary(client);
        }
      }
    }

    @Test
    void aWssUpstreamNotInTheSystemTrustStoreIsRefusedWith502() throws Exception {
      try (TlsEchoUpstream upstream = TlsEchoUpstream.start("127.0.0.1", tls("rsa-cert.pem"), tls("rsa-key.pem"));
           TestGateway gw = TestGateway.proxying(upstream.uri())) {
        RawWebSocket.Response r = RawWebSocket.request(gw.address(), "GET / HTTP/1.1",
            RawWebSocket.handshakeHeaders(gw.address()));
        assertThat(r.status()).as("answer to the client: %s", r.body()).isEqualTo(502);
        assertThat(r.body()).contains(upstream.uri().toString());
        assertThat(upstream.sessions()).isZero();
      }
    }

    @Test
    void aWssUpstreamSignedByAnotherCertificateThanTheCaFileIsRefusedWith502() throws Exception {
      assertRefusedWith502(TlsEchoUpstream.start("127.0.0.1", tls("ec-cert.pem"), tls("ec-key.pem")));
    }

    /** The CA file vouches for the certificate, but the certificate is not for the host wsgate connects to. */
    @Test
    void aWssUpstreamWhoseCertificateIsForAnotherHostIsRefusedWith502() throws Exception {
      assumeThat(canBind("127.0.0.2")).as("127.0.0.2 is a loopback address here (Linux)").isTrue();
      assertRefusedWith502(TlsEchoUpstream.start("127.0.0.2", tls("rsa-cert.pem"), tls("rsa-key.pem")));
    }

    /** wsgate, trusting only rsa-cert.pem, refuses {@code started} with 502 and opens no session to it. */
    private void assertRefusedWith502(TlsEchoUpstream started) throws Exception {
      try (TlsEchoUpstream upstream = started;
           TestGateway gw = TestGateway.start("upstream:\n  ca-file: \"" + tls("rsa-cert.pem") + "\"\n"
               + route(upstream.uri()))) {
        RawWebSocket.Response r = RawWebSocket.request(gw.address(), "GET / HTTP/1.1",
            RawWebSocket.handshakeHeaders(gw.address()));
        assertThat(r.status()).as("answer to the client: %s", r.body()).isEqualTo(502);
        assertThat(upstream.sessions()).isZero();
      }
    }

  }

  // ------------------------------------------------------------------------------------------------ helpers

  private static void echoTextAndBinary(JdkWebSocket client) throws Exception {
    client.sendText("hello over wss");
    assertThat(client.next()).isEqualTo("hello over wss");
    byte[] binary = randomBytes(200_000);
    client.sendBinary(binary);
    assertThat(client.next()).isEqualTo(binary);
    client.sendClose(1000, "bye");
    assertThat(client.next()).isEqualTo(new JdkWebSocket.Close(1000, "bye"));
  }

  private static String serverTls(String kind) throws URISyntaxException {
    return "  tls:\n    cert: \"" + tls(kind + "-cert.pem") + "\"\n    key: \"" + tls(kind + "-key.pem") + "\"\n";
  }

  private static String route(URI upstream) {
    return "routes:\n  - path: /\n    upstreams: [\"" + upstream + "\"]\n";
  }

  private static URI wss(TestGateway gw) {
    return URI.create("wss://127.0.0.1:" + gw.port() + "/");
  }

  private static Path tls(String name) throws URISyntaxException {
    return Path.of(TlsIT.class.getResource("/tls/" + name).toURI());
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private static boolean canBind(String host) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
