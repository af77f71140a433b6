package dev.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wsgate.peers.PeerProcess;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's {@code prometheus} package) scrapes a running wsgate's admin port every second, with
 * {@code deploy/prometheus/wsgate-alerts.yml} loaded: {@code wsgate_sessions_live} reads back 1 from its query API
 * while a session is open and 0 once it closed, and every alerting rule evaluates without error on wsgate's real
 * series. Skipped without the package, except in CI, where it fails.
 */
class PrometheusScrapeIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static JsonNode api(int port, String pathAndQuery) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + pathAndQuery)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (java.io.IOException e) {
      return null; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The value of {@code query} as Prometheus answers it now, or null when it has no sample (yet). */
  private static String instant(int port, String query) {
    JsonNode r = api(port, "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
    if (r == null || !"success".equals(r.path("status").asText()) || r.path("data").path("result").isEmpty()) {
      return null;
    }
    return r.path("data").path("result").get(0).path("value").get(1).asText();
  }

  @Test
  void prometheusScrapesWsgateAndReadsTheLiveSessionsBack() throws Exception {
    Path prometheus = Tools.require("prometheus", "prometheus");
    int port = freePort();
    try (RawUpstream up = RawUpstream.echo(); TestGateway gw = TestGateway.proxying(up.uri())) {
      Path rules = dir.resolve("wsgate-alerts.yml");
      Files.copy(PrometheusRulesIT.RULES, rules);
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(config, """
          global:
            scrape_interval: 1s
            evaluation_interval: 1s
          rule_files: [wsgate-alerts.yml]
          scrape_configs:
            - job_name: wsgate
              static_configs:
                - targets: ["127.0.0.1:%d"]
          """.formatted(gw.gateway().adminAddress().getPort()));
      Files.createDirectories(dir.resolve("data"));
      try (PeerProcess p = PeerProcess.start("prometheus", List.of(prometheus.toString(),
          "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
          "--web.listen-address=127.0.0.1:" + port, "--log.level=warn"), Map.of(), dir)) {
        Awaits.until("Prometheus scrapes wsgate: up == 1", WAIT, () -> "1".equals(instant(port, "up{job=\"wsgate\"}")));
        assertThat(instant(port, "wsgate_sessions_live")).isEqualTo("0");

        try (RawWebSocket c = RawWebSocket.connect(gw.address(), "/")) {
          c.sendText("hello");
          assertThat(c.readData().text()).isEqualTo("hello");
          Awaits.until("Prometheus reads wsgate_sessions_live 1", WAIT,
              () -> "1".equals(instant(port, "wsgate_sessions_live")), c);
          assertThat(instant(port, "wsgate_sessions_active{route=\"/\"}")).isEqualTo("1");
          c.sendClose(1000, "");
          c.readClose();
        }
        Awaits.until("Prometheus reads wsgate_sessions_live 0 again", WAIT,
            () -> "0".equals(instant(port, "wsgate_sessions_live")));

        Awaits.until("every alerting rule evaluated", WAIT, () -> {
          JsonNode r = api(port, "/api/v1/rules");
          if (r == null) {
            return false;
          }
          int evaluated = 0;
          for (JsonNode group : r.path("data").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
              evaluated += rule.hasNonNull("lastEvaluation") && !rule.path("lastEvaluation").asText()
                  .startsWith("0001-") ? 1 : 0;
            }
          }
          return evaluated == PrometheusRulesIT.ALERTS.size();
        });
        for (JsonNode group : api(port, "/api/v1/rules").path("data").path("groups")) {
          for (JsonNode rule : group.path("rules")) {
            assertThat(rule.path("health").asText()).as(rule.path("name").asText() + ": "
                + rule.path("lastError").asText()).isEqualTo("ok");
            assertThat(rule.path("state").asText()).as(rule.path("name").asText() + " on a healthy wsgate")
                .isEqualTo("inactive");
          }
        }
      }
    }
  }
}
