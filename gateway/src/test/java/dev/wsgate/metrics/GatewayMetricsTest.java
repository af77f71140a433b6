package dev.wsgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The meters a session's heartbeat counts with. */
class GatewayMetricsTest {

  @Test
  void sessionsOfARouteAndLegShareTheirHeartbeatMeters() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    GatewayMetrics metrics = new GatewayMetrics(registry);
    HeartbeatMeters first = metrics.heartbeat("chat", Leg.CLIENT);
    assertThat(metrics.heartbeat("chat", Leg.CLIENT)).as("no object per session and leg").isSameAs(first);
    assertThat(metrics.heartbeat("chat", Leg.UPSTREAM)).isNotSameAs(first);
    assertThat(metrics.heartbeat("news", Leg.CLIENT)).isNotSameAs(first);
    first.pingSent();
    metrics.heartbeat("chat", Leg.CLIENT).pingSent();
    assertThat(registry.find("wsgate.heartbeat.pings").tags("route", "chat", "leg", "client").counter().count())
        .isEqualTo(2);
  }
}
