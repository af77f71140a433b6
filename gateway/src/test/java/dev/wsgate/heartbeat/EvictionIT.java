package dev.wsgate.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.BlackholeRelay;
import dev.wsgate.testing.LivePeer;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import dev.wsgate.testing.WsWire;
import dev.wsgate.testing.Holds;
import java.io.EOFException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Silent death, end to end: a {@link BlackholeRelay} on one leg stops forwarding without closing anything (no FIN, no
 * RST), and wsgate must find out by itself, from the heartbeat of that leg. The dead peer is evicted within
 * {@code [timeout, timeout + 1 s]} of the last frame wsgate read from it, the other leg gets 1001 (the client died) or
 * 1014 (the upstream died), the dead peer's TCP is closed after {@code server.close-timeout} though it never answers,
 * and the session ends with its cause counted and logged. A live peer, however quiet, is never evicted.
 *
 * <p>How the delay is measured: right before blackholing, one peer sends a data frame ({@code tSend}) and the other
 * receives it ({@code tRecv}); wsgate read it in between, and that read is the last inbound frame of the dying leg.
 * wsgate's own records give the exact delay: the leg's last inbound time (sampled then, and checked to lie between
 * {@code tSend} and {@code tRecv}) and the session's end time (its eviction). From outside, the close frame on the
 * other leg arrives at {@code tClose}: an early eviction is proven when {@code tClose - tSend < timeout}, a late one
 * when {@code tClose - tRecv > timeout + 1 s} (which also counts the close's way to the other peer against wsgate).
 * Both views are asserted; {@code tRecv - tSend}, the uncertainty of the outside view, is a loopback hop.
 */
class EvictionIT {

  private static final Duration INTERVAL = Duration.ofSeconds(1);
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  /** As the default: a dead peer's connection is closed at its eviction, not this long after. */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  /** How soon a session ends once the live leg has finished closing, the dead one closed at the eviction. */
  private static final Duration AT_ONCE = Duration.ofSeconds(2);
  /** wsgate's promise: eviction within [timeout, timeout + this]. */
  private static final Duration WINDOW = Duration.ofSeconds(1);

  private static final String SERVER = "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  close-timeout: "
      + CLOSE_TIMEOUT.toMillis() + "ms\n";

  /**
   * Heartbeat on both legs (interval 1 s, timeout 2 s), behind intermediaries with a 3 s idle timeout: the margin is
   * then 600 ms and 2 s + 600 ms fits, as the README's budget section works out.
   */
  static String bothLegs() {
    return SERVER + "intermediaries:\n  idle-timeout: 3s\nheartbeat:\n  interval: 1s\n  timeout: 2s\n";
  }

  /** Heartbeat (1 s, 2 s) on {@code leg} only; the other leg neither pings nor evicts. */
  static String onlyOn(Leg leg) {
    Leg other = leg == Leg.CLIENT ? Leg.UPSTREAM : Leg.CLIENT;
    return SERVER + "intermediaries:\n  idle-timeout: 0\nheartbeat:\n  interval: 1s\n  timeout: 2s\n  "
        + other.yamlName() + ":\n    interval: 0\n    timeout: 0\n";
  }

  static String config(String heartbeatOn, Leg dying) {
    return heartbeatOn.equals("both") ? bothLegs() : onlyOn(dying);
  }

  // ------------------------------------------------------------------------------------------- client leg

  @ParameterizedTest(name = "heartbeat on {0} leg(s)")
  @ValueSource(strings = {"both", "dying"})
  void silentClientIsEvictedAndTheUpstreamGets1001(String heartbeatOn) throws Exception {
    String requestId = "evict-client-" + heartbeatOn;
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), config(heartbeatOn, Leg.CLIENT));
         BlackholeRelay relay = BlackholeRelay.to(gw.address());
         RawWebSocket client = RawWebSocket.connect(relay.address(), "/", Map.of("X-Request-Id", requestId))) {
      RawUpstream.Conn up = upstream.take();
      Eviction eviction = new Eviction(Leg.CLIENT, session(gw, requestId));

      eviction.lastFrameSent();
      client.sendText("last words");
      assertThat(up.readData().text()).isEqualTo("last words");
      eviction.lastFrameArrived();
      client.socket().setSoTimeout(30_000); // bounded, but longer than the test: a timeout would look like an end
      LivePeer dying = LivePeer.of(client); // it would answer wsgate's pings: only the path's death silences it
      relay.blackhole();

      WsFrame close = up.readClose(); // answers wsgate's pings on the upstream leg meanwhile
      eviction.closeArrived(System.nanoTime());
      assertThat(close.closeCode()).isEqualTo(1001);
      assertThat(close.closeReason()).isEqualTo("client heartbeat timeout");
      eviction.assertInWindow(TIMEOUT);
      System.out.println("EVICTION (client leg, timeout 2 s): " + eviction);
      long tSend = eviction.tSend;

      up.sendClose(1001, "");
      up.close();
      // The dead client, presumed dead, was closed at its eviction: the session ends with the upstream's close,
      // not a close timeout later.
      gw.awaitIdle(AT_ONCE);
      assertThat(Duration.ofNanos(System.nanoTime() - tSend)).as("the session ends before a close timeout passed")
          .isLessThan(TIMEOUT.plus(CLOSE_TIMEOUT));
      // The access line is written last, after the session left the registry and was counted.
      assertThat(RecordingAppender.await(l -> l.contains("request_id=" + requestId), Duration.ofSeconds(5)))
          .contains("close_code=4408", "closed_by=gateway", "end=client-heartbeat",
              "close_reason=\"client heartbeat timeout\"");
      assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.CLIENT_HEARTBEAT)).isEqualTo(1.0);

      // Plug the cable back in: what wsgate sent the dead client was held in the path: its ping, the eviction's
      // close frame (heartbeat.close-code), and wsgate's FIN, never a reset.
      assertThat(dying.queued()).as("nothing reached the client through the dead path").isZero();
      assertThat(dying.reading()).as("no FIN or RST reached the client through the dead path").isTrue();
      dying.stopAnswering();
      relay.heal();
      assertHeldForTheDead(dying);
    }
  }

  // ----------------------------------------------------------------------------------------- upstream leg

  @ParameterizedTest(name = "heartbeat on {0} leg(s)")
  @ValueSource(strings = {"both", "dying"})
  void silentUpstreamIsEvictedAndTheClientGets1014(String heartbeatOn) throws Exception {
    String requestId = "evict-upstream-" + heartbeatOn;
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         BlackholeRelay relay = BlackholeRelay.to(upstream.uri());
         TestGateway gw = TestGateway.proxying(relay.uri(), config(heartbeatOn, Leg.UPSTREAM));
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/", Map.of("X-Request-Id", requestId))) {
      RawUpstream.Conn up = upstream.take();
      Eviction eviction = new Eviction(Leg.UPSTREAM, session(gw, requestId));

      eviction.lastFrameSent();
      up.sendText("last words");
      assertThat(client.readData().text()).isEqualTo("last words");
      eviction.lastFrameArrived();
      up.socket().setSoTimeout(30_000); // bounded, but longer than the test: a timeout would look like an end
      LivePeer dying = LivePeer.of(up); // it would answer wsgate's pings: only the path's death silences it
      relay.blackhole();

      WsFrame close = client.readClose(); // answers wsgate's pings on the client leg meanwhile
      eviction.closeArrived(System.nanoTime());
      assertThat(close.closeCode()).isEqualTo(1014);
      assertThat(close.closeReason()).isEqualTo("upstream heartbeat timeout");
      eviction.assertInWindow(TIMEOUT);
      System.out.println("EVICTION (upstream leg, timeout 2 s): " + eviction);
      long tSend = eviction.tSend;

      client.sendClose(1014, "");
      assertThat(client.awaitEof(Duration.ofSeconds(5))).as("wsgate closes the client's TCP").isTrue();
      // The dead upstream, presumed dead, was closed at its eviction: the session ends with the client's close,
      // not a close timeout later.
      gw.awaitIdle(AT_ONCE);
      assertThat(Duration.ofNanos(System.nanoTime() - tSend)).as("the session ends before a close timeout passed")
          .isLessThan(TIMEOUT.plus(CLOSE_TIMEOUT));
      // The access line is written last, after the session left the registry and was counted.
      assertThat(RecordingAppender.await(l -> l.contains("request_id=" + requestId), Duration.ofSeconds(5)))
          .contains("close_code=4408", "closed_by=gateway", "end=upstream-heartbeat",
              "close_reason=\"upstream heartbeat timeout\"");
      assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.UPSTREAM_HEARTBEAT)).isEqualTo(1.0);

      assertThat(dying.queued()).as("nothing reached the upstream through the dead path").isZero();
      assertThat(dying.reading()).as("no FIN or RST reached the upstream through the dead path").isTrue();
      dying.stopAnswering();
      relay.heal();
      assertHeldForTheDead(dying);
    }
  }

  // ------------------------------------------------------------------------------------------- live peers

  @Test
  void liveButQuietPeersAreNeverEvicted() throws Exception {
    Duration quiet = Duration.ofSeconds(10);
    ExecutorService readers = Executors.newFixedThreadPool(2, daemon("quiet-reader"));
    // Through (open) relays on both legs: the relay forwards pings and pongs as they are.
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         BlackholeRelay upstreamPath = BlackholeRelay.to(upstream.uri());
         TestGateway gw = TestGateway.proxying(upstreamPath.uri(), bothLegs());
         BlackholeRelay clientPath = BlackholeRelay.to(gw.address());
         RawWebSocket client = RawWebSocket.connect(clientPath.address(), "/", Map.of("X-Request-Id", "quiet"))) {
      RawUpstream.Conn up = upstream.take();
      gw.awaitSessions(1, Duration.ofSeconds(5));
      Session session = gw.gateway().sessions().snapshot().get(0);
      // Both peers only answer pings (readData does) and send nothing else.
      Future<WsFrame> atClient = readers.submit(client::readData);
      Future<WsFrame> atUpstream = readers.submit(up::readData);

      long start = System.nanoTime();
      Awaits.until("the quiet period to pass, or the session to end early", quiet.plusSeconds(10),
          () -> System.nanoTime() - start >= quiet.toNanos() || atClient.isDone() || atUpstream.isDone()
              || session.endCause() != null);
      assertThat(session.endCause()).as("a live peer is never evicted (%s)", session.closeReason()).isNull();
      assertThat(atClient.isDone()).as("the client got only pings").isFalse();
      assertThat(atUpstream.isDone()).as("the upstream got only pings").isFalse();
      long timeouts = quiet.toNanos() / TIMEOUT.toNanos();
      System.out.printf("QUIET PEERS: %d s of silence (%d timeouts): client leg %d pings/%d pongs, last RTT %.2f ms;"
              + " upstream leg %d pings/%d pongs, last RTT %.2f ms%n", quiet.toSeconds(), timeouts,
          session.leg(Leg.CLIENT).pingsSent(), session.leg(Leg.CLIENT).pongsReceived(),
          session.leg(Leg.CLIENT).lastRttNanos() / 1e6, session.leg(Leg.UPSTREAM).pingsSent(),
          session.leg(Leg.UPSTREAM).pongsReceived(), session.leg(Leg.UPSTREAM).lastRttNanos() / 1e6);
      // A ping goes out after about a second of silence and its pong restarts the count: about one per second.
      for (Leg leg : Leg.values()) {
        assertThat(session.leg(leg).pongsReceived()).as("pongs on the %s leg over %s", leg, quiet)
            .isGreaterThanOrEqualTo(8);
      }

      // Still a working session, both ways.
      up.sendText("still here");
      assertThat(atClient.get(5, TimeUnit.SECONDS).text()).isEqualTo("still here");
      client.sendText("me too");
      assertThat(atUpstream.get(5, TimeUnit.SECONDS).text()).isEqualTo("me too");
      client.sendClose(1000, "bye");
      assertThat(up.readClose().closeCode()).isEqualTo(1000);
      up.sendClose(1000, "bye");
      assertThat(client.readClose().closeCode()).isEqualTo(1000);
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      up.close();
      assertThat(RecordingAppender.await(l -> l.contains("request_id=quiet"), Duration.ofSeconds(5)))
          .contains("end=client-close");
      assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.CLIENT_CLOSE)).isEqualTo(1.0);
      assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.CLIENT_HEARTBEAT)).isZero();
      assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.UPSTREAM_HEARTBEAT)).isZero();
    } finally {
      readers.shutdownNow();
    }
  }

  /**
   * A slow reader behind a backlog is alive: the upstream sends faster than the client reads (32 KiB/s), so wsgate's
   * pings to the client wait behind the backlog longer than the heartbeat timeout, and its pongs come late; and
   * wsgate, holding back, does not read the upstream for a while, so the upstream's pongs wait unread. Neither peer
   * is silent: the client takes what is queued for it, and wsgate is the one not reading the upstream. Neither may be
   * evicted (the churn soak found both).
   */
  @Test
  void aSlowReaderBehindABacklogAndItsUpstreamAreNotEvicted() throws Exception {
    Duration period = Duration.ofSeconds(8); // four timeouts
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong read = new AtomicLong();
    Thread flood = null;
    Thread slow = null;
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), bothLegs());
         java.net.Socket socket = dev.wsgate.testing.ClientSockets.open(gw.address(), 16 * 1024,
             Duration.ofSeconds(30))) {
      java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream(), 4096);
      java.io.OutputStream out = socket.getOutputStream();
      dev.wsgate.testing.ClientSockets.handshake(socket, in, "/");
      RawUpstream.Conn up = upstream.take();
      LivePeer upstreamPeer = LivePeer.of(up); // answers wsgate's pings, whenever wsgate reads them
      gw.awaitSessions(1, Duration.ofSeconds(5));
      Session session = gw.gateway().sessions().snapshot().get(0);
      flood = new Thread(() -> {
        byte[] chunk = new byte[16 * 1024];
        try {
          while (!stop.get()) {
            upstreamPeer.sendBinary(chunk);
          }
        } catch (java.io.IOException ended) {
          // the test is over
        }
      }, "flood");
      slow = new Thread(() -> {
        try {
          while (!stop.get()) { // a frame (16 KiB) every 500 ms, answering pings as it meets them: alive, slow
            WsFrame f = WsWire.readFrame(in);
            read.addAndGet(f.payload().length);
            if (f.opcode() == WsFrame.PING) {
              WsWire.writeFrame(out, true, 0, WsFrame.PONG, f.payload(), true);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(500_000_000L); // the reader's pace, not a wait
          }
        } catch (java.io.IOException ended) {
          // the test is over
        }
      }, "slow-reader");
      flood.setDaemon(true);
      slow.setDaemon(true);
      flood.start();
      slow.start();
      Holds.throughout("the slow reader's session open, neither peer evicted", period,
          () -> session.endCause() == null, () -> session.endCause() + " " + session.closeReason());
      System.out.printf("SLOW READER: %d KiB read in %d s while the upstream flooded; client leg %d pings/%d pongs,"
              + " upstream leg %d pings/%d pongs; queued for the client %d B%n", read.get() / 1024,
          period.toSeconds(), session.leg(Leg.CLIENT).pingsSent(), session.leg(Leg.CLIENT).pongsReceived(),
          session.leg(Leg.UPSTREAM).pingsSent(), session.leg(Leg.UPSTREAM).pongsReceived(),
          session.queuedBytes(Leg.CLIENT));
      assertThat(session.queuedBytes(Leg.CLIENT)).as("a backlog for the client all along").isPositive();
      stop.set(true);
      socket.setSoLinger(true, 0);
      socket.close();
      up.close();
      gw.awaitIdle(Duration.ofSeconds(10));
    } finally {
      stop.set(true);
      for (Thread t : new Thread[] {flood, slow}) {
        if (t != null) {
          t.join(10_000);
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------- the spread

  /**
   * Many sessions, each silenced right after its last frame, all evicted: every eviction inside the window, and the
   * spread printed. With timeout 2 s the per-session jitter is at most 200 ms (a tenth of the timeout); with 8 s it
   * reaches its cap of 800 ms, the worst case the 1 s window must absorb.
   */
  @ParameterizedTest(name = "{0} leg, interval {1} s, timeout {2} s")
  @CsvSource({"CLIENT, 1, 2", "UPSTREAM, 1, 2", "CLIENT, 4, 8", "UPSTREAM, 4, 8"})
  void evictionSpread(Leg dying, int intervalSeconds, int timeoutSeconds) throws Exception {
    int n = 20;
    Duration timeout = Duration.ofSeconds(timeoutSeconds);
    String config = SERVER + "intermediaries:\n  idle-timeout: 0\nheartbeat:\n  interval: " + intervalSeconds
        + "s\n  timeout: " + timeoutSeconds + "s\n";
    List<Eviction> evictions = new ArrayList<>();
    List<LivePeer> dyingPeers = new ArrayList<>();
    List<Future<Closed>> closes = new ArrayList<>();
    List<RawWebSocket> clients = new ArrayList<>();
    ExecutorService readers = Executors.newFixedThreadPool(n, daemon("spread-reader"));
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade())) {
      try (BlackholeRelay upstreamPath = dying == Leg.UPSTREAM ? BlackholeRelay.to(upstream.uri()) : null;
           TestGateway gw = TestGateway.proxying(upstreamPath != null ? upstreamPath.uri() : upstream.uri(), config);
           BlackholeRelay clientPath = dying == Leg.CLIENT ? BlackholeRelay.to(gw.address()) : null) {
        BlackholeRelay path = dying == Leg.CLIENT ? clientPath : upstreamPath;
        for (int i = 0; i < n; i++) {
          String requestId = "spread-" + i;
          RawWebSocket client = RawWebSocket.connect(dying == Leg.CLIENT ? clientPath.address() : gw.address(), "/",
              Map.of("X-Request-Id", requestId));
          clients.add(client);
          RawUpstream.Conn up = upstream.take();
          BlackholeRelay.Link link = path.awaitLink(i + 1, Duration.ofSeconds(5));
          Eviction eviction = new Eviction(dying, session(gw, requestId));
          evictions.add(eviction);
          String last = "last words " + i;
          eviction.lastFrameSent();
          if (dying == Leg.CLIENT) {
            client.sendText(last);
            assertThat(up.readData().text()).isEqualTo(last);
          } else {
            up.sendText(last);
            assertThat(client.readData().text()).isEqualTo(last);
          }
          eviction.lastFrameArrived();
          // Reads stay bounded, but outlast the whole test: a read timeout would look like a connection that ended.
          (dying == Leg.CLIENT ? client.socket() : up.socket()).setSoTimeout(60_000);
          dyingPeers.add(dying == Leg.CLIENT ? LivePeer.of(client) : LivePeer.of(up));
          link.blackhole();
          // The live peer answers pings until its close frame comes, then answers it.
          closes.add(readers.submit(() -> {
            if (dying == Leg.CLIENT) {
              WsFrame close = up.readClose();
              long at = System.nanoTime();
              up.sendClose(close.closeCode(), "");
              up.close();
              return new Closed(close, at);
            }
            WsFrame close = client.readClose();
            long at = System.nanoTime();
            client.sendClose(close.closeCode(), "");
            return new Closed(close, at);
          }));
        }
        for (int i = 0; i < n; i++) {
          Closed c = closes.get(i).get(timeout.toSeconds() + 10, TimeUnit.SECONDS);
          assertThat(c.frame().closeCode()).as("session %d", i).isEqualTo(dying == Leg.CLIENT ? 1001 : 1014);
          assertThat(c.frame().closeReason()).isEqualTo(dying.yamlName() + " heartbeat timeout");
          evictions.get(i).closeArrived(c.at());
        }
        System.out.printf("EVICTION SPREAD (%s leg, interval %d s, timeout %d s, %d sessions): eviction delay - timeout"
                + " = %s by wsgate's clock (its last read to its eviction); %s as the other peer sees it (the last"
                + " frame's arrival to the close frame's); last-frame uncertainty at most %.2f ms%n", dying.yamlName(),
            intervalSeconds, timeoutSeconds, n, stats(evictions, e -> e.wsgateDelay() - timeout.toNanos()),
            stats(evictions, e -> e.tClose - e.tRecv - timeout.toNanos()),
            evictions.stream().mapToLong(e -> e.tRecv - e.tSend).max().orElse(0) / 1e6);
        for (Eviction e : evictions) {
          e.assertInWindow(timeout);
        }
        for (LivePeer p : dyingPeers) {
          assertThat(p.queued()).as("frames through a dead path").isZero();
          assertThat(p.reading()).as("no FIN or RST through a dead path").isTrue();
        }
        gw.awaitIdle(CLOSE_TIMEOUT.plusSeconds(5));
        Session.EndCause cause = dying == Leg.CLIENT ? Session.EndCause.CLIENT_HEARTBEAT
            : Session.EndCause.UPSTREAM_HEARTBEAT;
        // Counted right after leaving the registry: wait for the count, then check it is exact.
        Awaits.until(n + " sessions counted as " + cause.label(), Duration.ofSeconds(5),
            () -> gw.gateway().metrics().sessionsEnded(cause) >= n);
        assertThat(gw.gateway().metrics().sessionsEnded(cause)).isEqualTo(n);
      } finally {
        for (RawWebSocket c : clients) {
          c.close();
        }
      }
    } finally {
      readers.shutdownNow();
    }
  }

  // ------------------------------------------------------------------------------------------- helpers

  private record Closed(WsFrame frame, long at) {
  }

  /** The origin of Netty's system ticker: ticker time plus this is {@link System#nanoTime()}. */

  /**
   * One eviction's times, by the test's clock and by wsgate's own records, all as {@link System#nanoTime()}:
   * the last frame sent toward or from the dying peer ({@code tSend}), its arrival at the other peer ({@code tRecv}),
   * wsgate's read of it (the dying leg's last inbound time, sampled in between), wsgate's eviction (the session's end
   * time) and the other peer's receipt of its close frame ({@code tClose}).
   */
  static final class Eviction {
    final Leg leg;
    final Session session;
    long tSend;
    long tRecv;
    long wsgateRead;
    long tClose;

    Eviction(Leg leg, Session session) {
      this.leg = leg;
      this.session = session;
    }

    void lastFrameSent() {
      tSend = System.nanoTime();
    }

    void lastFrameArrived() {
      tRecv = System.nanoTime();
      // When wsgate last read the leg, on this JVM's System.nanoTime(): the silence it reports, taken between two
      // readings of the clock, puts the read within [before - silence, after - silence].
      long before = System.nanoTime();
      long silence = session.leg(leg).silenceNanos();
      long after = System.nanoTime();
      wsgateRead = before - silence;
      assertThat(after - silence).as("wsgate read the last frame of the %s leg after its sending", leg)
          .isGreaterThanOrEqualTo(tSend);
      assertThat(before - silence).as("wsgate read the last frame of the %s leg before its arrival", leg)
          .isLessThanOrEqualTo(tRecv);
    }

    void closeArrived(long at) {
      tClose = at;
    }

    /** wsgate's own eviction delay: from its last read on the leg to its eviction. */
    long wsgateDelay() {
      assertThat(session.endCause()).as("%s end cause", session)
          .isEqualTo(leg == Leg.CLIENT ? Session.EndCause.CLIENT_HEARTBEAT : Session.EndCause.UPSTREAM_HEARTBEAT);
      return session.closedAtNanos() - wsgateRead;
    }

    /**
     * Evicted within [timeout, timeout + 1 s]: exactly by wsgate's records; and as seen from outside, where an early
     * eviction is proven by {@code tClose - tSend < timeout} and a late one by {@code tClose - tRecv > timeout + 1 s}
     * (which counts the close frame's way to the other peer against wsgate).
     */
    void assertInWindow(Duration timeout) {
      long t = timeout.toNanos();
      assertThat(wsgateDelay() - t).as("%s: wsgate evicted %.1f ms after the timeout (%s)", session,
          (wsgateDelay() - t) / 1e6, this).isBetween(0L, WINDOW.toNanos());
      assertThat(tClose - tSend - t).as("%s: the other peer got its close %.1f ms after the timeout from the last"
          + " frame's sending", session, (tClose - tSend - t) / 1e6).isGreaterThanOrEqualTo(0);
      assertThat(tClose - tRecv - t).as("%s: the other peer got its close %.1f ms after the timeout from the last"
          + " frame's arrival", session, (tClose - tRecv - t) / 1e6).isLessThanOrEqualTo(WINDOW.toNanos());
    }

    @Override
    public String toString() {
      return String.format("eviction %.1f ms after the last read by wsgate's clock; close frame at the other peer "
          + "%.1f ms after the last frame's arrival (%.1f ms after its sending)", wsgateDelay() / 1e6,
          (tClose - tRecv) / 1e6, (tClose - tSend) / 1e6);
    }
  }

  /** min / median / max of a measure, in ms. */
  static String stats(List<Eviction> evictions, java.util.function.ToLongFunction<Eviction> measure) {
    long[] v = evictions.stream().mapToLong(measure).sorted().toArray();
    int n = v.length;
    double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    return String.format("min %.1f ms, median %.1f ms, max %.1f ms", v[0] / 1e6, median / 1e6, v[n - 1] / 1e6);
  }

  /** The live session with this request id, waiting at most 5 s for it to be registered. */
  static Session session(TestGateway gw, String requestId) throws InterruptedException {
    Awaits.until("a session for request " + requestId, Duration.ofSeconds(5),
        () -> gw.gateway().sessions().snapshot().stream().anyMatch(s -> s.requestId().equals(requestId)));
    return gw.gateway().sessions().snapshot().stream().filter(s -> s.requestId().equals(requestId)).findFirst()
        .orElseThrow();
  }

  /**
   * What a dead peer finds once its path is back: the ping it could not answer, the eviction's close frame with
   * {@code heartbeat.close-code} 4408, and the end of the stream (a FIN: wsgate closed the connection after the close
   * timeout; a reset would end reading with another exception).
   */
  static void assertHeldForTheDead(LivePeer dead) throws InterruptedException {
    Duration wait = Duration.ofSeconds(20); // the path may take TCP retransmission backoff to deliver
    assertThat(dead.next(wait).opcode()).as("the ping that went unanswered").isEqualTo(WsFrame.PING);
    WsFrame close = dead.nextData(wait);
    assertThat(close.opcode()).isEqualTo(WsFrame.CLOSE);
    assertThat(close.closeCode()).isEqualTo(4408);
    assertThat(close.closeReason()).isEqualTo("heartbeat timeout");
    assertThat(dead.awaitEnd(wait)).as("wsgate closed the evicted peer's TCP with a FIN, not a reset")
        .isInstanceOf(EOFException.class);
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
