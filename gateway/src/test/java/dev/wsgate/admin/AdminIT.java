package dev.wsgate.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.AdminClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The admin listener: health, readiness, Prometheus metrics that add up, and the sessions. */
class AdminIT {

  private static HttpResponse<String> get(TestGateway gw, String path) throws Exception {
    return AdminClient.get(gw, path);
  }

  private static double sample(String scrape, String nameAndLabels) {
    return AdminClient.sample(scrape, nameAndLabels);
  }

  @Test
  void healthReadinessAndNotFound() throws Exception {
    try (RawUpstream up = RawUpstream.echo(); TestGateway gw = TestGateway.proxying(up.uri())) {
      HttpResponse<String> health = get(gw, "/healthz");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("ok\n");
      HttpResponse<String> ready = get(gw, "/readyz");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).isEqualTo("ready\n");
      assertThat(get(gw, "/nope").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void metricsAddUpAfterTraffic() throws Exception {
    try (RawUpstream up = RawUpstream.echo();
         TestGateway gw = TestGateway.proxying(up.uri(), "heartbeat: {interval: 200ms, timeout: 1s}\n")) {
      try (RawWebSocket c = RawWebSocket.connect(gw.address(), "/")) {
        for (int i = 0; i < 3; i++) {
          c.sendText("12345");
          assertThat(c.readData().text()).isEqualTo("12345");
        }
        // Stay quiet long enough for heartbeats on both legs (readData answers wsgate's pings meanwhile).
        dev.wsgate.testing.Awaits.until("a pong on each leg", Duration.ofSeconds(10), () -> {
          var s = gw.gateway().sessions().snapshot();
          return !s.isEmpty() && s.get(0).leg(dev.wsgate.config.Leg.CLIENT).pongsReceived() > 0
              && s.get(0).leg(dev.wsgate.config.Leg.UPSTREAM).pongsReceived() > 0;
        }, c);
        String live = get(gw, "/metrics").body();
        assertThat(sample(live, "wsgate_sessions_active{route=\"/\"}")).isEqualTo(1.0);
        assertThat(sample(live, "wsgate_frames_total{direction=\"client_to_upstream\"}")).isEqualTo(3.0);
        assertThat(sample(live, "wsgate_bytes_total{direction=\"upstream_to_client\"}")).isEqualTo(15.0);
        c.sendClose(1000, "");
        c.readClose();
      }
      gw.awaitIdle(Duration.ofSeconds(5));
      assertThat(RawWebSocket.request(gw.address(), "GET /x HTTP/1.1", java.util.Map.of("Host", "h")).status())
          .isEqualTo(426);
      HttpResponse<String> metrics = get(gw, "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("content-type")).hasValueSatisfying(t ->
          assertThat(t).startsWith("text/plain; version=0.0.4"));
      String m = metrics.body();
      assertThat(sample(m, "wsgate_sessions_active{route=\"/\"}")).isEqualTo(0.0);
      assertThat(sample(m, "wsgate_sessions_opened_total{route=\"/\"}")).isEqualTo(1.0);
      assertThat(sample(m, "wsgate_sessions_closed_total{closed_by=\"client\",code=\"1000\",reason=\"client-close\","
          + "route=\"/\"}")).isEqualTo(1.0);
      assertThat(sample(m, "wsgate_frames_total{direction=\"client_to_upstream\"}")).isEqualTo(3.0);
      assertThat(sample(m, "wsgate_frames_total{direction=\"upstream_to_client\"}")).isEqualTo(3.0);
      assertThat(sample(m, "wsgate_bytes_total{direction=\"client_to_upstream\"}")).isEqualTo(15.0);
      assertThat(sample(m, "wsgate_handshake_rejections_total{reason=\"not_websocket\",status=\"426\"}"))
          .isEqualTo(1.0);
      assertThat(sample(m, "wsgate_upstream_connects_total{outcome=\"success\",route=\"/\",upstream=\""
          + up.uri() + "\"}")).isEqualTo(1.0);
      assertThat(sample(m, "wsgate_upstream_connect_seconds_count{route=\"/\",upstream=\"" + up.uri() + "\"}"))
          .isEqualTo(1.0);
      for (String leg : new String[] {"client", "upstream"}) {
        String labels = "{leg=\"" + leg + "\",route=\"/\"}";
        assertThat(sample(m, "wsgate_heartbeat_pings_total" + labels)).isGreaterThanOrEqualTo(1.0);
        assertThat(sample(m, "wsgate_heartbeat_pongs_total" + labels)).isGreaterThanOrEqualTo(1.0);
        assertThat(sample(m, "wsgate_heartbeat_rtt_seconds_count" + labels)).isGreaterThanOrEqualTo(1.0);
        assertThat(m).contains("wsgate_heartbeat_rtt_seconds_bucket{leg=\"" + leg + "\",route=\"/\",le=\"0.001\"}");
        assertThat(sample(m, "wsgate_evictions_total" + labels)).isEqualTo(0.0);
      }
      assertThat(m).contains("jvm_memory_used_bytes{").contains("wsgate_netty_direct_memory_used_bytes ")
          .contains("jvm_gc_").contains("process_cpu_usage ").contains("wsgate_draining 0.0");
    }
  }

  @Test
  void sessionsArePagedAndBounded() throws Exception {
    try (RawUpstream up = RawUpstream.echo(); TestGateway gw = TestGateway.start("routes:\n"
        + "  - path: /a\n    upstreams: [\"" + up.uri() + "\"]\n  - path: /b\n    upstreams: [\"" + up.uri() + "\"]\n")) {
      List<RawWebSocket> clients = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        clients.add(RawWebSocket.connect(gw.address(), i < 3 ? "/a" : "/b/x"));
      }
      gw.awaitSessions(5, Duration.ofSeconds(5));
      JsonNode all = new ObjectMapper().readTree(get(gw, "/sessions").body());
      assertThat(all.get("total").asInt()).isEqualTo(5);
      assertThat(all.get("sessions")).hasSize(5);
      JsonNode first = all.get("sessions").get(0);
      for (String field : new String[] {"id", "request_id", "route", "upstream", "client", "opened_at", "age_ms",
          "frames_from_client", "bytes_from_client", "frames_from_upstream", "bytes_from_upstream"}) {
        assertThat(first.has(field)).as(field).isTrue();
      }
      for (String leg : new String[] {"client", "upstream"}) {
        JsonNode l = first.get("legs").get(leg);
        for (String field : new String[] {"last_inbound_ms_ago", "rtt_ms", "pings_sent", "pongs_received",
            "queued_bytes"}) {
          assertThat(l.has(field)).as(leg + "." + field).isTrue();
        }
      }
      JsonNode page = new ObjectMapper().readTree(get(gw, "/sessions?limit=2&offset=1").body());
      assertThat(page.get("sessions")).hasSize(2);
      assertThat(page.get("sessions").get(0).get("id").asLong()).isEqualTo(all.get("sessions").get(1).get("id")
          .asLong());
      JsonNode routeB = new ObjectMapper().readTree(get(gw, "/sessions?route=/b").body());
      assertThat(routeB.get("total").asInt()).isEqualTo(2);
      JsonNode capped = new ObjectMapper().readTree(get(gw, "/sessions?limit=999999").body());
      assertThat(capped.get("limit").asInt()).isEqualTo(AdminServer.MAX_PAGE);
      assertThat(get(gw, "/sessions?limit=lots").statusCode()).isEqualTo(400);
      for (RawWebSocket c : clients) {
        c.sendClose(1000, "");
        c.readClose();
        c.close();
      }
    }
  }
}
