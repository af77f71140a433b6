package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.Leg;
import dev.wsgate.heartbeat.HeartbeatTiming;
import dev.wsgate.heartbeat.LegHeartbeat;
import dev.wsgate.metrics.HeartbeatMeters;
import dev.wsgate.session.Session;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No scheduled task outlives its channel: heartbeat ticks, close timer and limit checks are all gone once a session
 * has finished, however it ended; and finishing happens once.
 */
class CleanupTest {

  private static LegSetup heartbeat(Leg leg) {
    HeartbeatSettings s = HeartbeatSettings.defaults();
    return new LegSetup(new LegHeartbeat(leg, s, false, HeartbeatMeters.NONE), HeartbeatTiming.of(s, 0.5));
  }

  @ParameterizedTest
  @ValueSource(strings = {"client-close", "upstream-lost", "client-evicted", "gateway-close", "close-timeout"})
  void nothingIsScheduledOnceTheSessionFinished(String end) {
    EmbeddedSession fixture = new EmbeddedSession(heartbeat(Leg.CLIENT), heartbeat(Leg.UPSTREAM),
        new SessionLimits(Duration.ofMinutes(10), Duration.ofHours(1)), Duration.ofSeconds(5));
    EmbeddedChannel client = fixture.client;
    EmbeddedChannel upstream = fixture.upstream;
    try {
      ProxySession proxy = fixture.start();
      assertThat(client.runScheduledPendingTasks()).as("ticks are scheduled while it runs").isPositive();

      switch (end) {
        case "client-close" -> {
          client.writeInbound(new CloseWebSocketFrame(1000, ""));
          upstream.writeInbound(new CloseWebSocketFrame(1000, ""));
          client.runPendingTasks();
          upstream.close();
        }
        case "upstream-lost" -> {
          upstream.close();
          client.writeInbound(new CloseWebSocketFrame(1014, ""));
          client.runPendingTasks();
        }
        case "client-evicted" -> {
          // The client goes silent; the upstream keeps answering. Timeout 40 s + jitter: the client, presumed dead,
          // is closed at once, and the upstream gets 1001, which it answers as a conforming peer does. (The close
          // timer would close it too, but an embedded channel cancels what is scheduled on its loop once closed,
          // and the session's loop is the client's.)
          for (int s = 0; s < 41 + 1 && client.isOpen(); s++) {
            client.advanceTimeBy(1, TimeUnit.SECONDS);
            client.runScheduledPendingTasks();
            upstream.advanceTimeBy(1, TimeUnit.SECONDS);
            upstream.runScheduledPendingTasks();
            upstream.writeInbound(new io.netty.handler.codec.http.websocketx.PongWebSocketFrame());
          }
          assertThat(client.isOpen()).as("the evicted client is closed at once").isFalse();
          assertThat(proxy.endCause()).isEqualTo(Session.EndCause.CLIENT_HEARTBEAT);
          CloseWebSocketFrame toUpstream = lastClose(upstream);
          assertThat(toUpstream.statusCode()).isEqualTo(1001);
          toUpstream.release();
          upstream.writeInbound(new CloseWebSocketFrame(1001, ""));
          upstream.close();
        }
        case "gateway-close" -> {
          proxy.close(Session.EndCause.DRAIN, CloseCodes.Close.EMPTY, CloseCodes.Close.EMPTY);
          client.writeInbound(new CloseWebSocketFrame(true, 0, io.netty.buffer.Unpooled.EMPTY_BUFFER));
          upstream.writeInbound(new CloseWebSocketFrame(true, 0, io.netty.buffer.Unpooled.EMPTY_BUFFER));
          client.runPendingTasks();
          upstream.close();
        }
        case "close-timeout" -> {
          client.writeInbound(new CloseWebSocketFrame(1000, ""));
          client.advanceTimeBy(5, TimeUnit.SECONDS);
          client.runScheduledPendingTasks();
        }
        default -> throw new IllegalArgumentException(end);
      }
      assertThat(client.isOpen()).isFalse();
      assertThat(upstream.isOpen()).isFalse();
      assertThat(fixture.released()).as("permit, claim and registry entry released").isTrue();
      assertThat(ended(fixture)).as("finished once").isEqualTo(1);
      assertThat(client.runScheduledPendingTasks()).as("scheduled on the client loop").isEqualTo(-1);
      assertThat(upstream.runScheduledPendingTasks()).as("scheduled on the upstream loop").isEqualTo(-1);
      // Closing again, or any late event, changes nothing.
      proxy.close(Session.EndCause.DRAIN, CloseCodes.Close.EMPTY, CloseCodes.Close.EMPTY);
      proxy.onInactive(Leg.CLIENT);
      proxy.onInactive(Leg.UPSTREAM);
      assertThat(ended(fixture)).isEqualTo(1);
      assertThat(fixture.released()).isTrue();
      assertThat(client.runScheduledPendingTasks()).isEqualTo(-1);
    } finally {
      fixture.close();
    }
  }

  /** The last close frame written on a channel (pings before it released). */
  private static CloseWebSocketFrame lastClose(EmbeddedChannel ch) {
    CloseWebSocketFrame close = null;
    for (Object o; (o = ch.readOutbound()) != null; ) {
      if (o instanceof CloseWebSocketFrame) {
        close = (CloseWebSocketFrame) o;
      } else {
        ReferenceCountUtil.release(o);
      }
    }
    assertThat(close).as("a close frame on " + ch).isNotNull();
    return close;
  }

  /** Sessions counted as ended, whatever the cause. */
  private static double ended(EmbeddedSession fixture) {
    double n = 0;
    for (Session.EndCause cause : Session.EndCause.values()) {
      n += fixture.metrics.sessionsEnded(cause);
    }
    return n;
  }
}
