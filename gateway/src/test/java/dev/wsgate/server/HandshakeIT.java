package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import dev.wsgate.testing.WsWire;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a client gets before any upgrade: routing, and a clear HTTP answer for every refusal. */
class HandshakeIT {

  private RawUpstream chat;
  private RawUpstream vip;
  private RawUpstream other;
  private TestGateway gw;

  @BeforeEach
  void start() throws Exception {
    chat = RawUpstream.start(RawUpstream.Answer.upgrade());
    vip = RawUpstream.start(RawUpstream.Answer.upgrade());
    other = RawUpstream.start(RawUpstream.Answer.upgrade());
    gw = TestGateway.start("""
        server:
          listen: 127.0.0.1:0
          admin: 127.0.0.1:0
          allowed-origins: [https://app.example.com, "https://*.trusted.example"]
          handshake-timeout: 700ms
        routes:
          - path: /chat
            upstreams: ["ws://127.0.0.1:${CHAT}/ws"]
            headers:
              forward: [X-Tenant]
              add: {X-Gateway: wsgate}
          - path: /chat/vip
            upstreams: ["ws://127.0.0.1:${VIP}"]
          - path: /chat
            host: other.example.com
            upstreams: ["ws://127.0.0.1:${OTHER}"]
        """, Map.of("CHAT", "" + chat.port(), "VIP", "" + vip.port(), "OTHER", "" + other.port()));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      gw.close();
    } finally {
      chat.close();
      vip.close();
      other.close();
    }
  }

  private RawWebSocket.Response handshake(String path, Map<String, String> change) throws Exception {
    Map<String, String> headers = RawWebSocket.handshakeHeaders(gw.address());
    headers.putAll(change);
    headers.values().removeIf(v -> v == null || v.isEmpty());
    return RawWebSocket.request(gw.address(), "GET " + path + " HTTP/1.1", headers);
  }

  @Test
  void noRouteIs404() throws Exception {
    RawWebSocket.Response r = handshake("/nowhere", Map.of());
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.body()).isEqualTo("404 Not Found: no route for /nowhere\n");
    assertThat(r.head().header("x-request-id")).isNotBlank();
    assertThat(r.head().header("connection")).isEqualTo("close");
  }

  @Test
  void prefixMatchesOnSegmentBoundariesOnly() throws Exception {
    assertThat(handshake("/chatroom", Map.of()).status()).isEqualTo(404);
  }

  @Test
  void plainHttpOnARouteIs426() throws Exception {
    RawWebSocket.Response r = RawWebSocket.request(gw.address(), "GET /chat HTTP/1.1",
        Map.of("Host", "localhost"));
    assertThat(r.status()).isEqualTo(426);
    assertThat(r.head().header("upgrade")).isEqualTo("websocket");
    assertThat(r.body()).isEqualTo("426 Upgrade Required: route /chat serves WebSocket only; send Upgrade: websocket\n");
  }

  @Test
  void missingKeyIs400() throws Exception {
    Map<String, String> change = new LinkedHashMap<>();
    change.put("Sec-WebSocket-Key", "");
    RawWebSocket.Response r = handshake("/chat", change);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).isEqualTo("400 Bad Request: missing Sec-WebSocket-Key\n");
  }

  @Test
  void malformedKeyIs400() throws Exception {
    RawWebSocket.Response r = handshake("/chat", Map.of("Sec-WebSocket-Key", "c2hvcnQ="));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).isEqualTo("400 Bad Request: Sec-WebSocket-Key is not 16 bytes in base64\n");
  }

  @Test
  void wrongVersionIs400AndNamesTheVersion() throws Exception {
    RawWebSocket.Response r = handshake("/chat", Map.of("Sec-WebSocket-Version", "8"));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.head().header("sec-websocket-version")).isEqualTo("13");
    assertThat(r.body()).isEqualTo("400 Bad Request: unsupported Sec-WebSocket-Version 8 (expected 13)\n");
  }

  @Test
  void notGetIs400() throws Exception {
    Map<String, String> headers = RawWebSocket.handshakeHeaders(gw.address());
    headers.put("Content-Length", "0");
    RawWebSocket.Response r = RawWebSocket.request(gw.address(), "POST /chat HTTP/1.1", headers);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).isEqualTo("400 Bad Request: a WebSocket handshake is a GET, not POST\n");
  }

  @Test
  void dotSegmentsAre400() throws Exception {
    RawWebSocket.Response r = handshake("/chat/../admin", Map.of());
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).isEqualTo("400 Bad Request: dot segments in the request path /chat/../admin\n");
  }

  @Test
  void originOutsideTheListIs403() throws Exception {
    RawWebSocket.Response r = handshake("/chat", Map.of("Origin", "https://evil.example"));
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.body()).isEqualTo("403 Forbidden: origin https://evil.example is not allowed\n");
    assertThat(gw.gateway().metrics().handshakeRejections(403)).isEqualTo(1.0);
  }

  @Test
  void allowedOriginsExactAndWildcardAndNoOriginAreAccepted() throws Exception {
    for (String origin : new String[] {"https://app.example.com", "https://a.trusted.example", null}) {
      Map<String, String> headers = origin == null ? Map.of() : Map.of("Origin", origin);
      try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/chat", headers)) {
        RawUpstream.Conn up = chat.take();
        assertThat(up.request().header("origin")).as("passed on as sent, never invented").isEqualTo(origin);
        WsEndpoint.closeCleanly(client, up);
      }
    }
    assertThat(handshake("/chat", Map.of("Origin", "https://trusted.example")).status()).as("apex of a wildcard")
        .isEqualTo(403);
    assertThat(handshake("/chat", Map.of("Origin", "http://app.example.com")).status()).as("other scheme")
        .isEqualTo(403);
  }

  @Test
  void longestPrefixAndHostChooseTheRoute() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/chat/vip/room?x=1")) {
      RawUpstream.Conn up = vip.take();
      assertThat(up.request().startLine()).isEqualTo("GET /chat/vip/room?x=1 HTTP/1.1");
      WsEndpoint.closeCleanly(client, up);
    }
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/chat/room?x=1&y=%20")) {
      RawUpstream.Conn up = chat.take();
      // Upstream ws://host/ws: the route prefix /chat is replaced by /ws, the query travels as sent.
      assertThat(up.request().startLine()).isEqualTo("GET /ws/room?x=1&y=%20 HTTP/1.1");
      WsEndpoint.closeCleanly(client, up);
    }
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/chat",
        Map.of("Host", "Other.Example.com:8443"))) {
      RawUpstream.Conn up = other.take();
      assertThat(up.request().startLine()).isEqualTo("GET /chat HTTP/1.1");
      WsEndpoint.closeCleanly(client, up);
    }
  }

  @Test
  void headersGoingUpstream() throws Exception {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Authorization", "Bearer t0ken");
    h.put("Cookie", "a=1; b=2");
    h.put("Origin", "https://app.example.com");
    h.put("User-Agent", "test-agent/1");
    h.put("X-Tenant", "acme");
    h.put("X-Not-Forwarded", "x");
    h.put("Keep-Alive", "timeout=5");
    h.put("Proxy-Authorization", "Basic secret");
    h.put("X-Forwarded-For", "203.0.113.7");
    h.put("Connection", "Upgrade, X-Tenant");
    h.put("Host", "gw.example.com:8080");
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/chat", h)) {
      RawUpstream.Conn up = chat.take();
      WsWire.Head req = up.request();
      assertThat(req.header("authorization")).isEqualTo("Bearer t0ken");
      assertThat(req.header("cookie")).isEqualTo("a=1; b=2");
      assertThat(req.header("origin")).isEqualTo("https://app.example.com");
      assertThat(req.header("user-agent")).isEqualTo("test-agent/1");
      assertThat(req.header("x-tenant")).as("listed in Connection: hop-by-hop").isNull();
      assertThat(req.header("x-not-forwarded")).isNull();
      assertThat(req.header("keep-alive")).isNull();
      assertThat(req.header("proxy-authorization")).isNull();
      assertThat(req.header("x-gateway")).isEqualTo("wsgate");
      assertThat(req.header("x-forwarded-for")).isEqualTo("203.0.113.7, 127.0.0.1");
      assertThat(req.header("x-forwarded-proto")).isEqualTo("http");
      assertThat(req.header("x-forwarded-host")).isEqualTo("gw.example.com:8080");
      assertThat(req.header("host")).isEqualTo("127.0.0.1:" + chat.port());
      String requestId = req.header("x-request-id");
      assertThat(requestId).matches("[0-9a-f]{32}");
      assertThat(client.response().header("x-request-id")).isEqualTo(requestId);
      WsEndpoint.closeCleanly(client, up);
    }
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/chat",
        Map.of("X-Request-Id", "given-id-42", "X-Tenant", "acme"))) {
      RawUpstream.Conn up = chat.take();
      assertThat(up.request().header("x-request-id")).isEqualTo("given-id-42");
      assertThat(up.request().header("x-tenant")).isEqualTo("acme");
      assertThat(client.response().header("x-request-id")).isEqualTo("given-id-42");
      WsEndpoint.closeCleanly(client, up);
    }
  }

  @Test
  void slowHandshakeIsCutAtTheHandshakeTimeout() throws Exception {
    long start = System.nanoTime(); // before connecting: wsgate's timer starts when it accepts
    try (Socket s = RawWebSocket.open(gw.address())) {
      OutputStream out = s.getOutputStream();
      out.write("GET /chat HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      // One header line every 200 ms: each keeps the connection busy, none completes the request.
      InputStream in = s.getInputStream();
      int read = 0;
      for (int i = 0; i < 50 && read >= 0; i++) {
        try {
          out.write(("X-Slow-" + i + ": x\r\n").getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
        } catch (java.io.IOException closed) {
          break;
        }
        s.setSoTimeout(200);
        try {
          read = in.read();
        } catch (java.net.SocketTimeoutException stillOpen) {
          read = 0;
        } catch (java.net.SocketException reset) {
          read = -1;
        }
      }
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      assertThat(read).as("wsgate closed the connection").isEqualTo(-1);
      assertThat(elapsedMs).as("not before the handshake timeout").isGreaterThanOrEqualTo(700);
      assertThat(gw.gateway().metrics().handshakeRejections(408)).isEqualTo(1.0);
    }
  }

  @Test
  void maxConnectionsGives503BeforeAnyUpgrade() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway limited = TestGateway.proxying(up.uri(), "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
             + "  max-connections: 1\n")) {
      InetSocketAddress address = limited.address();
      RawWebSocket first = RawWebSocket.connect(address, "/");
      RawUpstream.Conn firstUp = up.take();
      RawWebSocket.Response refused = RawWebSocket.request(address, "GET / HTTP/1.1",
          RawWebSocket.handshakeHeaders(address));
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.head().header("retry-after")).isEqualTo("1");
      assertThat(refused.body()).isEqualTo("503 Service Unavailable: wsgate is at server.max-connections (1)\n");
      assertThat(up.poll(Duration.ofMillis(200))).as("no upstream connection for a refused client").isNull();
      WsEndpoint.closeCleanly(first, firstUp);
      first.close();
      limited.awaitIdle(Duration.ofSeconds(5));
      try (RawWebSocket again = RawWebSocket.connect(address, "/")) {
        WsEndpoint.closeCleanly(again, up.take());
      }
    }
  }
}
