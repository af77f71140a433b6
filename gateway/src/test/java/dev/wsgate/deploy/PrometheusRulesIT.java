package dev.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/prometheus/wsgate-alerts.yml}: valid for Prometheus ({@code promtool check rules}), its unit tests
 * pass ({@code promtool test rules}), and every expression uses metrics and labels that a running wsgate exports.
 * promtool is Debian's {@code prometheus} package; without it the test is skipped, except in CI, where it fails.
 */
class PrometheusRulesIT {

  static final Path RULES = DeployFiles.deploy().resolve("prometheus/wsgate-alerts.yml");
  static final Path RULE_TESTS = DeployFiles.deploy().resolve("prometheus/wsgate-alerts.test.yml");

  /** The alerts the issue asks for, by name. */
  static final Set<String> ALERTS = Set.of("WsgateEvictionsSpiking", "WsgateUpstreamConnectFailures",
      "WsgateNearMaxConnections", "WsgateDrainTooLong", "WsgateHeartbeatRttHigh", "WsgateConfigReloadRefused");

  @TempDir
  Path dir;

  /** Each rule of the file: alert name to expression. */
  @SuppressWarnings("unchecked")
  static Map<String, String> rules() throws Exception {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    Map<String, Object> doc = DeployFiles.yamlDocuments(RULES).get(0);
    for (Object group : (List<Object>) doc.get("groups")) {
      for (Object rule : (List<Object>) ((Map<String, Object>) group).get("rules")) {
        Map<String, Object> r = (Map<String, Object>) rule;
        assertThat(r).as("a rule").containsKeys("alert", "expr", "labels", "annotations");
        out.put((String) r.get("alert"), ((String) r.get("expr")).strip());
      }
    }
    return out;
  }

  @Test
  void promtoolChecksTheRulesAndTheirUnitTestsPass() throws Exception {
    Path promtool = Tools.require("promtool", "prometheus");
    Tools.Run check = Tools.run(dir, Duration.ofMinutes(1), Map.of(),
        List.of(promtool.toString(), "check", "rules", RULES.toString()));
    assertThat(check.ok()).as(check.describe()).isTrue();
    assertThat(check.out()).as(check.describe()).contains("SUCCESS: " + ALERTS.size() + " rules found");
    Tools.Run test = Tools.run(dir, Duration.ofMinutes(2), Map.of(),
        List.of(promtool.toString(), "test", "rules", RULE_TESTS.toString()));
    assertThat(test.ok()).as(test.describe()).isTrue();
    assertThat(test.out()).as(test.describe()).contains("SUCCESS");
  }

  @Test
  void everyAlertIsThereAndTestedBothWays() throws Exception {
    assertThat(rules().keySet()).containsExactlyInAnyOrderElementsOf(ALERTS);
    Set<String> firing = new LinkedHashSet<>();
    Set<String> silent = new LinkedHashSet<>();
    for (Object t : (List<?>) DeployFiles.yamlDocuments(RULE_TESTS).get(0).get("tests")) {
      for (Object c : (List<?>) ((Map<?, ?>) t).get("alert_rule_test")) {
        Map<?, ?> test = (Map<?, ?>) c;
        (((List<?>) test.get("exp_alerts")).isEmpty() ? silent : firing).add((String) test.get("alertname"));
      }
    }
    assertThat(firing).as("alerts with a test where they fire").containsExactlyInAnyOrderElementsOf(ALERTS);
    assertThat(silent).as("alerts with a test where they stay quiet").containsExactlyInAnyOrderElementsOf(ALERTS);
  }

  @Test
  void everyExpressionUsesMetricsAndLabelsWsgateExports() throws Exception {
    LiveMetrics live = LiveMetrics.parse(LiveMetrics.scrape());
    List<String> problems = new ArrayList<>();
    rules().forEach((alert, expr) -> PromQl.missing(expr, live).forEach(p -> problems.add(alert + ": " + p)));
    assertThat(problems).as("against a live /metrics").isEmpty();
  }
}
