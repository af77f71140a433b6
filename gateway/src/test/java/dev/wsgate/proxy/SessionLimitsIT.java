package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.session.Session;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.LivePeer;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import java.io.EOFException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A route's own session limits, end to end: {@code max-idle} closes a session without application data either way
 * for that long (heartbeats are not application data) with 1001 "idle" on both legs, and spares one that keeps
 * exchanging data; {@code max-session-age}, drawn per session in {@code [age - jitter, age]}, closes sessions with
 * 1001 "max session age" on both legs, busy or idle.
 *
 * <h2>The windows, from {@link ProxySession}</h2>
 * The limits have no timer of their own: {@code checkLimits} runs on every idle tick of either leg (its
 * {@code HeartbeatHandler}'s tick) and, for the age, on every read batch that carried data. So a limit
 * reached at {@code D} is acted on at the next check after {@code D}:
 * <ul>
 *   <li>a quiet session with heartbeats: each leg ticks after {@code tick} of inbound silence, pings, and its pong
 *       restarts the count, so checks come every {@code tick} plus a round trip on each leg, where
 *       {@code tick = (timeout + jitter) / n} ({@link dev.wsgate.heartbeat.HeartbeatTiming}): for interval 1 s and
 *       timeout 2 s, {@code n = 2} and jitter below 200 ms, so at most 1.1 s;</li>
 *   <li>a quiet session without heartbeat: {@code HeartbeatTiming.checksOnly}, a tick of a tenth of the smallest
 *       limit (at least 100 ms), every tick of silence;</li>
 *   <li>a busy session (age only): its next read batch with data, so at most the gap between its messages.</li>
 * </ul>
 * Every window below is {@code [D, D + that gap + 200 ms]}, the 200 ms for timer and thread scheduling latency on a
 * loaded machine (and the close frame's way to the peer), the same allowance wsgate keeps for its eviction promise.
 */
class SessionLimitsIT {

  /**
   * Longer than the spread of the closes a test waits through before it answers them (two age limits drawn 1 s
   * apart): each close is answered, never cut by the close timer.
   */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration LATENCY = Duration.ofMillis(200);
  /** The longest heartbeat tick with interval 1 s and timeout 2 s: (2 s + 200 ms jitter) / 2. */
  private static final Duration HEARTBEAT_TICK = Duration.ofMillis(1100);

  private static final String HEARTBEAT_ON = "heartbeat:\n  interval: 1s\n  timeout: 2s\n";
  private static final String HEARTBEAT_OFF = "heartbeat:\n  interval: 0\n  timeout: 0\n";

  private static TestGateway gateway(URI upstream, String heartbeat, String routeLimits) {
    return TestGateway.start("server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  close-timeout: "
        + CLOSE_TIMEOUT.toMillis() + "ms\nintermediaries:\n  idle-timeout: 0\n" + heartbeat
        + "routes:\n  - path: /\n    upstreams: [\"" + upstream + "\"]\n" + routeLimits);
  }

  // ------------------------------------------------------------------------------------------------ max-idle

  @ParameterizedTest(name = "heartbeat {0}")
  @ValueSource(strings = {"on", "off"})
  void maxIdleClosesAQuietSessionOnBothLegs(String heartbeat) throws Exception {
    Duration maxIdle = Duration.ofSeconds(3);
    boolean pinging = heartbeat.equals("on");
    // Without heartbeat the checks tick at a tenth of max-idle.
    Duration gap = pinging ? HEARTBEAT_TICK : maxIdle.dividedBy(10);
    String requestId = "max-idle-" + heartbeat;
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = gateway(upstream.uri(), pinging ? HEARTBEAT_ON : HEARTBEAT_OFF, "    max-idle: 3s\n");
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/", Map.of("X-Request-Id", requestId))) {
      RawUpstream.Conn up = upstream.take();
      long tSend = System.nanoTime();
      client.sendText("the last data");
      assertThat(up.readData().text()).isEqualTo("the last data");
      long tRecv = System.nanoTime();
      // From now on both peers only answer pings: heartbeat traffic, no application data.
      LivePeer atClient = LivePeer.of(client);
      LivePeer atUpstream = LivePeer.of(up);

      LivePeer.Arrival toClient = atClient.takeData(maxIdle.plusSeconds(5));
      LivePeer.Arrival toUpstream = atUpstream.takeData(maxIdle.plusSeconds(5));
      for (LivePeer.Arrival a : new LivePeer.Arrival[] {toClient, toUpstream}) {
        assertThat(a.frame().opcode()).isEqualTo(WsFrame.CLOSE);
        assertThat(a.frame().closeCode()).isEqualTo(1001);
        assertThat(a.frame().closeReason()).isEqualTo("idle");
        assertInWindow("idle close", tSend, tRecv, a.nanos(), maxIdle, gap);
      }
      System.out.printf("MAX-IDLE (heartbeat %s, max-idle 3 s): closed %.1f ms (client) and %.1f ms (upstream) after"
              + " the last data arrived (%.1f ms after it was sent); pongs during the idle time: client %d, upstream"
              + " %d%n", heartbeat, (toClient.nanos() - tRecv) / 1e6, (toUpstream.nanos() - tRecv) / 1e6,
          (toClient.nanos() - tSend) / 1e6, atClient.pongsSent(), atUpstream.pongsSent());
      if (pinging) {
        // About one ping per second on each leg: the heartbeat ran, and did not count as data.
        assertThat(atClient.pongsSent()).as("pings answered by the client").isGreaterThanOrEqualTo(2);
        assertThat(atUpstream.pongsSent()).as("pings answered by the upstream").isGreaterThanOrEqualTo(2);
      } else {
        assertThat(atClient.pongsSent() + atUpstream.pongsSent()).as("pings without heartbeat").isZero();
      }

      answerClose(atClient, client, atUpstream, up);
      gw.awaitIdle(Duration.ofSeconds(5));
      assertThat(RecordingAppender.await(l -> l.contains("request_id=" + requestId), Duration.ofSeconds(5)))
          .contains("close_code=1001", "closed_by=gateway", "end=max-idle", "close_reason=idle");
      assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.MAX_IDLE)).isEqualTo(1.0);
    }
  }

  @ParameterizedTest(name = "data {0}")
  @ValueSource(strings = {"client-to-upstream", "upstream-to-client"})
  void maxIdleSparesASessionThatKeepsExchangingData(String direction) throws Exception {
    Duration maxIdle = Duration.ofMillis(1500);
    Duration cadence = Duration.ofMillis(500);
    Duration run = maxIdle.multipliedBy(4);
    String requestId = "busy-" + direction;
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = gateway(upstream.uri(), HEARTBEAT_ON, "    max-idle: 1500ms\n");
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/", Map.of("X-Request-Id", requestId))) {
      RawUpstream.Conn up = upstream.take();
      long start = System.nanoTime();
      int sent = 0;
      // Data one way only: the other way carries nothing but the heartbeat, and the session is still not idle.
      while (System.nanoTime() - start < run.toNanos()) {
        String text = "message " + sent++;
        if (direction.equals("client-to-upstream")) {
          client.sendText(text);
          assertThat(up.readData()).as("what the upstream gets").isEqualTo(textFrame(text));
        } else {
          up.sendText(text);
          assertThat(client.readData()).as("what the client gets").isEqualTo(textFrame(text));
        }
        LockSupport.parkNanos(cadence.toNanos()); // the sender's cadence, not a wait for anything
      }
      assertThat(gw.gateway().sessions().size()).isEqualTo(1);
      Session session = gw.gateway().sessions().snapshot().get(0);
      assertThat(session.endCause()).as("a session with data every %s outlives max-idle %s", cadence, maxIdle)
          .isNull();
      assertThat(sent).isGreaterThanOrEqualTo((int) (run.toMillis() / (cadence.toMillis() + 200)));

      client.sendClose(1000, "done");
      assertThat(up.readClose().closeCode()).isEqualTo(1000);
      up.sendClose(1000, "done");
      assertThat(client.readClose().closeCode()).isEqualTo(1000);
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      up.close();
      assertThat(RecordingAppender.await(l -> l.contains("request_id=" + requestId), Duration.ofSeconds(5)))
          .contains("end=client-close");
      assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.MAX_IDLE)).isZero();
    }
  }

  // ------------------------------------------------------------------------------------------- max-session-age

  /**
   * Two sessions on a route with {@code max-session-age: 3s} and {@code max-session-age-jitter: 1s}, so each has its
   * own limit in [2 s, 3 s]: an idle one (its peers only answer pings) is closed at the idle tick after its limit, a
   * busy one (a message each way every 200 ms) at the read after it.
   */
  @Test
  void maxSessionAgeClosesBusyAndIdleSessionsOnBothLegs() throws Exception {
    Duration maxAge = Duration.ofSeconds(3);
    Duration jitter = Duration.ofSeconds(1);
    Duration cadence = Duration.ofMillis(200);
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = gateway(upstream.uri(), HEARTBEAT_ON,
             "    max-session-age: 3s\n    max-session-age-jitter: 1s\n");
         RawWebSocket idleClient = RawWebSocket.connect(gw.address(), "/", Map.of("X-Request-Id", "age-idle"));
         RawWebSocket busyClient = RawWebSocket.connect(gw.address(), "/", Map.of("X-Request-Id", "age-busy"))) {
      RawUpstream.Conn idleUp = upstream.take();
      RawUpstream.Conn busyUp = upstream.take();
      Session idle = session(gw, "age-idle");
      Session busy = session(gw, "age-busy");
      LivePeer idleAtClient = LivePeer.of(idleClient);
      LivePeer idleAtUpstream = LivePeer.of(idleUp);

      // The busy session: a message each way every 200 ms until each peer has its close frame. Its peers read in
      // the background too (so that a close's arrival is timed when it arrives, not when the test looks).
      LivePeer busyAtClient = LivePeer.of(busyClient);
      LivePeer busyAtUpstream = LivePeer.of(busyUp);
      long deadline = System.nanoTime() + maxAge.plusSeconds(5).toNanos();
      int sent = 0;
      while (busyAtClient.closeArrival() == null || busyAtUpstream.closeArrival() == null) {
        assertThat(System.nanoTime() - deadline).as("the busy session closed in time").isNegative();
        if (busyAtUpstream.closeArrival() == null) {
          busyAtClient.sendText("c" + sent);
        }
        if (busyAtClient.closeArrival() == null) {
          busyAtUpstream.sendText("u" + sent);
        }
        sent++;
        LockSupport.parkNanos(cadence.toNanos()); // the peers' cadence, not a wait for anything
      }
      long[] busyClosed = {busyAtUpstream.closeArrival().nanos(), busyAtClient.closeArrival().nanos()};
      for (LivePeer p : new LivePeer[] {busyAtClient, busyAtUpstream}) {
        int texts = 0;
        for (WsFrame f; (f = p.nextData(Duration.ofSeconds(1))).opcode() != WsFrame.CLOSE; texts++) {
          assertThat(f.opcode()).isEqualTo(WsFrame.TEXT);
        }
        assertThat(texts).as("messages before the close").isGreaterThanOrEqualTo(5);
        assertThat(p.pongsSent()).as("a busy leg is not pinged").isZero();
      }
      assertAgeClose(busyAtClient.closeArrival().frame());
      assertAgeClose(busyAtUpstream.closeArrival().frame());
      answerClose(busyAtClient, busyClient, busyAtUpstream, busyUp);

      LivePeer.Arrival idleToClient = idleAtClient.takeData(maxAge.plusSeconds(5));
      LivePeer.Arrival idleToUpstream = idleAtUpstream.takeData(maxAge.plusSeconds(5));
      assertAgeClose(idleToClient.frame());
      assertAgeClose(idleToUpstream.frame());

      System.out.printf("MAX-SESSION-AGE (3 s, jitter 1 s): busy session closed at %.1f ms (upstream) / %.1f ms"
              + " (client) of age, idle session at %.1f ms / %.1f ms; the idle one answered %d + %d pings%n",
          (busyClosed[0] - busy.openedAtNanos()) / 1e6, (busyClosed[1] - busy.openedAtNanos()) / 1e6,
          (idleToUpstream.nanos() - idle.openedAtNanos()) / 1e6, (idleToClient.nanos() - idle.openedAtNanos()) / 1e6,
          idleAtClient.pongsSent(), idleAtUpstream.pongsSent());
      // Session.openedAtNanos() is taken just before the session's age starts counting (ProxySession's start).
      for (long at : busyClosed) {
        assertInWindow("busy session's age close", busy.openedAtNanos(), busy.openedAtNanos(), at,
            maxAge.minus(jitter), jitter.plus(cadence));
      }
      for (long at : new long[] {idleToClient.nanos(), idleToUpstream.nanos()}) {
        assertInWindow("idle session's age close", idle.openedAtNanos(), idle.openedAtNanos(), at,
            maxAge.minus(jitter), jitter.plus(HEARTBEAT_TICK));
      }
      assertThat(idleAtClient.pongsSent() + idleAtUpstream.pongsSent()).as("the idle session's heartbeats")
          .isGreaterThanOrEqualTo(2);

      answerClose(idleAtClient, idleClient, idleAtUpstream, idleUp);
      gw.awaitIdle(Duration.ofSeconds(5));
      for (String id : new String[] {"age-idle", "age-busy"}) {
        assertThat(RecordingAppender.await(l -> l.contains("request_id=" + id), Duration.ofSeconds(5)))
            .contains("close_code=1001", "closed_by=gateway", "end=max-age", "close_reason=\"max session age\"");
      }
      assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.MAX_AGE)).isEqualTo(2.0);
    }
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private static void assertAgeClose(WsFrame f) {
    assertThat(f.opcode()).isEqualTo(WsFrame.CLOSE);
    assertThat(f.closeCode()).isEqualTo(1001);
    assertThat(f.closeReason()).isEqualTo("max session age");
  }

  /**
   * A close that falls due {@code limit} after an event known to lie in [{@code from}, {@code to}] arrived within
   * [limit, limit + gap + latency] of it: never before {@code from + limit}, never after
   * {@code to + limit + gap + LATENCY}.
   */
  private static void assertInWindow(String what, long from, long to, long arrived, Duration limit, Duration gap) {
    assertThat(Duration.ofNanos(arrived - from)).as("%s: not before %s", what, limit)
        .isGreaterThanOrEqualTo(limit);
    assertThat(Duration.ofNanos(arrived - to)).as("%s: within %s + %s + %s", what, limit, gap, LATENCY)
        .isLessThanOrEqualTo(limit.plus(gap).plus(LATENCY));
  }

  /** Both peers answer wsgate's close frames: the client's TCP is closed by wsgate, the upstream closes its own. */
  private static void answerClose(LivePeer atClient, RawWebSocket client, LivePeer atUpstream, RawUpstream.Conn up)
      throws Exception {
    atClient.stopAnswering();
    atUpstream.stopAnswering();
    client.sendClose(1001, "");
    up.sendClose(1001, "");
    up.close();
    assertThat(atClient.awaitEnd(Duration.ofSeconds(5))).as("wsgate closes the client's TCP")
        .isInstanceOf(EOFException.class);
  }

  private static WsFrame textFrame(String text) {
    return new WsFrame(true, 0, WsFrame.TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  private static Session session(TestGateway gw, String requestId) throws InterruptedException {
    Awaits.until("a session for request " + requestId, Duration.ofSeconds(5),
        () -> gw.gateway().sessions().snapshot().stream().anyMatch(s -> s.requestId().equals(requestId)));
    return gw.gateway().sessions().snapshot().stream().filter(s -> s.requestId().equals(requestId)).findFirst()
        .orElseThrow();
  }
}
