package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A backend that is down gives a clean HTTP error, not an upgrade followed by a drop; balancing and health. */
class UpstreamIT {

  private static RawWebSocket.Response handshake(TestGateway gw) throws IOException {
    return RawWebSocket.request(gw.address(), "GET / HTTP/1.1", RawWebSocket.handshakeHeaders(gw.address()));
  }

  /** A loopback port with nothing listening on it. */
  private static int refusingPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Takes the connection that reached a or b (within 10 s), files it under its upstream, and returns that one. */
  private static RawUpstream takeFromEither(RawUpstream a, RawUpstream b,
      Map<RawUpstream, List<RawUpstream.Conn>> taken) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      for (RawUpstream u : new RawUpstream[] {a, b}) {
        RawUpstream.Conn c = u.poll(Duration.ofMillis(10));
        if (c != null) {
          taken.get(u).add(c);
          return u;
        }
      }
    }
    return null;
  }

  private static int sessionsOn(TestGateway gw, RawUpstream upstream) {
    return gw.gateway().router().routes().get(0).upstreams().instances().stream()
        .filter(i -> i.uri().getPort() == upstream.port()).findFirst().orElseThrow().sessions();
  }

  @Test
  void refusedUpstreamIs502() throws Exception {
    int port = refusingPort();
    try (TestGateway gw = TestGateway.proxying(java.net.URI.create("ws://127.0.0.1:" + port))) {
      RawWebSocket.Response r = handshake(gw);
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.body()).startsWith("502 Bad Gateway: cannot connect to upstream ws://127.0.0.1:" + port + "/: ")
          .contains("Connection refused");
    }
  }

  @Test
  void unknownHostIs502() throws Exception {
    try (TestGateway gw = TestGateway.proxying(java.net.URI.create("ws://no-such-host.invalid:9"))) {
      RawWebSocket.Response r = handshake(gw);
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.body()).startsWith("502 Bad Gateway: cannot connect to upstream ws://no-such-host.invalid:9/");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {401, 403, 404, 429, 500, 503})
  void upstreamRefusalStatusIsPassedOn(int status) throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.reject(status));
         TestGateway gw = TestGateway.proxying(upstream.uri())) {
      RawWebSocket.Response r = handshake(gw);
      assertThat(r.status()).isEqualTo(status);
      assertThat(r.body()).contains("upstream " + upstream.uri() + "/ rejected the handshake: " + status);
    }
  }

  @Test
  void upstreamThatAcceptsButNeverAnswersIs504AfterTheConnectTimeout() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.silence());
         TestGateway gw = TestGateway.proxying(upstream.uri(), "upstream:\n  connect-timeout: 600ms\n")) {
      long start = System.nanoTime();
      RawWebSocket.Response r = handshake(gw);
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.body()).isEqualTo("504 Gateway Timeout: no WebSocket handshake answer from " + upstream.uri()
          + "/ within 600ms\n");
      assertThat(elapsedMs).isGreaterThanOrEqualTo(600);
      // The attempt is abandoned: the upstream connection is closed, not left open.
      RawUpstream.Conn conn = upstream.take();
      assertThat(conn.awaitEof(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void upstreamSubprotocolTheClientDidNotOfferIs502() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade(offered -> "other"));
         TestGateway gw = TestGateway.proxying(upstream.uri())) {
      java.util.Map<String, String> h = RawWebSocket.handshakeHeaders(gw.address());
      h.put("Sec-WebSocket-Protocol", "mine");
      RawWebSocket.Response r = RawWebSocket.request(gw.address(), "GET / HTTP/1.1", h);
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.body()).contains("chose subprotocol other, which the client did not offer");
    }
  }

  /**
   * A route without compression offers no extension: an upstream that answers with one would send frames wsgate
   * cannot read.
   */
  @Test
  void upstreamExtensionNobodyOfferedIs502() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgradeWith(
            java.util.Map.of("Sec-WebSocket-Extensions", "permessage-deflate; server_no_context_takeover")));
         TestGateway gw = TestGateway.start("routes:\n  - path: /\n    upstreams: [\"" + upstream.uri()
             + "\"]\n    compression:\n      enabled: false\n")) {
      dev.wsgate.testing.Released before = dev.wsgate.testing.Released.from(gw);
      java.util.Map<String, String> h = RawWebSocket.handshakeHeaders(gw.address());
      h.put("Sec-WebSocket-Extensions", "permessage-deflate");
      RawWebSocket.Response r = RawWebSocket.request(gw.address(), "GET / HTTP/1.1", h);
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.body()).contains("answered with the extension permessage-deflate; server_no_context_takeover, "
          + "which wsgate did not offer");
      RawUpstream.Conn refused = upstream.take();
      assertThat(refused.request().header("sec-websocket-extensions")).as("wsgate offered none").isNull();
      assertThat(refused.awaitEof(Duration.ofSeconds(5))).as("wsgate closed the connection").isTrue();
      refused.close();
      before.assertBack();
    }
  }

  @Test
  void aConnectFailureIsRetriedOnceOnTheNextInstance() throws Exception {
    int dead = refusingPort();
    try (RawUpstream live = RawUpstream.echo();
         TestGateway gw = TestGateway.start("routes:\n  - path: /\n    upstreams: [\"ws://127.0.0.1:" + dead
             + "\", \"" + live.uri() + "\"]\n")) {
      for (int i = 0; i < 4; i++) {
        try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
          client.sendText("hi " + i);
          assertThat(client.readData().text()).isEqualTo("hi " + i);
          client.sendClose(1000, "");
          client.readClose();
        }
      }
    }
  }

  @Test
  void aFailingInstanceIsPassedOverDuringItsBackoff() throws Exception {
    AtomicInteger attemptsOnFlaky = new AtomicInteger();
    try (ServerSocket flaky = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
         RawUpstream live = RawUpstream.echo()) {
      // Accepts and resets at once: a connect failure wsgate can see, on an instance we can count attempts on.
      Thread acceptor = new Thread(() -> {
        while (!flaky.isClosed()) {
          try (Socket s = flaky.accept()) {
            attemptsOnFlaky.incrementAndGet();
            s.setSoLinger(true, 0);
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      try (TestGateway gw = TestGateway.start("upstream:\n  failure-backoff: 1m\nroutes:\n  - path: /\n"
          + "    upstreams: [\"ws://127.0.0.1:" + flaky.getLocalPort() + "\", \"" + live.uri() + "\"]\n")) {
        for (int i = 0; i < 6; i++) {
          try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
            client.sendText("x");
            assertThat(client.readData().text()).isEqualTo("x");
            client.sendClose(1000, "");
            client.readClose();
          }
        }
        assertThat(attemptsOnFlaky.get()).as("tried once, then passed over for the back-off").isEqualTo(1);
        assertThat(gw.gateway().router().routes().get(0).upstreams().instances().get(0).isDown()).isTrue();
      }
    }
  }

  @Test
  void roundRobinTakesEachInstanceInTurn() throws Exception {
    try (RawUpstream a = RawUpstream.start(RawUpstream.Answer.upgrade());
         RawUpstream b = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.start("routes:\n  - path: /\n    upstreams: [\"" + a.uri() + "\", \"" + b.uri()
             + "\"]\n")) {
      List<RawWebSocket> clients = new ArrayList<>();
      List<RawUpstream.Conn> conns = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        clients.add(RawWebSocket.connect(gw.address(), "/"));
        conns.add((i % 2 == 0 ? a : b).take());
      }
      assertThat(a.poll(Duration.ofMillis(100))).isNull();
      assertThat(b.poll(Duration.ofMillis(100))).isNull();
      for (int i = 0; i < 4; i++) {
        clients.get(i).sendClose(1000, "");
        conns.get(i).readClose();
        conns.get(i).sendClose(1000, "");
        conns.get(i).close();
        clients.get(i).close();
      }
    }
  }

  @Test
  void leastSessionsPrefersTheLeastLoadedInstance() throws Exception {
    try (RawUpstream a = RawUpstream.start(RawUpstream.Answer.upgrade());
         RawUpstream b = RawUpstream.start(RawUpstream.Answer.upgrade());
         // The test's clients do not answer close frames: a short close timeout ends those sessions quickly.
         TestGateway gw = TestGateway.start("server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
             + "  close-timeout: 200ms\nroutes:\n  - path: /\n    balance: least-sessions\n    upstreams: [\""
             + a.uri() + "\", \"" + b.uri() + "\"]\n")) {
      Map<RawUpstream, List<RawUpstream.Conn>> taken = Map.of(a, new ArrayList<>(), b, new ArrayList<>());
      List<RawWebSocket> clients = new ArrayList<>();
      // Three sessions: two instances, so one has two and the other one.
      for (int i = 0; i < 3; i++) {
        clients.add(RawWebSocket.connect(gw.address(), "/"));
        RawUpstream got = takeFromEither(a, b, taken);
        assertThat(got).isNotNull();
      }
      RawUpstream busy = taken.get(a).size() == 2 ? a : b;
      RawUpstream idle = busy == a ? b : a;
      assertThat(taken.get(busy)).hasSize(2);
      // Close one session on the busy instance: both have one now; then close the idle one's: it has none.
      RawUpstream.Conn gone = taken.get(idle).remove(0);
      gone.sendClose(1000, "");
      gone.close();
      dev.wsgate.testing.Awaits.until("the idle instance has no session left", Duration.ofSeconds(5),
          () -> sessionsOn(gw, idle) == 0 && sessionsOn(gw, busy) == 2);
      for (int i = 0; i < 2; i++) {
        clients.add(RawWebSocket.connect(gw.address(), "/"));
        taken.get(idle).add(idle.take());
        if (i == 0) {
          assertThat(busy.poll(Duration.ofMillis(100))).as("the idle instance first").isNull();
        }
      }
      for (RawWebSocket c : clients) {
        c.close();
      }
      for (List<RawUpstream.Conn> list : taken.values()) {
        for (RawUpstream.Conn c : list) {
          c.close();
        }
      }
    }
  }

  @Test
  void leastSessionsCountsHandshakesUnderWay() throws Exception {
    try (RawUpstream a = RawUpstream.start(RawUpstream.Answer.upgrade());
         RawUpstream b = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.start("server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
             + "  close-timeout: 200ms\nroutes:\n  - path: /\n    balance: least-sessions\n    upstreams: [\""
             + a.uri() + "\", \"" + b.uri() + "\"]\n")) {
      Map<RawUpstream, List<RawUpstream.Conn>> taken = Map.of(a, new ArrayList<>(), b, new ArrayList<>());
      List<RawWebSocket> clients = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int i = 0; i < 2; i++) {
        clients.add(RawWebSocket.connect(gw.address(), "/"));
        takeFromEither(a, b, taken);
      }
      RawUpstream loaded = taken.get(a).size() == 2 ? a : taken.get(b).size() == 2 ? b : null;
      RawUpstream other = loaded == a ? b : a;
      if (loaded == null) {
        // One each: load one instance with a second session first.
        clients.add(RawWebSocket.connect(gw.address(), "/"));
        loaded = takeFromEither(a, b, taken);
        other = loaded == a ? b : a;
        RawUpstream.Conn extra = taken.get(other).remove(0);
        extra.close();
      }
      // The instances' own counts, not the registry: a client holds its 101 a moment before wsgate registers it.
      int[] expected = {2, 0};
      RawUpstream l = loaded;
      RawUpstream o = other;
      dev.wsgate.testing.Awaits.until("2 sessions on the loaded instance, none on the other", Duration.ofSeconds(5),
          () -> sessionsOn(gw, l) == expected[0] && sessionsOn(gw, o) == expected[1]);
      // A burst of four handshakes at once: two go to the other instance, then one each way, whatever overlaps.
      List<Thread> burst = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Thread t = new Thread(() -> {
          try {
            clients.add(RawWebSocket.connect(gw.address(), "/"));
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
        burst.add(t);
      }
      burst.forEach(Thread::start);
      for (Thread t : burst) {
        t.join(10_000);
      }
      for (int i = 0; i < 4; i++) {
        takeFromEither(a, b, taken);
      }
      assertThat(taken.get(loaded)).as("the loaded instance gets exactly one of the burst").hasSize(3);
      assertThat(taken.get(other)).hasSize(3);
      for (RawWebSocket c : clients) {
        c.close();
      }
      for (List<RawUpstream.Conn> list : taken.values()) {
        for (RawUpstream.Conn c : list) {
          c.close();
        }
      }
    }
  }
}
