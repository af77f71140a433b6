package dev.wsgate.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wsgate.cli.Version;
import dev.wsgate.config.Leg;
import dev.wsgate.testing.AdminClient;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code GET /status.json} and {@code GET /} on the admin listener, against a gateway with live sessions. */
class StatusIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode status(int adminPort) throws Exception {
    HttpResponse<String> res = AdminClient.get(adminPort, "/status.json");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(res.headers().firstValue("cache-control")).hasValue("no-store");
    return JSON.readTree(res.body());
  }

  @Test
  void statusJsonTellsLiveSessionsClosesEvictionsUpstreamsRoundTripsAndReloads() throws Exception {
    try (StatusScenario s = StatusScenario.start()) {
      long pongsBefore = s.gw.gateway().metrics().rtt("/a", Leg.CLIENT).count();
      JsonNode st = status(s.adminPort());
      long pongsAfter = s.gw.gateway().metrics().rtt("/a", Leg.CLIENT).count();

      assertThat(st.get("version").asText()).isEqualTo(Version.current());
      assertThat(st.get("state").asText()).isEqualTo("ready");
      assertThat(st.get("ready").asBoolean()).isTrue();
      assertThat(st.get("draining").asBoolean()).isFalse();
      assertThat(st.get("uptime_s").asLong()).isNotNegative();
      assertThat(st.at("/reload/last/outcome").asText()).isEqualTo("applied");
      assertThat(st.at("/reload/applied").asLong()).isEqualTo(1);
      assertThat(st.at("/reload/refused").asLong()).isZero();
      assertThat(st.get("live_sessions").asInt()).isEqualTo(4);
      assertThat(names(st.get("windows"), "name")).containsExactly("1m", "5m", "15m");

      JsonNode a = route(st, "/a");
      assertThat(a.get("live").asInt()).isEqualTo(3);
      assertThat(a.get("balance").asText()).isEqualTo("round-robin");
      assertThat(a.has("hash_key")).isFalse();
      assertThat(route(st, "/b").get("balance").asText()).isEqualTo("hash");
      assertThat(route(st, "/b").get("hash_key").asText()).isEqualTo("query:room");
      assertWindowed(st, a.get("opened"), 4);
      assertWindowed(st, a.get("closed"), 1);
      assertThat(names(a.get("closed_by_reason"))).containsExactly("client-close");
      assertWindowed(st, a.at("/closed_by_reason/client-close"), 1);
      assertWindowed(st, a.at("/evictions/client"), 0);
      assertWindowed(st, a.at("/evictions/upstream"), 0);
      JsonNode live = a.get("upstreams").get(0);
      assertThat(live.get("address").asText()).isEqualTo(s.upstream.uri().toString());
      assertThat(live.get("state").asText()).isEqualTo("up");
      assertThat(live.get("backoff_left_ms").asLong()).isZero();
      assertThat(live.get("sessions").asInt()).isEqualTo(3);
      assertThat(names(live.get("connects"))).containsExactly("success");
      assertWindowed(st, live.at("/connects/success"), 4);
      JsonNode dead = a.get("upstreams").get(1);
      assertThat(dead.get("address").asText()).isEqualTo(s.dead.toString());
      assertThat(dead.get("state").asText()).isEqualTo("down");
      assertThat(dead.get("backoff_left_ms").asLong()).isPositive();
      assertThat(dead.get("sessions").asInt()).isZero();
      assertThat(names(dead.get("connects"))).containsExactly("refused");
      assertWindowed(st, dead.at("/connects/refused"), 1);
      JsonNode rtt = a.at("/heartbeat_rtt/client");
      assertThat(rtt.get("count").asLong()).isBetween(pongsBefore, pongsAfter);
      assertThat(rtt.get("buckets")).isNotEmpty();
      JsonNode lastBucket = rtt.get("buckets").get(rtt.get("buckets").size() - 1);
      assertThat(lastBucket.get("count").asLong()).as("the buckets are cumulative, to the last round trip")
          .isEqualTo(rtt.get("count").asLong());
      assertThat(rtt.get("p50_ms_at_most").asDouble()).isPositive()
          .isLessThanOrEqualTo(rtt.get("p90_ms_at_most").asDouble());
      assertThat(rtt.get("p90_ms_at_most").asDouble()).isLessThanOrEqualTo(rtt.get("p99_ms_at_most").asDouble());
      assertThat(rtt.get("p99_ms_at_most").asDouble()).isEqualTo(lastBucket.get("le_ms").asDouble());
      assertThat(a.at("/heartbeat_rtt/upstream/count").asLong()).as("no heartbeat on the upstream leg").isZero();
      assertThat(a.at("/heartbeat_rtt/upstream/p50_ms_at_most").asDouble()).isEqualTo(-1);

      JsonNode b = route(st, "/b");
      assertThat(b.get("live").asInt()).isEqualTo(1);
      assertWindowed(st, b.get("opened"), 2);
      assertWindowed(st, b.get("closed"), 1);
      assertThat(names(b.get("closed_by_reason"))).containsExactly("client-heartbeat");
      assertWindowed(st, b.at("/closed_by_reason/client-heartbeat"), 1);
      assertWindowed(st, b.at("/evictions/client"), 1);
      assertWindowed(st, b.at("/evictions/upstream"), 0);
      assertThat(b.get("upstreams")).hasSize(1);
      assertThat(b.at("/upstreams/0/state").asText()).isEqualTo("up");
      assertThat(b.at("/upstreams/0/sessions").asInt()).isEqualTo(1);
      assertWindowed(st, b.at("/upstreams/0/connects/success"), 2);

      // What /metrics says agrees.
      String m = AdminClient.get(s.adminPort(), "/metrics").body();
      assertThat(AdminClient.sample(m, "wsgate_sessions_active{route=\"/a\"}")).isEqualTo(3.0);
      assertThat(AdminClient.sample(m, "wsgate_evictions_total{leg=\"client\",route=\"/b\"}")).isEqualTo(1.0);
    }
  }

  @Test
  void pageIsServedWithItsPolicyAndNothingElseIsFound() throws Exception {
    try (RawUpstream up = RawUpstream.echo(); TestGateway gw = TestGateway.proxying(up.uri())) {
      HttpResponse<String> page = AdminClient.get(gw, "/");
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
      assertThat(page.headers().firstValue("cache-control")).hasValue("no-store");
      assertThat(page.headers().firstValue("content-security-policy")).hasValue(StatusPage.CSP);
      assertThat(page.headers().firstValue("x-content-type-options")).hasValue("nosniff");
      assertThat(page.body()).isEqualTo(StatusPage.HTML).doesNotContain("http://").doesNotContain("https://");
      assertThat(AdminClient.get(gw, "/status").statusCode()).isEqualTo(404);
      assertThat(AdminClient.get(gw, "/index.html").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void drainingShowsAndNoReloadYet() throws Exception {
    try (RawUpstream up = RawUpstream.echo(); TestGateway gw = TestGateway.proxying(up.uri())) {
      int admin = gw.gateway().adminAddress().getPort();
      JsonNode before = status(admin);
      assertThat(before.get("state").asText()).isEqualTo("ready");
      assertThat(before.at("/reload/last").isNull()).isTrue();
      assertThat(before.get("live_sessions").asInt()).isZero();
      assertThat(route(before, "/").at("/opened/total").asLong()).isZero();
      assertThat(route(before, "/").get("closed_by_reason")).isEmpty();

      assertThat(gw.gateway().drain()).isZero();
      JsonNode after = status(admin);
      assertThat(after.get("state").asText()).isEqualTo("draining");
      assertThat(after.get("ready").asBoolean()).isFalse();
      assertThat(after.get("draining").asBoolean()).isTrue();
    }
  }

  /**
   * A count over each window and since start: {@code total} exactly; each window no more than the next, and
   * exactly the total while the history is younger than the window (as it is in a test, unless it ran for minutes).
   */
  static void assertWindowed(JsonNode status, JsonNode counts, long total) {
    assertThat(counts.get("total").asLong()).isEqualTo(total);
    long previous = 0;
    for (JsonNode w : status.get("windows")) {
      String name = w.get("name").asText();
      long n = counts.get(name).asLong();
      assertThat(n).as("%s within %s", counts, name).isBetween(previous, total);
      if (w.get("covered_s").asLong() < w.get("seconds").asLong()) {
        assertThat(n).as("%s within %s, a history younger than that", counts, name).isEqualTo(total);
      }
      previous = n;
    }
  }

  static JsonNode route(JsonNode status, String id) {
    for (JsonNode r : status.get("routes")) {
      if (r.get("route").asText().equals(id)) {
        return r;
      }
    }
    throw new AssertionError("no route " + id + " in " + status);
  }

  private static List<String> names(JsonNode object) {
    List<String> out = new ArrayList<>();
    object.fieldNames().forEachRemaining(out::add);
    return out;
  }

  private static List<String> names(JsonNode array, String field) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.get(field).asText()));
    return out;
  }
}
