package dev.wsgate.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Binds a YAML tree to a {@link GatewayConfig}: the schema of wsgate's configuration, its defaults and every check
 * that needs more than one value. Errors are collected, never thrown one by one.
 */
final class ConfigBinder {

  static final List<String> ROOT_KEYS = List.of("server", "upstream", "heartbeat", "intermediaries", "routes",
      "shutdown", "logging");
  static final List<String> SERVER_KEYS = List.of("listen", "admin", "max-connections", "max-frame-size",
      "handshake-timeout", "allowed-origins", "tls", "write-buffer-high-water-mark", "close-timeout");
  static final List<String> UPSTREAM_KEYS = List.of("connect-timeout", "ca-file", "failure-backoff");
  static final List<String> TLS_KEYS = List.of("cert", "key");
  static final List<String> INTERMEDIARIES_KEYS = List.of("idle-timeout");
  static final List<String> ROUTE_KEYS = List.of("path", "host", "upstreams", "balance", "headers", "heartbeat",
      "max-idle", "forward-pings", "max-session-age", "max-session-age-jitter");
  static final List<String> HEADERS_KEYS = List.of("forward", "add");
  static final List<String> SHUTDOWN_KEYS = List.of("drain-timeout", "drain-window");
  static final List<String> LOGGING_KEYS = List.of("format");

