package dev.wsgate.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.H2Client;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * {@code balance: hash} end to end: two upstream echo servers that answer each message with their name; sessions
 * with the same header, cookie, query parameter or client address land on the same upstream, sessions without the
 * key go round-robin, and a key whose upstream is down goes to the other; over HTTP/1.1 and HTTP/2 alike.
 */
class HashBalanceIT {

  private DisposableServer one;
  private DisposableServer two;

  /** An upstream that answers every text message {@code m} with {@code NAME:m}. */
  private static DisposableServer namedEcho(String name) {
    return HttpServer.create().host("127.0.0.1").port(0)
        .handle((req, res) -> res.sendWebsocket((in, out) -> out.sendString(
            in.receive().asString().map(text -> name + ":" + text))))
        .bindNow();
  }

  private static URI uri(DisposableServer s) {
    return URI.create("ws://127.0.0.1:" + ((InetSocketAddress) s.address()).getPort());
  }

  @BeforeEach
  void upstreams() {
    one = namedEcho("one");
    two = namedEcho("two");
  }

  @AfterEach
  void stop() {
    for (DisposableServer s : new DisposableServer[] {one, two}) {
      if (!s.isDisposed()) {
        s.disposeNow();
      }
    }
  }

  private TestGateway gateway() {
    String upstreams = "[\"" + uri(one) + "\", \"" + uri(two) + "\"]";
    return TestGateway.start("""
        server: {listen: 127.0.0.1:0, admin: 127.0.0.1:0, http2: on}
        routes:
          - {path: /header, upstreams: %1$s, balance: hash, hash-key: header:X-User-Id}
          - {path: /cookie, upstreams: %1$s, balance: hash, hash-key: cookie:sid}
          - {path: /query, upstreams: %1$s, balance: hash, hash-key: query:room}
          - {path: /address, upstreams: %1$s, balance: hash, hash-key: client-address}
        """.formatted(upstreams));
  }

