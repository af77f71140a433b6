package dev.wsgate.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.JdkWebSocket;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A gateway with live sessions for the status page's tests, in a state known exactly:
 * <ul>
 *   <li>route {@code /a}, round-robin over a live echo upstream and a dead one (a closed port): 4 sessions opened,
 *       one closed by its client with 1000 ({@code client-close}), 3 live, all on the live instance; the dead one
 *       refused one connection (the second handshake's first try) and is down for its back-off (10 min);</li>
 *   <li>route {@code /b}, balanced by hash of {@code query:room} (which its sessions lack: round-robin), the live
 *       upstream: 2 sessions opened, one of them silent and evicted by the client leg's
 *       heartbeat ({@code client-heartbeat}), 1 live;</li>
 *   <li>heartbeat on the client leg (1 s, 2 s), none on the upstream leg; the live clients (the JDK's) answer the
 *       pings, so round trips are recorded on the client leg;</li>
 *   <li>route {@link #MARKUP_ROUTE}, no session;</li>
 *   <li>one reload, applied (the same configuration).</li>
 * </ul>
 */
final class StatusScenario implements AutoCloseable {

  /**
   * A third route, without sessions, whose id is markup (a valid path: no spaces, {@code ?}, {@code #} or
   * {@code //}): the page must show it as text, never as an element.
   */
  static final String MARKUP_ROUTE = "/<b/id=injected>x</b>\"'&";

  final RawUpstream upstream;
  final URI dead;
  final TestGateway gw;
  private final List<JdkWebSocket> clients = new ArrayList<>();

  private StatusScenario(RawUpstream upstream, URI dead, TestGateway gw) {
    this.upstream = upstream;
    this.dead = dead;
    this.gw = gw;
  }

  static StatusScenario start() throws Exception {
    RawUpstream upstream = RawUpstream.echo();
    URI dead = deadUpstream();
    TestGateway gw;
    try {
      gw = TestGateway.start(yaml(upstream.uri(), dead));
    } catch (RuntimeException e) {
      upstream.close();
      throw e;
    }
    StatusScenario s = new StatusScenario(upstream, dead, gw);
    try {
      s.play();
      return s;
    } catch (Exception | AssertionError e) {
      s.close();
      throw e;
    }
  }

  static String yaml(URI live, URI dead) {
    return "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
        + "intermediaries:\n  idle-timeout: 0\n"
        + "upstream:\n  failure-backoff: 10m\n"
        + "heartbeat:\n  interval: 1s\n  timeout: 2s\n  upstream:\n    interval: 0\n    timeout: 0\n"
        + "routes:\n"
        + "  - path: /a\n    balance: round-robin\n    upstreams: [\"" + live + "\", \"" + dead + "\"]\n"
        + "  - path: /b\n    balance: hash\n    hash-key: query:room\n    upstreams: [\"" + live + "\"]\n"
        + "  - path: '" + MARKUP_ROUTE.replace("'", "''") + "'\n    upstreams: [\"" + live + "\"]\n";
  }

  /** A port nothing listens on: one the system gave and that was closed again. */
  private static URI deadUpstream() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return URI.create("ws://127.0.0.1:" + s.getLocalPort() + "/");
    }
  }

  private JdkWebSocket open(String path) throws Exception {
    JdkWebSocket c = JdkWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port() + path), null);
    clients.add(c);
    c.sendText("hello " + path);
    assertThat(c.next()).isEqualTo("hello " + path);
    return c;
  }

  private void play() throws Exception {
    for (int i = 0; i < 4; i++) {
      open("/a");
    }
    gw.awaitSessions(4, Duration.ofSeconds(10));
    JdkWebSocket leaving = clients.remove(clients.size() - 1);
    leaving.sendClose(1000, "bye");
    assertThat(leaving.next()).isInstanceOf(JdkWebSocket.Close.class);
    leaving.close();
    Awaits.until("the session closed by its client counted", Duration.ofSeconds(10),
        () -> gw.gateway().metrics().sessionsEnded(Session.EndCause.CLIENT_CLOSE) == 1);

    open("/b");
    try (RawWebSocket silent = RawWebSocket.connect(gw.address(), "/b")) {
      // Never reads, so never answers a ping: evicted after the client leg's heartbeat timeout.
      Awaits.until("the silent client evicted", Duration.ofSeconds(15),
          () -> gw.gateway().metrics().sessionsEnded(Session.EndCause.CLIENT_HEARTBEAT) == 1);
    }
    Awaits.until("a heartbeat round trip on /a's client leg", Duration.ofSeconds(15),
        () -> gw.gateway().metrics().rtt("/a", Leg.CLIENT).count() > 0);
    assertThat(gw.gateway().reload(gw.gateway().config())).isEmpty();
    gw.awaitSessions(4, Duration.ofSeconds(10));
  }

  int adminPort() {
    return gw.gateway().adminAddress().getPort();
  }

  @Override
  public void close() throws Exception {
    try {
      for (JdkWebSocket c : clients) {
        c.sendClose(1000, "done");
        c.next();
        c.close();
      }
      gw.close();
    } finally {
      upstream.close();
    }
  }
}
