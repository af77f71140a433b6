package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.Leg;
import dev.wsgate.heartbeat.HeartbeatTiming;
import dev.wsgate.metrics.HeartbeatMeters;
import dev.wsgate.session.Session;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    return new LegSetup(s, HeartbeatTiming.of(s, 0.5), false, HeartbeatMeters.NONE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"client-close", "upstream-lost", "client-evicted", "gateway-close", "close-timeout"})
  void nothingIsScheduledOnceTheSessionFinished(String end) {
    EmbeddedChannel client = new EmbeddedChannel();
    EmbeddedChannel upstream = new EmbeddedChannel();
    client.freezeTime();
    upstream.freezeTime();
    List<String> finished = new ArrayList<>();
    try {
      FrameRelayHandler upstreamRelay = ProxyPipeline.install(upstream, Leg.UPSTREAM, heartbeat(Leg.UPSTREAM));
      FrameRelayHandler clientRelay = ProxyPipeline.install(client, Leg.CLIENT, heartbeat(Leg.CLIENT));
      Session session = new Session(1, "r", "/", URI.create("ws://u:1"), "c", null);
      ProxySession proxy = new ProxySession(session, client, upstream, Duration.ofSeconds(5),
          new SessionLimits(Duration.ofMinutes(10), Duration.ofHours(1)), new SessionListener() {
            @Override
            public void protocolError(Session s, Leg leg, int code, String reason) {
            }

            @Override
            public void finished(Session s) {
              finished.add(s.endCause().label());
            }
          });
      proxy.start(clientRelay, upstreamRelay);
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
          // The client goes silent; the upstream keeps answering. Timeout 40 s + jitter, then the close timeout.
          for (int s = 0; s < 41 + 5 + 1 && (client.isOpen() || upstream.isOpen()); s++) {
            client.advanceTimeBy(1, TimeUnit.SECONDS);
            client.runScheduledPendingTasks();
            upstream.advanceTimeBy(1, TimeUnit.SECONDS);
            upstream.runScheduledPendingTasks();
            if (upstream.isOpen()) {
              upstream.writeInbound(new io.netty.handler.codec.http.websocketx.PongWebSocketFrame());
            }
          }
          assertThat(finished).containsExactly("client-heartbeat");
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
      assertThat(finished).as("finished once").hasSize(1);
      assertThat(client.runScheduledPendingTasks()).as("scheduled on the client loop").isEqualTo(-1);
      assertThat(upstream.runScheduledPendingTasks()).as("scheduled on the upstream loop").isEqualTo(-1);
      // Closing again, or any late event, changes nothing.
      proxy.close(Session.EndCause.DRAIN, CloseCodes.Close.EMPTY, CloseCodes.Close.EMPTY);
      proxy.onInactive(Leg.CLIENT);
      proxy.onInactive(Leg.UPSTREAM);
      assertThat(finished).hasSize(1);
      assertThat(client.runScheduledPendingTasks()).isEqualTo(-1);
    } finally {
      for (EmbeddedChannel ch : new EmbeddedChannel[] {client, upstream}) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
          ReferenceCountUtil.release(o);
        }
        ch.finishAndReleaseAll();
      }
    }
  }
}
