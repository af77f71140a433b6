package dev.wsgate.routing;

import dev.wsgate.config.Leg;
import dev.wsgate.config.RouteConfig;
import dev.wsgate.heartbeat.LegHeartbeat;
import dev.wsgate.metrics.GatewayMetrics;
import java.util.Locale;
import java.util.Objects;

/** A configured route at run time: its matching rule and its upstream pool. */
public final class Route {
  private final RouteConfig config;
  private final UpstreamPool upstreams;
  /** The route's heartbeat on each leg, made on first use (a race makes an equal one: harmless). */
  private volatile LegHeartbeat clientHeartbeat;
  private volatile LegHeartbeat upstreamHeartbeat;

  public Route(RouteConfig config, UpstreamPool upstreams) {
    this.config = Objects.requireNonNull(config, "config");
    this.upstreams = Objects.requireNonNull(upstreams, "upstreams");
  }

  public RouteConfig config() {
    return config;
  }

  public UpstreamPool upstreams() {
    return upstreams;
  }

  /** The route's heartbeat on {@code leg}: one object for all its sessions' handlers on that leg. */
  public LegHeartbeat heartbeat(Leg leg, GatewayMetrics metrics) {
    LegHeartbeat h = leg == Leg.CLIENT ? clientHeartbeat : upstreamHeartbeat;
    if (h == null) {
      h = new LegHeartbeat(leg, config.heartbeat().of(leg), config.forwardPings(), metrics.heartbeat(id(), leg));
      if (leg == Leg.CLIENT) {
        clientHeartbeat = h;
      } else {
        upstreamHeartbeat = h;
      }
    }
    return h;
  }

  public String id() {
    return config.id();
  }

  /** True when {@code path} (raw, without query) is this route's prefix or lies under it, segment-wise. */
  boolean matchesPath(String path) {
    String prefix = config.path();
    if (prefix.equals("/")) {
      return true;
    }
    return path.startsWith(prefix) && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/');
  }

  /** True when the route has no host, or {@code host} (lower case, no port) is it or, for *.x, under it. */
  boolean matchesHost(String host) {
    if (config.host().isEmpty()) {
      return true;
    }
    String h = config.host().get();
    if (h.startsWith("*.")) {
      return host.endsWith(h.substring(1)) && host.length() > h.length() - 1;
    }
    return host.equals(h);
  }

  /** 2 for an exact host, 1 for a wildcard, 0 for any host: the more specific wins a tie on path length. */
  int hostSpecificity() {
    return config.host().map(h -> h.startsWith("*.") ? 1 : 2).orElse(0);
  }

  static String normalizeHost(String hostHeader) {
    if (hostHeader == null) {
      return "";
    }
    String h = hostHeader.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end > 0 ? h.substring(0, end + 1) : h;
    }
    int colon = h.indexOf(':');
    h = colon >= 0 ? h.substring(0, colon) : h;
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  @Override
  public String toString() {
    return id();
  }
}
