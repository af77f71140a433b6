package dev.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wsgate.session.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/grafana/wsgate.json}: a Grafana dashboard (schema 39) on a Prometheus data source variable, with
 * the panels the README lists, whose every query (panels and template variables) names metrics and labels that a
 * running wsgate exports, and is PromQL that Prometheus parses ({@code promtool check rules} on the queries as
 * recording rules, Grafana's variables filled in). No Grafana needed.
 */
class GrafanaDashboardIT {

  static final Path DASHBOARD = DeployFiles.deploy().resolve("grafana/wsgate.json");
  private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\)");

  @TempDir
  Path dir;

  private static JsonNode dashboard() throws Exception {
    return new ObjectMapper().readTree(Files.readString(DASHBOARD));
  }

  /** Every panel, rows' nested panels included. */
  private static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : dashboard.path("panels")) {
      out.add(p);
      p.path("panels").forEach(out::add);
    }
    return out;
  }

  /** Every PromQL query of the panels, by panel title and refId. */
  private static Map<String, String> panelQueries(JsonNode dashboard) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode p : panels(dashboard)) {
      for (JsonNode t : p.path("targets")) {
        out.put(p.path("title").asText() + " " + t.path("refId").asText(), t.path("expr").asText());
      }
    }
    return out;
  }

  @Test
  void aDashboardOnAPrometheusDataSourceVariableWithThePanelsAskedFor() throws Exception {
    JsonNode d = dashboard();
    assertThat(d.path("schemaVersion").asInt()).isBetween(36, 41);
    assertThat(d.path("uid").asText()).isEqualTo("wsgate");
    JsonNode datasource = null;
    for (JsonNode v : d.path("templating").path("list")) {
      if (v.path("type").asText().equals("datasource")) {
        datasource = v;
      }
    }
    assertThat(datasource).as("a data source variable").isNotNull();
    assertThat(datasource.path("query").asText()).isEqualTo("prometheus");
    String ds = "${" + datasource.path("name").asText() + "}";
    List<String> titles = new ArrayList<>();
    for (JsonNode p : panels(d)) {
      titles.add(p.path("title").asText());
      if (p.path("type").asText().equals("row")) {
        continue;
      }
      assertThat(p.path("datasource").path("uid").asText()).as(p.path("title").asText()).isEqualTo(ds);
      assertThat(p.path("targets")).as(p.path("title").asText() + " has queries").isNotEmpty();
      for (JsonNode t : p.path("targets")) {
        assertThat(t.path("expr").asText()).as(p.path("title").asText()).isNotBlank();
        assertThat(t.path("datasource").path("uid").asText()).as(p.path("title").asText()).isEqualTo(ds);
      }
    }
    assertThat(titles).contains("Live sessions", "Sessions opened", "Sessions closed by reason", "Evictions by leg",
        "Heartbeat RTT heatmap", "Upstream connects by outcome", "Upstream connect latency p50 / p99", "Frames",
        "Bytes", "JVM memory", "Netty direct memory");
    JsonNode heatmap = panels(d).stream().filter(p -> p.path("title").asText().equals("Heartbeat RTT heatmap"))
        .findFirst().orElseThrow();
    assertThat(heatmap.path("type").asText()).isEqualTo("heatmap");
    assertThat(heatmap.path("targets").get(0).path("format").asText()).isEqualTo("heatmap");
    assertThat(heatmap.path("targets").get(0).path("expr").asText()).contains("wsgate_heartbeat_rtt_seconds_bucket")
        .contains("by (le)");
  }

  /** The descriptions name every value the panels' labels take: they drifted once (rate-limit, the 429's reason). */
  @Test
  void closesAndRefusalsShowEveryReason() throws Exception {
    JsonNode d = dashboard();
    String closes = panel(d, "Sessions closed by reason").path("description").asText();
    for (Session.EndCause c : Session.EndCause.values()) {
      assertThat(closes).as("the closes panel's description").contains(c.label());
    }
    JsonNode refused = panel(d, "Handshakes refused by status and reason");
    assertThat(refused.path("targets").get(0).path("expr").asText()).contains("sum by (status, reason) (");
    assertThat(refused.path("targets").get(0).path("legendFormat").asText()).isEqualTo("{{status}} {{reason}}");
    assertThat(refused.path("description").asText()).contains("400 bad_request", "403 origin", "404 no_route",
        "408 handshake_timeout", "426 not_websocket", "429 per_address", "500 internal",
        "503 max_connections or draining", "upstream_refused", "upstream_rejected", "upstream_invalid",
        "upstream_timeout");
  }

  private static JsonNode panel(JsonNode dashboard, String title) {
    return panels(dashboard).stream().filter(p -> p.path("title").asText().equals(title)).findFirst().orElseThrow(
        () -> new AssertionError("no panel " + title));
  }

  @Test
  void everyQueryUsesMetricsAndLabelsWsgateExports() throws Exception {
    JsonNode d = dashboard();
    LiveMetrics live = LiveMetrics.parse(LiveMetrics.scrape());
    List<String> problems = new ArrayList<>();
    panelQueries(d).forEach((where, expr) -> PromQl.missing(expr, live).forEach(p -> problems.add(where + ": " + p)));
    for (JsonNode v : d.path("templating").path("list")) {
      if (!v.path("type").asText().equals("query")) {
        continue;
      }
      String query = v.path("query").path("query").asText();
      Matcher m = LABEL_VALUES.matcher(query);
      assertThat(m.matches()).as("variable " + v.path("name").asText() + ": label_values(selector, label)").isTrue();
      PromQl.missing(m.group(1), live).forEach(p -> problems.add("variable " + v.path("name").asText() + ": " + p));
      if (!LiveMetrics.TARGET_LABELS.contains(m.group(2))) {
        PromQl.Selector s = PromQl.uses(m.group(1)).selectors().get(0);
        if (!live.labelsOf(s.metric()).contains(m.group(2))) {
          problems.add("variable " + v.path("name").asText() + ": " + s.metric() + " has no label " + m.group(2));
        }
      }
    }
    assertThat(problems).as("against a live /metrics").isEmpty();
    assertThat(panelQueries(d)).hasSizeGreaterThanOrEqualTo(15);
  }

  @Test
  void everyQueryIsPromQlThatPrometheusParses() throws Exception {
    Path promtool = Tools.require("promtool", "prometheus");
    StringBuilder rules = new StringBuilder("groups:\n  - name: wsgate-dashboard\n    rules:\n");
    int n = 0;
    for (String expr : panelQueries(dashboard()).values()) {
      String filled = expr.replace("$__rate_interval", "1m").replace("$job", ".*").replace("$instance", ".*")
          .replace("$route", ".*");
      assertThat(filled).as("every Grafana variable filled in").doesNotContain("$");
      rules.append("      - record: dashboard_query_").append(n++).append("\n        expr: '")
          .append(filled.replace("'", "''")).append("'\n");
    }
    Path file = dir.resolve("dashboard-queries.yml");
    Files.writeString(file, rules);
    Tools.Run check = Tools.run(dir, Duration.ofMinutes(1), Map.of(),
        List.of(promtool.toString(), "check", "rules", file.toString()));
    assertThat(check.ok()).as(check.describe()).isTrue();
    assertThat(check.out()).contains("SUCCESS: " + n + " rules found");
  }
}