  /**
   * Headers a route may neither forward nor add: hop-by-hop headers (RFC 9110, 7.6.1), the WebSocket handshake's
   * own, and the ones wsgate sets itself.
   */
  static final Set<String> MANAGED_HEADERS = Set.of("host", "connection", "upgrade", "keep-alive",
      "proxy-connection", "transfer-encoding", "te", "trailer", "content-length", "sec-websocket-key",
      "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-accept", "x-forwarded-for",
      "x-forwarded-proto", "x-forwarded-host");

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern HOST_NAME = Pattern.compile(
      "(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
  private static final Pattern ORIGIN = Pattern.compile(
      "[a-z][a-z0-9+.-]*://(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\\d{1,5})?");

  private final Values values;
  private final Problems problems;
  private final Path baseDir;
  private final TlsFiles tlsFiles;

  ConfigBinder(Values values, Path baseDir, TlsFiles tlsFiles) {
    this.values = values;
    this.problems = values.problems();
    this.baseDir = baseDir;
    this.tlsFiles = tlsFiles;
  }

  /** The configuration, or null when there were errors (they are in the {@link Problems}). */
  GatewayConfig bind(Node root) {
    At rootAt = new At(root, "");
    if (!(root instanceof MappingNode)) {
      problems.add(rootAt, rootAt.describe() + " (expected: a mapping with " + String.join(", ", ROOT_KEYS) + ")");
      return null;
    }
    YamlMapping top = YamlMapping.read(rootAt, ROOT_KEYS, problems);
    ServerConfig server = server(top.get("server"));
    UpstreamConfig upstream = upstream(top.get("upstream"));
    Scope global = scope(top.get("heartbeat"), HeartbeatLayer.defaults(), HeartbeatLayer.defaults());
    // Where a budget error caused by a built-in default is reported: the idle timeout, written or not.
    At idleAt = new At(root, "intermediaries.idle-timeout");
    Duration idle = IntermediariesConfig.DEFAULT_IDLE_TIMEOUT;
    if (top.has("intermediaries")) {
      YamlMapping m = YamlMapping.read(top.get("intermediaries"), INTERMEDIARIES_KEYS, problems);
      if (m.has("idle-timeout")) {
        idleAt = m.get("idle-timeout");
        idle = orDefault(values.duration(idleAt, Values.DurationRule.ZERO_OR_MORE), idle);
      }
    }
    IntermediariesConfig intermediaries = new IntermediariesConfig(idle);
    List<RouteConfig> routes = routes(top, global, intermediaries, idleAt);
    ShutdownConfig shutdown = shutdown(top.get("shutdown"));
    LoggingConfig logging = LoggingConfig.defaults();
    if (top.has("logging")) {
      YamlMapping m = YamlMapping.read(top.get("logging"), LOGGING_KEYS, problems);
      if (m.has("format")) {
        logging = new LoggingConfig(orDefault(values.choice(m.get("format"), LoggingConfig.LogFormat.values()),
            logging.format()));
      }
    }
    if (server == null) {
      return null;
    }
    return new GatewayConfig(server, upstream, global.effective(), intermediaries, routes, shutdown, logging);
  }

  // ---------------------------------------------------------------------------------------------------- server

  private ServerConfig server(At at) {
    ServerConfig d = ServerConfig.defaults();
    if (at == null) {
      return d;
    }
    YamlMapping m = YamlMapping.read(at, SERVER_KEYS, problems);
    ListenAddress listen = m.has("listen") ? orDefault(values.listenAddress(m.get("listen")), d.listen())
        : d.listen();
    ListenAddress admin = m.has("admin") ? orDefault(values.listenAddress(m.get("admin")), d.admin()) : d.admin();
    if (listen.conflictsWith(admin)) {
      At where = m.has("admin") ? m.get("admin") : m.get("listen");
      problems.add(where, admin + " (expected: an address apart from server.listen " + listen
          + "; both cannot hold one port)");
    }
    int maxConnections = d.maxConnections();
    if (m.has("max-connections")) {
      maxConnections = orDefault(values.integer(m.get("max-connections"), 0, ServerConfig.MAX_CONNECTIONS_LIMIT,
          "a whole number from 0 to " + ServerConfig.MAX_CONNECTIONS_LIMIT + ", 0 for no limit"), maxConnections);
    }
    int maxFrameSize = size(m, "max-frame-size", ServerConfig.MIN_FRAME_SIZE, ServerConfig.MAX_FRAME_SIZE_LIMIT,
        d.maxFrameSize());
    Duration handshakeTimeout = duration(m, "handshake-timeout", Values.DurationRule.POSITIVE, d.handshakeTimeout());
    List<String> origins = m.has("allowed-origins") ? origins(m.get("allowed-origins")) : List.of();
    Optional<TlsConfig> tls = m.has("tls") && !m.get("tls").isNull() ? tls(m.get("tls")) : Optional.empty();
    int highWaterMark = size(m, "write-buffer-high-water-mark", ServerConfig.MIN_WRITE_BUFFER_HIGH_WATER_MARK,
        ServerConfig.MAX_WRITE_BUFFER_HIGH_WATER_MARK, d.writeBufferHighWaterMark());
    Duration closeTimeout = duration(m, "close-timeout", Values.DurationRule.POSITIVE, d.closeTimeout());
    return new ServerConfig(listen, admin, maxConnections, maxFrameSize, handshakeTimeout, origins, tls,
        highWaterMark, closeTimeout);
  }

  // -------------------------------------------------------------------------------------------------- shutdown

  private ShutdownConfig shutdown(At at) {
    ShutdownConfig d = ShutdownConfig.defaults();
    if (at == null) {
      return d;
    }
    YamlMapping m = YamlMapping.read(at, SHUTDOWN_KEYS, problems);
    Duration timeout = duration(m, "drain-timeout", Values.DurationRule.ZERO_OR_MORE, d.drainTimeout());
    // Without a window of its own, a drain timeout shorter than the default window spreads over all of it.
    Duration window = d.drainWindow().compareTo(timeout) <= 0 ? d.drainWindow() : timeout;
    if (m.has("drain-window")) {
      At windowAt = m.get("drain-window");
      Duration w = values.duration(windowAt, Values.DurationRule.ZERO_OR_MORE);
      if (w != null && w.compareTo(timeout) > 0) {
        problems.add(windowAt, Durations.format(w) + " (expected: at most shutdown.drain-timeout "
            + Durations.format(timeout) + ")");
      } else if (w != null) {
        window = w;
      }
    }
    return new ShutdownConfig(timeout, window);
  }

  // -------------------------------------------------------------------------------------------------- upstream

  private UpstreamConfig upstream(At at) {
    UpstreamConfig d = UpstreamConfig.defaults();
    if (at == null) {
      return d;
    }
    YamlMapping m = YamlMapping.read(at, UPSTREAM_KEYS, problems);
    Duration connectTimeout = duration(m, "connect-timeout", Values.DurationRule.POSITIVE, d.connectTimeout());
    Optional<Path> caFile = Optional.empty();
    if (m.has("ca-file")) {
      Path ca = file(m.get("ca-file"));
      if (ca != null) {
        List<TlsFiles.Refusal> refused = tlsFiles.checkTrust(ca);
        refused.forEach(r -> problems.add(m.get("ca-file"), r.file() + ": " + r.message()));
        if (refused.isEmpty()) {
          caFile = Optional.of(ca);
        }
      }
    }
    Duration backoff = duration(m, "failure-backoff", Values.DurationRule.ZERO_OR_MORE, d.failureBackoff());
    return new UpstreamConfig(connectTimeout, caFile, backoff);
  }

  private List<String> origins(At at) {
    List<String> out = new ArrayList<>();
    for (At e : values.list(at, "origins such as https://app.example.com")) {
      String t = values.text(e, "an origin such as https://app.example.com");
      if (t == null) {
        continue;
      }
      String o = t.strip().toLowerCase(Locale.ROOT);
      if (o.endsWith("/")) {
        o = o.substring(0, o.length() - 1);
      }
      if (!o.equals("*") && !ORIGIN.matcher(o).matches()) {
        problems.add(e, t + " (expected: an origin, SCHEME://HOST[:PORT] without a path, such as "
            + "https://app.example.com or https://*.example.com; or * for any)");
        continue;
      }
      out.add(o);
    }
    return out;
  }

  private Optional<TlsConfig> tls(At at) {
    YamlMapping m = YamlMapping.read(at, TLS_KEYS, problems);
    Path cert = file(m, "cert");
    Path key = file(m, "key");
    if (cert == null || key == null) {
      return Optional.empty();
    }
    for (TlsFiles.Refusal r : tlsFiles.checkServer(cert, key)) {
      boolean ofKey = r.privateKey() || !r.file().equals(cert);
      problems.add(m.get(ofKey ? "key" : "cert"), r.file() + ": " + r.message());
    }
    return Optional.of(new TlsConfig(cert, key));
  }

  private Path file(YamlMapping m, String key) {
    if (!m.has(key)) {
      problems.add(m.self(), "missing " + key + " (expected: both cert and key, PEM files)");
      return null;
    }
    return file(m.get(key));
  }

  private Path file(At at) {
    String t = values.text(at, "the path of a PEM file");
    if (t == null) {
      return null;
    }
    try {
      return baseDir.resolve(t.strip()).toAbsolutePath().normalize();
    } catch (java.nio.file.InvalidPathException e) {
      problems.add(at, t + " (expected: a file path; " + e.getReason() + ")");
      return null;
    }
  }

  // ------------------------------------------------------------------------------------------------- heartbeat

  /** The heartbeat layers of one scope: its own keys, then those of each leg. */
  private record Scope(HeartbeatLayer client, HeartbeatLayer upstream) {
    Heartbeats effective() {
      return new Heartbeats(client.settings(), upstream.settings());
    }

    HeartbeatLayer leg(Leg leg) {
      return leg == Leg.CLIENT ? client : upstream;
    }
  }

  /** Layers a {@code heartbeat:} mapping (global, or of a route) over the layers below it, per leg. */
  private Scope scope(At at, HeartbeatLayer clientBelow, HeartbeatLayer upstreamBelow) {
    if (at == null) {
      return new Scope(clientBelow, upstreamBelow);
    }
    YamlMapping m = YamlMapping.read(at, HeartbeatLayer.SCOPE_KEYS, problems);
    HeartbeatLayer common = HeartbeatLayer.read(m, values);
    HeartbeatLayer client = clientBelow.overriddenBy(common).overriddenBy(leg(m, "client"));
    HeartbeatLayer upstream = upstreamBelow.overriddenBy(common).overriddenBy(leg(m, "upstream"));
    return new Scope(client, upstream);
  }

  private HeartbeatLayer leg(YamlMapping scope, String name) {
    if (!scope.has(name)) {
      return HeartbeatLayer.EMPTY;
    }
    return HeartbeatLayer.read(YamlMapping.read(scope.get(name), HeartbeatLayer.LEG_KEYS, problems), values);
  }

  /**
   * Checks one effective leg: interval below timeout, and the heartbeat budget. Each error is reported at the
   * value that caused it; the same value inherited by several routes is reported once.
   */
  private void checkHeartbeat(HeartbeatLayer leg, IntermediariesConfig intermediaries, At idleAt) {
    HeartbeatLayer.Located<Duration> interval = leg.interval();
    HeartbeatLayer.Located<Duration> timeout = leg.timeout();
    if (interval.value() == null || timeout.value() == null) {
      return; // already reported where it was written
    }
    boolean enabled = !interval.value().isZero();
    boolean evicts = enabled && !timeout.value().isZero();
    if (evicts && interval.value().compareTo(timeout.value()) >= 0) {
      HeartbeatLayer.Located<Duration> blame = moreSpecific(interval, timeout);
      String suggestion = Durations.format(interval.value().multipliedBy(3).dividedBy(2));
      reportAt(blame, idleAt, "interval " + Durations.format(interval.value()) + " >= timeout "
          + Durations.format(timeout.value()) + " (expected: interval < timeout; about 1.5 x interval, "
          + suggestion + ", is usual)");
      return;
    }
    if (!intermediaries.present()) {
      return;
    }
    Duration idle = intermediaries.idleTimeout();
    Duration margin = HeartbeatBudget.margin(idle);
    Duration limit = HeartbeatBudget.limit(idle);
    String idleText = "intermediaries.idle-timeout " + Durations.format(idle);
    if (!enabled) {
      reportAt(interval, idleAt, "interval 0 turns the heartbeat off, but " + idleText + " would cut a quiet session "
          + "(expected: an interval above 0 with a timeout <= " + Durations.format(limit) + " (or, with timeout 0, "
          + "an interval <= " + Durations.format(limit) + "), or intermediaries.idle-timeout: 0 when nothing in the "
          + "path cuts idle connections)");
      return;
    }
    HeartbeatLayer.Located<Duration> deadline = evicts ? timeout : interval;
    String name = evicts ? "timeout" : "interval";
    if (deadline.value().plus(margin).compareTo(idle) > 0) {
      if (deadline.isDefault()) {
        problems.add(idleAt, Durations.format(idle) + " is shorter than the default heartbeat " + name + " "
            + Durations.format(deadline.value()) + " + margin " + Durations.format(margin) + " (expected: "
            + "heartbeat." + name + " <= " + Durations.format(limit) + ", or idle-timeout >= "
            + Durations.format(deadline.value().plus(HeartbeatBudget.MAX_MARGIN)) + ")");
      } else {
        reportAt(deadline, idleAt, name + " " + Durations.format(deadline.value()) + " + margin "
            + Durations.format(margin) + " > " + idleText + " (expected: " + name + " <= " + Durations.format(limit)
            + ")");
      }
    }
  }

  private void reportAt(HeartbeatLayer.Located<Duration> value, At idleAt, String message) {
    if (value.isDefault()) {
      // Only a default in conflict with the idle timeout gets here; blame the idle timeout the user wrote.
      problems.add(idleAt, message);
    } else {
      At at = value.at();
      problems.add(at.line(), at.column(), value.scope(), message);
    }
  }

  private static <T> HeartbeatLayer.Located<T> moreSpecific(HeartbeatLayer.Located<T> a,
      HeartbeatLayer.Located<T> b) {
    if (a.isDefault()) {
      return b;
    }
    if (b.isDefault()) {
      return a;
    }
    return b.scope().length() >= a.scope().length() ? b : a;
  }

  // ---------------------------------------------------------------------------------------------------- routes

  private List<RouteConfig> routes(YamlMapping top, Scope global, IntermediariesConfig intermediaries, At idleAt) {
    List<RouteConfig> out = new ArrayList<>();
    if (!top.has("routes")) {
      problems.add(top.self(), "missing routes (expected: a list of at least one route, each with a path and "
          + "upstreams)");
      return out;
    }
    At routesAt = top.get("routes");
    List<At> items = values.list(routesAt, "routes, each with a path and upstreams");
    if (items.isEmpty() && (routesAt.isNull() || routesAt.node() instanceof SequenceNode)) {
      problems.add(routesAt, "no routes (expected: at least one route, each with a path and upstreams)");
    }
    Map<String, At> seen = new HashMap<>();
    for (At item : items) {
      RouteConfig route = route(item, global, intermediaries, idleAt, seen);
      if (route != null) {
        out.add(route);
      }
    }
    return out;
  }

  private RouteConfig route(At at, Scope global, IntermediariesConfig intermediaries, At idleAt,
      Map<String, At> seen) {
    if (!(at.node() instanceof MappingNode)) {
      problems.add(at, at.describe() + " (expected: a route, a mapping with path and upstreams)");
      return null;
    }
    YamlMapping m = YamlMapping.read(at, ROUTE_KEYS, problems);
    String path = m.has("path") ? path(m.get("path")) : null;
    if (!m.has("path")) {
      problems.add(at, "missing path (expected: a path prefix such as /chat)");
    }
    Optional<String> host = m.has("host") ? host(m.get("host")) : Optional.empty();
    if (path != null) {
      At first = seen.putIfAbsent(host.orElse("") + " " + path, at);
      if (first != null) {
        problems.add(m.get("path"), path + " on " + host.map(h -> "host " + h).orElse("any host")
            + " (expected: each path and host once; " + first.path() + " has it already)");
        path = null;
      }
    }
    List<URI> upstreams = upstreams(m, at);
    Balance balance = RouteConfig.DEFAULT_BALANCE;
    if (m.has("balance")) {
      balance = orDefault(values.choice(m.get("balance"), Balance.values()), balance);
    }
    HeaderRules headers = m.has("headers") ? headers(m.get("headers")) : HeaderRules.none();
    Scope scope = scope(m.get("heartbeat"), global.client(), global.upstream());
    for (Leg leg : Leg.values()) {
      checkHeartbeat(scope.leg(leg), intermediaries, idleAt);
    }
    Duration maxIdle = duration(m, "max-idle", Values.DurationRule.ZERO_OR_MORE, RouteConfig.DEFAULT_MAX_IDLE);
    boolean forwardPings = RouteConfig.DEFAULT_FORWARD_PINGS;
    if (m.has("forward-pings")) {
      forwardPings = orDefault(values.bool(m.get("forward-pings")), forwardPings);
    }
    Duration maxAge = duration(m, "max-session-age", Values.DurationRule.ZERO_OR_MORE,
        RouteConfig.DEFAULT_MAX_SESSION_AGE);
    Duration jitter = RouteConfig.DEFAULT_MAX_SESSION_AGE_JITTER;
    if (m.has("max-session-age-jitter")) {
      At jitterAt = m.get("max-session-age-jitter");
      Duration j = values.duration(jitterAt, Values.DurationRule.ZERO_OR_MORE);
      if (j != null && !j.isZero() && j.compareTo(maxAge) >= 0) {
        problems.add(jitterAt, Durations.format(j) + " (expected: less than max-session-age " + (maxAge.isZero()
            ? "0, which is off; set max-session-age first" : Durations.format(maxAge)) + ")");
      } else if (j != null) {
        jitter = j;
      }
    }
    if (path == null || upstreams.isEmpty()) {
      return null;
    }
    return new RouteConfig(path, host, upstreams, balance, headers, scope.effective(), maxIdle, forwardPings, maxAge,
        jitter);
  }

  private String path(At at) {
    String t = values.text(at, "a path prefix such as /chat");
    if (t == null) {
      return null;
    }
    String p = t.strip();
    boolean ok = p.startsWith("/") && !p.contains("//") && p.chars().noneMatch(c -> c <= ' ' || c == '?'
        || c == '#' || c == 0x7f);
    if (ok) {
      for (String segment : p.split("/")) {
        ok &= !segment.equals(".") && !segment.equals("..");
      }
    }
    if (!ok) {
      problems.add(at, t + " (expected: a path prefix from /, such as /chat, without spaces, ?, #, // or dot "
          + "segments)");
      return null;
    }
    return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  private Optional<String> host(At at) {
    String t = values.text(at, "a host name such as chat.example.com");
    if (t == null) {
      return Optional.empty();
    }
    String h = t.strip().toLowerCase(Locale.ROOT);
    if (!HOST_NAME.matcher(h).matches()) {
      String hint = h.contains(":") ? "; without a port" : "";
      problems.add(at, t + " (expected: a host name such as chat.example.com or *.example.com" + hint + ")");
      return Optional.empty();
    }
    return Optional.of(h);
  }

  private List<URI> upstreams(YamlMapping m, At route) {
    List<URI> out = new ArrayList<>();
    if (!m.has("upstreams")) {
      problems.add(route, "missing upstreams (expected: a list of at least one ws:// or wss:// URI)");
      return out;
    }
    At at = m.get("upstreams");
    List<At> items = values.list(at, "ws:// or wss:// URIs");
    if (items.isEmpty() && (at.isNull() || at.node() instanceof SequenceNode)) {
      problems.add(at, (at.isNull() ? "no value" : "[]") + " (expected: at least one ws:// or wss:// URI)");
    }
    for (At item : items) {
      URI uri = values.upstreamUri(item);
      if (uri == null) {
        continue;
      }
      if (out.contains(uri)) {
        problems.add(item, uri + " (expected: each upstream once in a route)");
        continue;
      }
      out.add(uri);
    }
    return out;
  }

  private HeaderRules headers(At at) {
    YamlMapping m = YamlMapping.read(at, HEADERS_KEYS, problems);
    List<String> forward = new ArrayList<>();
    if (m.has("forward")) {
      for (At item : values.list(m.get("forward"), "header names")) {
        String name = headerName(item);
        if (name != null) {
          forward.add(name);
        }
      }
    }
    Map<String, String> add = new LinkedHashMap<>();
    if (m.has("add")) {
      At addAt = m.get("add");
      if (!addAt.isNull() && !(addAt.node() instanceof MappingNode)) {
        problems.add(addAt, addAt.describe() + " (expected: a mapping of header name to value)");
      } else if (addAt.node() instanceof MappingNode) {
        for (var tuple : ((MappingNode) addAt.node()).getValue()) {
          At nameAt = addAt.child(String.valueOf(keyText(tuple.getKeyNode())), tuple.getKeyNode());
          String name = headerName(nameAt);
          At valueAt = new At(tuple.getValueNode(), nameAt.path());
          String value = values.text(valueAt, "a header value");
          if (name == null || value == null) {
            continue;
          }
          if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0 || value.indexOf(0) >= 0) {
            problems.add(valueAt, "a value with a line break (expected: a "
                + "header value on one line)");
            continue;
          }
          if (add.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(name))) {
            problems.add(nameAt, "duplicate header (expected: each header once)");
            continue;
          }
          add.put(name, value);
        }
      }
    }
    return new HeaderRules(forward, add);
  }

