package dev.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PromQlTest {

  private static final LiveMetrics LIVE = LiveMetrics.parse("""
      # HELP wsgate_evictions_total Peers evicted
      # TYPE wsgate_evictions_total counter
      wsgate_evictions_total{leg="client",route="/"} 0.0
      wsgate_heartbeat_rtt_seconds_bucket{leg="client",route="/",le="0.001"} 1.0
      wsgate_sessions_live 1.0
      """);

  @Test
  void selectorsFunctionsAndGrouping() {
    PromQl.Uses u = PromQl.uses("histogram_quantile(0.99, sum by (route, le) (rate("
        + "wsgate_heartbeat_rtt_seconds_bucket{leg=~\"client|up{}\"}[5m] offset 1h))) > 0.5 and on (instance) "
        + "wsgate_sessions_live > bool 2");
    assertThat(u.selectors()).containsExactly(
        new PromQl.Selector("wsgate_heartbeat_rtt_seconds_bucket", Set.of("leg")),
        new PromQl.Selector("wsgate_sessions_live", Set.of()));
    assertThat(u.groupingLabels()).containsExactly("route", "le", "instance");
  }

  @Test
  void grafanaVariablesAreNoNames() {
    PromQl.Uses u = PromQl.uses("sum(rate(wsgate_evictions_total{route=~\"$route\", job=\"${job}\"}"
        + "[$__rate_interval]))");
    assertThat(u.selectors()).containsExactly(new PromQl.Selector("wsgate_evictions_total",
        Set.of("route", "job")));
  }

  @Test
  void whatIsMissingIsNamed() {
    assertThat(PromQl.missing("sum by (leg) (rate(wsgate_evictions_total{route=\"/\"}[5m]))", LIVE)).isEmpty();
    assertThat(PromQl.missing("sum by (colour) (wsgate_evicted_total{lag=\"x\"}) + wsgate_evictions_total{lag=\"x\"}",
        LIVE)).containsExactly("metric wsgate_evicted_total is not exported",
        "metric wsgate_evictions_total has no label lag (it has [leg, route])",
        "label colour is on none of the expression's metrics");
  }
}
