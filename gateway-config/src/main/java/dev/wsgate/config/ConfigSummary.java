package dev.wsgate.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes the effective configuration, every default applied, as YAML that loads back to the same
 * {@link GatewayConfig}; comments state what the heartbeat of each leg does against the idle timeout.
 */
public final class ConfigSummary {

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_/.][A-Za-z0-9_./:@+=-]*");
  private static final Set<String> RESERVED = Set.of("true", "false", "null", "yes", "no", "on", "off", "y", "n");

  private ConfigSummary() {
  }

  public static String render(GatewayConfig c) {
    StringBuilder out = new StringBuilder();
    out.append("# wsgate effective configuration: every default applied\n");
    ServerConfig s = c.server();
    out.append("server:\n");
    line(out, 1, "listen", s.listen().toString());
    line(out, 1, "admin", s.admin().toString());
    line(out, 1, "max-connections", Integer.toString(s.maxConnections()),
        s.maxConnections() == 0 ? "no limit" : null);
    line(out, 1, "max-frame-size", DataSizes.format(s.maxFrameSize()));
    line(out, 1, "handshake-timeout", Durations.format(s.handshakeTimeout()));
    list(out, 1, "allowed-origins", s.allowedOrigins(), "any origin");
    s.tls().ifPresentOrElse(tls -> {
      indent(out, 1).append("tls:\n");
      line(out, 2, "cert", tls.cert().toString());
      line(out, 2, "key", tls.key().toString());
    }, () -> indent(out, 1).append("# tls: none, clients connect with ws://\n"));
    line(out, 1, "write-buffer-high-water-mark", DataSizes.format(s.writeBufferHighWaterMark()));
    line(out, 1, "close-timeout", Durations.format(s.closeTimeout()));

    UpstreamConfig u = c.upstream();
    out.append("upstream:\n");
    line(out, 1, "connect-timeout", Durations.format(u.connectTimeout()));
    u.caFile().ifPresentOrElse(ca -> line(out, 1, "ca-file", ca.toString()),
        () -> indent(out, 1).append("# ca-file: none, wss:// upstreams are checked against the system trust store\n"));
    line(out, 1, "failure-backoff", Durations.format(u.failureBackoff()),
        u.failureBackoff().isZero() ? "off" : null);

    IntermediariesConfig im = c.intermediaries();
    out.append("intermediaries:\n");
    line(out, 1, "idle-timeout", Durations.format(im.idleTimeout()), im.present()
        ? "each leg acts within " + Durations.format(HeartbeatBudget.limit(im.idleTimeout())) + " (margin "
          + Durations.format(HeartbeatBudget.margin(im.idleTimeout())) + ")"
        : "nothing in the path cuts idle connections");

    out.append("heartbeat:\n");
    heartbeats(out, 1, c.heartbeat(), im);

    out.append("routes:\n");
    for (RouteConfig r : c.routes()) {
      indent(out, 1).append("- path: ").append(scalar(r.path())).append('\n');
      r.host().ifPresent(h -> line(out, 2, "host", h));
      list(out, 2, "upstreams", r.upstreams().stream().map(Object::toString).toList(), null);
      line(out, 2, "balance", r.balance().yamlName());
      indent(out, 2).append("headers:\n");
      list(out, 3, "forward", r.headers().forward(), null);
      if (r.headers().add().isEmpty()) {
        indent(out, 3).append("add: {}\n");
      } else {
        indent(out, 3).append("add:\n");
        for (Map.Entry<String, String> e : r.headers().add().entrySet()) {
          line(out, 4, e.getKey(), e.getValue());
        }
      }
      indent(out, 2).append("heartbeat:\n");
      heartbeats(out, 3, r.heartbeat(), im);
      line(out, 2, "max-idle", Durations.format(r.maxIdle()), r.maxIdle().isZero() ? "off" : null);
      line(out, 2, "forward-pings", Boolean.toString(r.forwardPings()), r.forwardPings() ? null
          : "heartbeats are hop by hop");
      line(out, 2, "max-session-age", Durations.format(r.maxSessionAge()), r.maxSessionAge().isZero() ? "off" : null);
      line(out, 2, "max-session-age-jitter", Durations.format(r.maxSessionAgeJitter()));
    }

    out.append("shutdown:\n");
    line(out, 1, "drain-timeout", Durations.format(c.shutdown().drainTimeout()));
    line(out, 1, "drain-window", Durations.format(c.shutdown().drainWindow()));
    out.append("logging:\n");
    line(out, 1, "format", c.logging().format().yamlName());
    return out.toString();
  }

  private static void heartbeats(StringBuilder out, int depth, Heartbeats h, IntermediariesConfig im) {
    for (Leg leg : Leg.values()) {
      HeartbeatSettings s = h.of(leg);
      indent(out, depth).append(leg.yamlName()).append(":  # ").append(explain(s, im)).append('\n');
      line(out, depth + 1, "interval", Durations.format(s.interval()));
      line(out, depth + 1, "timeout", Durations.format(s.timeout()));
      line(out, depth + 1, "mode", s.mode().yamlName());
      indent(out, depth + 1).append("text:\n");
      line(out, depth + 2, "ping", s.text().ping());
      line(out, depth + 2, "pong", s.text().pong());
      line(out, depth + 2, "answer-pings", Boolean.toString(s.text().answerPings()));
      line(out, depth + 1, "close-code", Integer.toString(s.closeCode()));
    }
  }

  /** One sentence on what a leg's heartbeat does, and how far it stays from the idle timeout. */
  static String explain(HeartbeatSettings s, IntermediariesConfig im) {
    if (!s.enabled()) {
      return "off: no pings, no eviction";
    }
    String what = "ping after " + Durations.format(s.interval()) + " of silence, "
        + (s.evicts() ? "evict after " + Durations.format(s.timeout()) : "never evict");
    if (!im.present()) {
      return what;
    }
    Duration room = im.idleTimeout().minus(HeartbeatBudget.deadline(s));
    return what + "; " + Durations.format(room) + " inside the " + Durations.format(im.idleTimeout())
        + " idle timeout";
  }

  private static void line(StringBuilder out, int depth, String key, String value) {
    line(out, depth, key, value, null);
  }

  private static void line(StringBuilder out, int depth, String key, String value, String comment) {
    indent(out, depth).append(scalar(key)).append(": ").append(scalar(value));
    if (comment != null) {
      out.append("  # ").append(comment);
    }
    out.append('\n');
  }

  private static void list(StringBuilder out, int depth, String key, List<String> items, String emptyComment) {
    if (items.isEmpty()) {
      indent(out, depth).append(key).append(": []");
      if (emptyComment != null) {
        out.append("  # ").append(emptyComment);
      }
      out.append('\n');
      return;
    }
    indent(out, depth).append(key).append(":\n");
    for (String item : items) {
      indent(out, depth + 1).append("- ").append(scalar(item)).append('\n');
    }
  }

  private static StringBuilder indent(StringBuilder out, int depth) {
    return out.append("  ".repeat(depth));
  }

  /** A YAML scalar: plain when that reads back as the same string, single-quoted otherwise. */
  static String scalar(String value) {
    if (PLAIN.matcher(value).matches() && !RESERVED.contains(value.toLowerCase(java.util.Locale.ROOT))) {
      return value;
    }
    return "'" + value.replace("'", "''") + "'";
  }
}