  private String headerName(At at) {
    String t = values.text(at, "a header name");
    if (t == null) {
      return null;
    }
    String name = t.strip();
    if (!TOKEN.matcher(name).matches()) {
      problems.add(at, t + " (expected: a header name, letters, digits and !#$%&'*+-.^_`|~)");
      return null;
    }
    if (MANAGED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
      problems.add(at, name + " (expected: a header that wsgate does not manage itself; hop-by-hop, handshake and "
          + "X-Forwarded-* headers are set by wsgate)");
      return null;
    }
    return name;
  }

  private static String keyText(Node key) {
    return key instanceof ScalarNode ? ((ScalarNode) key).getValue() : "?";
  }

  /** The duration at {@code key}, or {@code fallback} when the key is absent or its value wrong (and reported). */
  private Duration duration(YamlMapping m, String key, Values.DurationRule rule, Duration fallback) {
    return m.has(key) ? orDefault(values.duration(m.get(key), rule), fallback) : fallback;
  }

  /** The size in bytes at {@code key}, or {@code fallback} when the key is absent or its value wrong (and reported). */
  private int size(YamlMapping m, String key, long min, long max, int fallback) {
    Long size = m.has(key) ? values.size(m.get(key), min, max) : null;
    return size == null ? fallback : size.intValue();
  }

  private static <T> T orDefault(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