  /** The name of the upstream a session with these path and headers reached; the session is closed cleanly. */
  private static String upstreamOf(TestGateway gw, String pathAndQuery, Map<String, String> headers)
      throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect(gw.address(), pathAndQuery, headers)) {
      ws.sendText("hi");
      WsFrame answer = ws.readData();
      ws.sendClose(1000, "");
      assertThat(ws.readClose().closeCode()).isEqualTo(1000);
      String text = answer.text();
      assertThat(text).endsWith(":hi");
      return text.substring(0, text.indexOf(':'));
    }
  }

  /** What the route's pool picks for {@code key}, by upstream name. */
  private String expected(TestGateway gw, String path, String key) {
    Route route = gw.gateway().router().route(null, path).orElseThrow();
    URI picked = route.upstreams().pick(null, key).uri();
    return picked.equals(uri(one)) ? "one" : "two";
  }

  private void sameKeySameUpstream(String path, KeyedRequest request) throws Exception {
    try (TestGateway gw = gateway()) {
      Set<String> reached = new HashSet<>();
      for (int k = 0; k < 20; k++) {
        String key = "user-" + k;
        String first = upstreamOf(gw, request.pathAndQuery(path, key), request.headers(key));
        assertThat(first).as("key " + key + " on " + path).isEqualTo(expected(gw, path, key));
        for (int again = 0; again < 2; again++) {
          assertThat(upstreamOf(gw, request.pathAndQuery(path, key), request.headers(key)))
              .as("key " + key + " again on " + path).isEqualTo(first);
        }
        reached.add(first);
      }
      assertThat(reached).as("20 keys spread over both upstreams").containsExactlyInAnyOrder("one", "two");
    }
  }

  /** How a test's client sends its key. */
  private interface KeyedRequest {
    default String pathAndQuery(String path, String key) {
      return path;
    }

    default Map<String, String> headers(String key) {
      return Map.of();
    }
  }

  @Test
  void theSameHeaderReachesTheSameUpstream() throws Exception {
    sameKeySameUpstream("/header", new KeyedRequest() {
      @Override
      public Map<String, String> headers(String key) {
        return Map.of("X-User-Id", key);
      }
    });
  }

  @Test
  void theSameCookieReachesTheSameUpstream() throws Exception {
    sameKeySameUpstream("/cookie", new KeyedRequest() {
      @Override
      public Map<String, String> headers(String key) {
        return Map.of("Cookie", "theme=dark; sid=" + key + "; lang=en");
      }
    });
  }

  @Test
  void theSameQueryParameterReachesTheSameUpstream() throws Exception {
    sameKeySameUpstream("/query", new KeyedRequest() {
      @Override
      public String pathAndQuery(String path, String key) {
        return path + "?v=2&room=" + key;
      }
    });
  }

  @Test
  void overHttp2TheCookieIsFoundAcrossTheCookieHeaders() throws Exception {
    try (TestGateway gw = gateway(); H2Client client = H2Client.connect(gw.address())) {
      Set<String> reached = new HashSet<>();
      for (int k = 0; k < 20; k++) {
        String key = "user-" + k;
        for (int again = 0; again < 2; again++) {
          // HTTP/2 clients send each cookie as a header of its own (RFC 9113, 8.2.3).
          Http2Headers h = new DefaultHttp2Headers().method("CONNECT").path("/cookie").scheme("http")
              .authority("127.0.0.1:" + gw.port());
          h.set(":protocol", "websocket");
          h.set("sec-websocket-version", "13");
          h.add("cookie", "theme=dark");
          h.add("cookie", "sid=" + key);
          H2Client.Stream s = client.request(h);
          assertThat(s.status()).isEqualTo(200);
          s.sendText("hi");
          String text = s.read().text();
          s.sendClose(1000, "");
          assertThat(s.read().closeCode()).isEqualTo(1000);
          s.awaitClosed();
          assertThat(text).as("key " + key).isEqualTo(expected(gw, "/cookie", key) + ":hi");
          reached.add(text);
        }
      }
      assertThat(reached).containsExactlyInAnyOrder("one:hi", "two:hi");
    }
  }

  @Test
  void theSameClientAddressReachesTheSameUpstream() throws Exception {
    try (TestGateway gw = gateway()) {
      String expected = expected(gw, "/address", "127.0.0.1");
      for (int i = 0; i < 4; i++) {
        assertThat(upstreamOf(gw, "/address", Map.of())).isEqualTo(expected);
      }
    }
  }

  @Test
  void sessionsWithoutTheKeyGoRoundRobin() throws Exception {
    try (TestGateway gw = gateway()) {
      List<String> order = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        order.add(upstreamOf(gw, i % 2 == 0 ? "/header" : "/header?room=1", Map.of("Cookie", "sid=s")));
      }
      for (int i = 1; i < order.size(); i++) {
        assertThat(order.get(i)).as("in turn: " + order).isNotEqualTo(order.get(i - 1));
      }
    }
  }

  @Test
  void aKeyWhoseUpstreamIsDownGoesToTheOtherAndStaysThereDuringTheBackoff() throws Exception {
    try (TestGateway gw = gateway()) {
      String key = null;
      for (int k = 0; key == null; k++) {
        if (expected(gw, "/header", "user-" + k).equals("one")) {
          key = "user-" + k;
        }
      }
      assertThat(upstreamOf(gw, "/header", Map.of("X-User-Id", key))).isEqualTo("one");
      one.disposeNow();
      assertThat(upstreamOf(gw, "/header", Map.of("X-User-Id", key))).as("retried on the other").isEqualTo("two");
      assertThat(upstreamOf(gw, "/header", Map.of("X-User-Id", key))).as("one is passed over now")
          .isEqualTo("two");
      Route route = gw.gateway().router().route(null, "/header").orElseThrow();
      assertThat(route.upstreams().instances().get(0).isDown()).isTrue();
      gw.awaitIdle(Duration.ofSeconds(10));
      assertThat(gw.gateway().connectionsHeld()).isZero();
    }
  }
}
