package dev.wsgate.config;

import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Binds a YAML tree to a {@link GatewayConfig}: reads each section of the {@link Schema}, layers the heartbeat
 * settings (global, per leg, per route, per leg of a route), runs the checks across keys, and builds the records.
 * Errors are collected, never thrown one by one.
 */
final class ConfigBinder {

  private final Values values;
  private final Problems problems;
  private final TlsFiles tlsFiles;

  ConfigBinder(Values values, TlsFiles tlsFiles) {
    this.values = values;
    this.problems = values.problems();
    this.tlsFiles = tlsFiles;
  }

  /** The heartbeat keys of both legs as one place of the file leaves them, layered over the places below it. */
  private record Legs(Bound<HeartbeatSettings> client, Bound<HeartbeatSettings> upstream) {
    static final Legs DEFAULTS = new Legs(new Bound<>(null), new Bound<>(null));

    Heartbeats effective() {
      return new Heartbeats(Schema.HEARTBEAT_LEG.build(client), Schema.HEARTBEAT_LEG.build(upstream));
    }
  }

  /** The configuration, or null when there were errors (they are in the {@link Problems}). */
  GatewayConfig bind(Node root) {
    At rootAt = new At(root, "");
    if (!(root instanceof MappingNode)) {
      problems.add(rootAt, rootAt.describe() + " (expected: a mapping with " + String.join(", ",
          Schema.ROOT.heads()) + ")");
      return null;
    }
    Bound<GatewayConfig> top = Schema.ROOT.read(rootAt, values);

    Bound<ServerConfig> server = Schema.SERVER.read(top.nested("server"), values);
    ListenAdminCheck.check(server, problems);
    Bound<UpstreamConfig> upstream = Schema.UPSTREAM.read(top.nested("upstream"), values);
    TlsFilesCheck.check(server, upstream, tlsFiles, problems);

    Bound<IntermediariesConfig> im = Schema.INTERMEDIARIES.read(top.nested("intermediaries"), values);
    IntermediariesConfig intermediaries = Schema.INTERMEDIARIES.build(im);
    At idleAt = im.isWritten(Schema.IDLE_TIMEOUT) ? im.located(Schema.IDLE_TIMEOUT).at()
        : new At(root, "intermediaries.idle-timeout");

    Legs global = legs(top.nested("heartbeat"), Legs.DEFAULTS);
    List<RouteConfig> routes = routes(top, global, intermediaries, idleAt, server.get(Schema.MAX_FRAME_SIZE));

    Bound<ShutdownConfig> shutdown = Schema.SHUTDOWN.read(top.nested("shutdown"), values);
    DrainWindowCheck.check(shutdown, problems);
    Bound<LoggingConfig> logging = Schema.LOGGING.read(top.nested("logging"), values);

    top.attach("server", Schema.SERVER.build(server));
    top.attach("upstream", Schema.UPSTREAM.build(upstream));
    top.attach("heartbeat", global.effective());
    top.attach("intermediaries", intermediaries);
    top.attach("routes", routes);
    top.attach("shutdown", Schema.SHUTDOWN.build(shutdown));
    top.attach("logging", Schema.LOGGING.build(logging));
    return problems.isEmpty() ? Schema.ROOT.build(top) : null;
  }

  /** Layers a {@code heartbeat:} mapping (global, or of a route) over the layers below it, per leg. */
  private Legs legs(At at, Legs below) {
    if (at == null) {
      return below;
    }
    Bound<HeartbeatSettings> common = Schema.HEARTBEAT.read(at, values);
    return new Legs(
        below.client().overriddenBy(common).overriddenBy(Schema.HEARTBEAT_LEG.read(common.nested("client"), values)),
        below.upstream().overriddenBy(common).overriddenBy(
            Schema.HEARTBEAT_LEG.read(common.nested("upstream"), values)));
  }

  /** A route's {@code compression:} mapping, its keys for both legs and then each leg's overrides, over defaults. */
  private Compressions compression(At at) {
    if (at == null) {
      return Compressions.defaults();
    }
    Bound<CompressionSettings> common = Schema.COMPRESSION.read(at, values);
    Bound<CompressionSettings> client = common.overriddenBy(Schema.COMPRESSION_LEG.read(common.nested("client"),
        values));
    Bound<CompressionSettings> upstream = common.overriddenBy(Schema.COMPRESSION_LEG.read(common.nested("upstream"),
        values));
    return new Compressions(Schema.COMPRESSION_LEG.build(client), Schema.COMPRESSION_LEG.build(upstream));
  }

  /** A route's {@code rate-limit:} mapping, one limit per sending peer, each checked; none when absent. */
  private RateLimits rateLimit(At at, int maxFrameSize) {
    if (at == null) {
      return RateLimits.NONE;
    }
    Bound<RateLimits> both = Schema.RATE_LIMIT.read(at, values);
    Bound<RateLimit> client = Schema.RATE_LIMIT_LEG.read(both.nested("client"), values);
    Bound<RateLimit> upstream = Schema.RATE_LIMIT_LEG.read(both.nested("upstream"), values);
    RateLimitCheck.check(client, maxFrameSize, problems);
    RateLimitCheck.check(upstream, maxFrameSize, problems);
    return new RateLimits(Schema.RATE_LIMIT_LEG.build(client), Schema.RATE_LIMIT_LEG.build(upstream));
  }

  private List<RouteConfig> routes(Bound<GatewayConfig> top, Legs global, IntermediariesConfig intermediaries,
      At idleAt, int maxFrameSize) {
    List<RouteConfig> out = new ArrayList<>();
    At routesAt = top.nested("routes");
    if (routesAt == null) {
      problems.add(top.self(), "missing routes (expected: a list of at least one route, each with a path and "
          + "upstreams)");
      return out;
    }
    List<At> items = values.list(routesAt, "routes, each with a path and upstreams");
    if (items.isEmpty() && (routesAt.isNull() || routesAt.node() instanceof SequenceNode)) {
      problems.add(routesAt, "no routes (expected: at least one route, each with a path and upstreams)");
    }
    List<Bound<RouteConfig>> bound = new ArrayList<>();
    for (At item : items) {
      if (!(item.node() instanceof MappingNode)) {
        problems.add(item, item.describe() + " (expected: a route, a mapping with path and upstreams)");
        continue;
      }
      Bound<RouteConfig> route = Schema.ROUTE.read(item, values);
      Legs legs = legs(route.nested("heartbeat"), global);
      HeartbeatBudgetCheck.check(legs.client(), intermediaries, idleAt, problems);
      HeartbeatBudgetCheck.check(legs.upstream(), intermediaries, idleAt, problems);
      SessionAgeJitterCheck.check(route, problems);
      HashKeyCheck.check(route, problems);
      route.attach("heartbeat", legs.effective());
      route.attach("compression", compression(route.nested("compression")));
      route.attach("rate-limit", rateLimit(route.nested("rate-limit"), maxFrameSize));
      bound.add(route);
      RouteConfig r = Schema.ROUTE.build(route);
      if (r != null) {
        out.add(r);
      }
    }
    RoutesCheck.check(bound, problems);
    return out;
  }
}
