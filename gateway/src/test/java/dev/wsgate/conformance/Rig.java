package dev.wsgate.conformance;

import dev.wsgate.config.Leg;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A wsgate in front of a raw upstream, shared by the cases of one class (a JUnit extension: declare it as a static
 * {@code @RegisterExtension} field; it starts before the class's cases and stops after them): each case opens a
 * session of its own, so cases do not interfere, and bad input leaves the shared gateway as it found it (checked
 * with {@link dev.wsgate.testing.Released}).
 */
final class Rig implements BeforeAllCallback, AfterAllCallback {

  /** {@code server.max-frame-size}: wsgate's default, stated so that the limit cases can rely on it. */
  static final int MAX_FRAME_SIZE = 1 << 20;

  private static final AtomicInteger SESSIONS = new AtomicInteger();

  private final String serverKeys;
  private final String routeKeys;
  private RawUpstream upstream;
  private TestGateway gw;

  private Rig(String serverKeys, String routeKeys) {
    this.serverKeys = serverKeys;
    this.routeKeys = routeKeys;
  }

  /**
   * wsgate with one route {@code /} to a raw upstream, and defaults otherwise, but for the heartbeat, which is off:
   * the cases check frame sequences exactly, and a case that runs longer than the heartbeat interval (100,000 tiny
   * frames took 28.7 s on a loaded machine) would see wsgate's ping to the leg that only receives in its sequence.
   * Heartbeats are tested on their own (dev.wsgate.heartbeat).
   */
  static Rig withDefaults() {
    return with("", "");
  }

  /**
   * @param serverKeys further keys of {@code server}, each line indented by two spaces (such as
   *                   {@code "  close-timeout: 500ms\n"})
   * @param routeKeys  further keys of the route, each line indented by four spaces (such as
   *                   {@code "    forward-pings: true\n"})
   */
  static Rig with(String serverKeys, String routeKeys) {
    return new Rig(serverKeys, routeKeys);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
    try {
      gw = TestGateway.start("server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
          + "  max-frame-size: " + MAX_FRAME_SIZE + "\n" + serverKeys
          + "heartbeat:\n  interval: 0\nintermediaries:\n  idle-timeout: 0\n"
          + "routes:\n  - path: /\n" + routeKeys + "    upstreams: [\"" + upstream.uri() + "\"]\n");
    } catch (RuntimeException | Error e) {
      upstream.close();
      throw e;
    }
  }

  TestGateway gw() {
    return gw;
  }

  /** The gateway once no session is live: where a {@code Released} snapshot is taken. */
  TestGateway idle() throws InterruptedException {
    gw.awaitIdle(Duration.ofSeconds(10));
    return gw;
  }

  /** A new session: a raw client connected through wsgate, and the upstream connection wsgate opened for it. */
  Proxied open() throws Exception {
    String id = "conformance-" + SESSIONS.incrementAndGet();
    RawWebSocket client = RawWebSocket.connect(gw.address(), "/", Map.of("X-Request-Id", id));
    try {
      RawUpstream.Conn up = upstream.take();
      // A connection left by an earlier case that failed half-way is not this session's: skip it.
      while (!id.equals(up.request().header("x-request-id"))) {
        up.close();
        up = upstream.take();
      }
      return new Proxied(id, client, up);
    } catch (Exception | Error e) {
      client.close();
      throw e;
    }
  }

  /** Protocol errors counted so far for {@code leg} and {@code code}. */
  double protocolErrors(Leg leg, int code) {
    return gw.gateway().metrics().protocolErrors(leg, code);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      gw.close();
    } finally {
      upstream.close();
    }
  }
}
