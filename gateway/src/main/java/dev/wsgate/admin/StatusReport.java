package dev.wsgate.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wsgate.config.Leg;
import dev.wsgate.metrics.GatewayMetrics;
import dev.wsgate.metrics.MeterReadings;
import dev.wsgate.metrics.MeterReadings.Counts;
import dev.wsgate.metrics.MeterReadings.Key;
import dev.wsgate.metrics.MeterReadings.Kind;
import dev.wsgate.routing.Route;
import dev.wsgate.routing.UpstreamPool;
import dev.wsgate.session.Session;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * {@code GET /status.json}: what the status page shows, built on request from what wsgate already tracks (the
 * meters, the session registry's per-route counts, the upstream pools, readiness) and the {@link StatusHistory}.
 * Counts over a window are the counts now minus the history's snapshot at the window's start; {@code total} is
 * since start. The format is documented in the README ("Status page").
 */
final class StatusReport {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The windows of "over the last minutes", by name. */
  static final Map<String, Duration> WINDOWS = windows();

  private static final String VERSION = version();

  private final AdminView view;
  private final StatusHistory history;
  private final Instant startedAt;
  private final long startedNanos;

  StatusReport(AdminView view, StatusHistory history, Instant startedAt, long startedNanos) {
    this.view = view;
    this.history = history;
    this.startedAt = startedAt;
    this.startedNanos = startedNanos;
  }

  private static Map<String, Duration> windows() {
    Map<String, Duration> w = new LinkedHashMap<>();
    w.put("1m", Duration.ofMinutes(1));
    w.put("5m", Duration.ofMinutes(5));
    w.put("15m", Duration.ofMinutes(15));
    return Collections.unmodifiableMap(w);
  }

  ObjectNode build() {
    GatewayMetrics metrics = view.metrics();
    Counts now = metrics.counts();
    Map<String, Counts> within = new LinkedHashMap<>();
    ObjectNode o = JSON.createObjectNode();
    o.put("version", VERSION);
    o.put("now", Instant.now().toString());
    o.put("started_at", startedAt.toString());
    o.put("uptime_s", (System.nanoTime() - startedNanos) / 1_000_000_000L);
    String why = view.notReadyBecause();
    o.put("ready", why == null);
    o.put("draining", view.draining());
    o.put("state", why == null ? "ready" : why);
    ObjectNode reload = o.putObject("reload");
    GatewayMetrics.LastReload last = metrics.lastReload();
    if (last == null) {
      reload.putNull("last");
    } else {
      ObjectNode l = reload.putObject("last");
      l.put("outcome", last.outcome());
      l.put("at", last.at().toString());
    }
    reload.put("applied", (long) metrics.reloads("applied"));
    reload.put("refused", (long) metrics.reloads("refused"));
    o.put("live_sessions", view.liveSessions());
    ArrayNode windows = o.putArray("windows");
    for (Map.Entry<String, Duration> w : WINDOWS.entrySet()) {
      StatusHistory.Window since = history.since(w.getValue(), now);
      within.put(w.getKey(), since.counts());
      ObjectNode n = windows.addObject();
      n.put("name", w.getKey());
      n.put("seconds", w.getValue().toSeconds());
      n.put("covered_s", since.coveredMillis() / 1000);
    }
    within.put("total", now);
    ArrayNode routes = o.putArray("routes");
    for (Route r : view.router().routes()) {
      routes.add(route(r, metrics, within));
    }
    return o;
  }

  private ObjectNode route(Route r, GatewayMetrics metrics, Map<String, Counts> within) {
    String id = r.id();
    ObjectNode n = JSON.createObjectNode();
    n.put("route", id);
    n.put("live", view.liveSessions(id));
    n.put("balance", r.config().balance().yamlName());
    r.config().hashKey().ifPresent(k -> n.put("hash_key", k.toString()));
    n.set("opened", windowed(within, new Key(Kind.OPENED, id, "", "")));
    ObjectNode closed = n.putObject("closed");
    for (String w : within.keySet()) {
      double sum = 0;
      for (Session.EndCause c : Session.EndCause.values()) {
        sum += within.get(w).get(new Key(Kind.CLOSED, id, c.label(), ""));
      }
      closed.put(w, (long) sum);
    }
    ObjectNode reasons = n.putObject("closed_by_reason");
    for (Session.EndCause c : Session.EndCause.values()) {
      Key k = new Key(Kind.CLOSED, id, c.label(), "");
      if (within.get("total").get(k) > 0) {
        reasons.set(c.label(), windowed(within, k));
      }
    }
    ObjectNode evictions = n.putObject("evictions");
    ObjectNode rtt = n.putObject("heartbeat_rtt");
    for (Leg leg : Leg.values()) {
      evictions.set(leg.yamlName(), windowed(within, new Key(Kind.EVICTED, id, leg.yamlName(), "")));
      rtt.set(leg.yamlName(), rtt(metrics.rtt(id, leg)));
    }
    ArrayNode upstreams = n.putArray("upstreams");
    UpstreamPool pool = r.upstreams();
    for (UpstreamPool.Instance i : pool.instances()) {
      ObjectNode u = upstreams.addObject();
      String address = i.uri().toString();
      u.put("address", address);
      long left = pool.backoffLeftNanos(i);
      u.put("state", !i.isDown() ? "up" : left > 0 ? "down" : "retrying");
      u.put("backoff_left_ms", left / 1_000_000);
      u.put("sessions", i.sessions());
      ObjectNode connects = u.putObject("connects");
      TreeSet<String> outcomes = new TreeSet<>();
      within.get("total").counts().keySet().stream()
          .filter(k -> k.kind() == Kind.CONNECT && k.route().equals(id) && k.a().equals(address))
          .forEach(k -> outcomes.add(k.b()));
      for (String outcome : outcomes) {
        connects.set(outcome, windowed(within, new Key(Kind.CONNECT, id, address, outcome)));
      }
    }
    return n;
  }

  private static ObjectNode windowed(Map<String, Counts> within, Key k) {
    ObjectNode n = JSON.createObjectNode();
    within.forEach((w, counts) -> n.put(w, (long) counts.get(k)));
    return n;
  }

  private static ObjectNode rtt(MeterReadings.Rtt r) {
    ObjectNode n = JSON.createObjectNode();
    n.put("count", r.count());
    n.put("mean_ms", round(r.meanMs()));
    n.put("max_ms", round(r.maxMs()));
    n.put("p50_ms_at_most", round(r.quantileAtMostMs(0.50)));
    n.put("p90_ms_at_most", round(r.quantileAtMostMs(0.90)));
    n.put("p99_ms_at_most", round(r.quantileAtMostMs(0.99)));
    ArrayNode buckets = n.putArray("buckets");
    for (MeterReadings.Rtt.Bucket b : r.buckets()) {
      buckets.addObject().put("le_ms", round(b.leMs())).put("count", b.count());
    }
    return n;
  }

  private static double round(double ms) {
    return Math.round(ms * 1000) / 1000.0;
  }

  /** The build's version, as {@code wsgate --version} tells it. */
  private static String version() {
    Properties p = new Properties();
    try (InputStream in = StatusReport.class.getResourceAsStream("/dev/wsgate/version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      return "unknown";
    }
    return p.getProperty("version", "unknown");
  }
}
