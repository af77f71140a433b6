package dev.wsgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.metrics.MeterReadings.Key;
import dev.wsgate.metrics.MeterReadings.Kind;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The status page's readings of the meters, from the registry wsgate runs with (Prometheus'). */
class MeterReadingsTest {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final GatewayMetrics metrics = new GatewayMetrics(registry);

  @Test
  void nothingCountedReadsAsZero() {
    MeterReadings.Counts counts = metrics.counts();
    assertThat(counts.counts()).isEmpty();
    assertThat(counts.get(new Key(Kind.OPENED, "/a", "", ""))).isZero();
    assertThat(metrics.rtt("/a", Leg.CLIENT)).isEqualTo(MeterReadings.Rtt.NONE);
    assertThat(metrics.rtt("/a", Leg.CLIENT).quantileAtMostMs(0.5)).isEqualTo(-1);
    assertThat(metrics.lastReload()).isNull();
  }

  @Test
  void countsByRouteReasonLegAndUpstream() {
    metrics.sessionOpened("/a");
    metrics.sessionOpened("/a");
    metrics.sessionOpened("/b");
    metrics.heartbeat("/b", Leg.UPSTREAM).evicted();
    URI up = URI.create("ws://127.0.0.1:1/x");
    metrics.upstreamConnect("/a", up, "success", 1_000_000);
    metrics.upstreamConnect("/a", up, "refused", 1_000_000);
    metrics.upstreamConnect("/a", up, "success", 1_000_000);
    MeterReadings.Counts before = metrics.counts();
    metrics.sessionOpened("/a");
    MeterReadings.Counts after = metrics.counts();

    assertThat(before.get(new Key(Kind.OPENED, "/a", "", ""))).isEqualTo(2);
    assertThat(before.get(new Key(Kind.OPENED, "/b", "", ""))).isEqualTo(1);
    assertThat(before.get(new Key(Kind.EVICTED, "/b", "upstream", ""))).isEqualTo(1);
    assertThat(before.get(new Key(Kind.EVICTED, "/b", "client", ""))).isZero();
    assertThat(before.get(new Key(Kind.CONNECT, "/a", up.toString(), "success"))).isEqualTo(2);
    assertThat(before.get(new Key(Kind.CONNECT, "/a", up.toString(), "refused"))).isEqualTo(1);
    MeterReadings.Counts delta = after.minus(before);
    assertThat(delta.get(new Key(Kind.OPENED, "/a", "", ""))).isEqualTo(1);
    assertThat(delta.get(new Key(Kind.OPENED, "/b", "", ""))).isZero();
  }

  /** The Prometheus timer's histogram buckets are cumulative: what the quantile bounds are read from. */
  @Test
  void roundTripsAsCumulativeBucketsAndQuantileBounds() {
    HeartbeatMeters m = metrics.heartbeat("/a", Leg.CLIENT);
    for (int i = 0; i < 9; i++) {
      m.pongReceived(2_000_000); // 2 ms
    }
    m.pongReceived(400_000_000); // 400 ms
    MeterReadings.Rtt rtt = metrics.rtt("/a", Leg.CLIENT);

    assertThat(rtt.count()).isEqualTo(10);
    assertThat(rtt.buckets()).hasSize(2);
    MeterReadings.Rtt.Bucket low = rtt.buckets().get(0);
    MeterReadings.Rtt.Bucket high = rtt.buckets().get(1);
    assertThat(low.count()).isEqualTo(9);
    assertThat(low.leMs()).isBetween(2.0, 3.0);
    assertThat(high.count()).isEqualTo(10);
    assertThat(high.leMs()).isBetween(400.0, 600.0);
    assertThat(rtt.quantileAtMostMs(0.5)).isEqualTo(low.leMs());
    assertThat(rtt.quantileAtMostMs(0.9)).isEqualTo(low.leMs());
    assertThat(rtt.quantileAtMostMs(0.99)).isEqualTo(high.leMs());
    assertThat(rtt.maxMs()).isEqualTo(400.0);
    assertThat(rtt.meanMs()).isEqualTo((9 * 2 + 400) / 10.0);
    assertThat(metrics.rtt("/a", Leg.UPSTREAM).count()).isZero();
  }

  @Test
  void lastReloadAndItsCounts() {
    metrics.reload("applied");
    metrics.reload("refused");
    assertThat(metrics.lastReload().outcome()).isEqualTo("refused");
    assertThat(metrics.reloads("applied")).isEqualTo(1);
    assertThat(metrics.reloads("refused")).isEqualTo(1);
  }
}
