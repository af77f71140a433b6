package dev.wsgate.metrics;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import dev.wsgate.session.SessionRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * wsgate's meters, named once here, in base units (Prometheus: {@code wsgate_..._total}, {@code _seconds},
 * {@code _bytes}). Meters are created on first use per tag set and cached. Nothing is counted per frame: frame and
 * byte totals are read from the sessions when scraped.
 */
public final class GatewayMetrics {

  private final MeterRegistry registry;
  private final Map<Integer, Counter> rejections = new ConcurrentHashMap<>();
  private final Map<String, Counter> protocolErrors = new ConcurrentHashMap<>();
  private final Map<Session.EndCause, Counter> endsByCause = new ConcurrentHashMap<>();
  private final Map<String, Counter> closed = new ConcurrentHashMap<>();
  private final Map<String, Counter> opened = new ConcurrentHashMap<>();
  private final Map<String, HeartbeatMeters> heartbeats = new ConcurrentHashMap<>();
  private final Map<String, Counter> connects = new ConcurrentHashMap<>();
  private final Map<String, Timer> connectLatency = new ConcurrentHashMap<>();
  private final Map<String, Meter> routeGauges = new ConcurrentHashMap<>();
  private final Map<String, Counter> reloads = new ConcurrentHashMap<>();

  public GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The JVM's and Netty's own meters: memory (direct included), GC, threads, CPU, uptime, buffer pools. */
  public void bindJvmAndNetty() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider) {
      new NettyAllocatorMetrics((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).bindTo(registry);
    }
    Gauge.builder("wsgate.netty.direct.memory.used", PlatformDependent::usedDirectMemory)
        .description("Direct memory Netty holds (its pools included), -1 when Netty does not track it")
        .baseUnit("bytes")
        .register(registry);
  }

  /** Traffic and session counts read from the registry when scraped. */
  public void bindSessions(SessionRegistry sessions, BooleanSupplier draining) {
    for (Direction d : Direction.values()) {
      FunctionCounter.builder("wsgate.frames", sessions, r -> d.frames(r))
          .description("Data frames relayed, by direction")
          .tag("direction", d.label)
          .register(registry);
      FunctionCounter.builder("wsgate.bytes", sessions, r -> d.bytes(r))
          .description("Data frame payload bytes relayed, by direction")
          .baseUnit("bytes")
          .tag("direction", d.label)
          .register(registry);
    }
    Gauge.builder("wsgate.sessions.live", sessions, SessionRegistry::size)
        .description("Live sessions, all routes")
        .register(registry);
    Gauge.builder("wsgate.draining", () -> draining.getAsBoolean() ? 1 : 0)
        .description("1 while wsgate drains its sessions on shutdown")
        .register(registry);
  }

  /** One {@code wsgate_sessions_active{route}} gauge per configured route; gauges of removed routes go. */
  public void routes(Set<String> routeIds, SessionRegistry sessions) {
    for (String id : routeIds) {
      routeGauges.computeIfAbsent(id, r -> Gauge.builder("wsgate.sessions.active", sessions,
              s -> s.liveOnRoute(r))
          .description("Live sessions per route")
          .tag("route", r)
          .register(registry));
    }
    routeGauges.entrySet().removeIf(e -> {
      if (!routeIds.contains(e.getKey())) {
        registry.remove(e.getValue());
        return true;
      }
      return false;
    });
  }

  private enum Direction {
    CLIENT_TO_UPSTREAM("client_to_upstream"),
    UPSTREAM_TO_CLIENT("upstream_to_client");

    final String label;

    Direction(String label) {
      this.label = label;
    }

    double frames(SessionRegistry r) {
      return this == CLIENT_TO_UPSTREAM ? r.framesFromClient() : r.framesFromUpstream();
    }

    double bytes(SessionRegistry r) {
      return this == CLIENT_TO_UPSTREAM ? r.bytesFromClient() : r.bytesFromUpstream();
    }
  }

  /** A handshake answered with an HTTP error instead of an upgrade. */
  public void handshakeRejected(int status) {
    rejections.computeIfAbsent(status, s -> Counter.builder("wsgate.handshake.rejections")
        .description("Client handshakes answered with an HTTP error instead of an upgrade, by status")
        .tag("status", Integer.toString(s))
        .register(registry)).increment();
  }

  /** A peer broke the protocol and was closed with {@code code}. */
  public void protocolError(Leg leg, int code) {
    protocolErrors.computeIfAbsent(leg.yamlName() + code, k -> Counter.builder("wsgate.protocol.errors")
        .description("Peers closed for bad input: protocol violations (1002), invalid UTF-8 (1007), frames too "
            + "big (1009)")
        .tag("leg", leg.yamlName())
        .tag("code", Integer.toString(code))
        .register(registry)).increment();
  }

  public void sessionOpened(String route) {
    opened.computeIfAbsent(route, r -> Counter.builder("wsgate.sessions.opened")
        .description("Sessions opened (both handshakes done), by route")
        .tag("route", r)
        .register(registry)).increment();
  }

  /** A session ended: by route, reason, closing side and close code (1000-1015 exactly, else 3xxx or 4xxx). */
  public void sessionEnded(Session s) {
    Session.EndCause cause = s.endCause();
    if (cause == null) {
      return;
    }
    endsByCause.computeIfAbsent(cause, c -> Counter.builder("wsgate.sessions.ended.by.reason")
        .description("Sessions ended, by reason alone")
        .tag("reason", c.label())
        .register(registry)).increment();
    String code = codeLabel(s.closeCode());
    String key = s.route() + '\u0000' + cause.label() + '\u0000' + code;
    closed.computeIfAbsent(key, k -> Counter.builder("wsgate.sessions.closed")
        .description("Sessions ended, by route, reason (client-close, upstream-close, client-lost, upstream-lost, "
            + "client-heartbeat, upstream-heartbeat, max-idle, max-age, drain, error), closing side and close code")
        .tags(Tags.of("route", s.route(), "reason", cause.label(), "closed_by", cause.initiator().label(),
            "code", code))
        .register(registry)).increment();
  }

  /** How many sessions ended for {@code cause}. */
  public double sessionsEnded(Session.EndCause cause) {
    Counter c = endsByCause.get(cause);
    return c == null ? 0 : c.count();
  }

  /** The heartbeat meters of a route and leg. */
  public HeartbeatMeters heartbeat(String route, Leg leg) {
    return heartbeats.computeIfAbsent(route + '\u0000' + leg.yamlName(), k -> {
      Tags tags = Tags.of("route", route, "leg", leg.yamlName());
      return new HeartbeatMeters(
          Counter.builder("wsgate.heartbeat.pings").description("Heartbeat pings sent").tags(tags).register(registry),
          Counter.builder("wsgate.heartbeat.pongs").description("Heartbeat pongs received").tags(tags)
              .register(registry),
          Timer.builder("wsgate.heartbeat.rtt").description("Heartbeat round-trip time, ping to pong").tags(tags)
              .publishPercentileHistogram()
              .minimumExpectedValue(Duration.ofMillis(1))
              .maximumExpectedValue(Duration.ofMinutes(1))
              .register(registry),
          Counter.builder("wsgate.evictions").description("Peers evicted for heartbeat timeout").tags(tags)
              .register(registry));
    });
  }

  /**
   * One attempt to connect to an upstream, and how it went: {@code success}, {@code refused} (or unreachable),
   * {@code rejected} (an HTTP status instead of 101), {@code timeout}.
   */
  public void upstreamConnect(String route, URI upstream, String outcome, long nanos) {
    String u = upstream.toString();
    connects.computeIfAbsent(route + '\u0000' + u + '\u0000' + outcome, k -> Counter.builder(
            "wsgate.upstream.connects")
        .description("Connection attempts to upstreams (TCP, TLS and WebSocket handshake), by outcome")
        .tags(Tags.of("route", route, "upstream", u, "outcome", outcome))
        .register(registry)).increment();
    connectLatency.computeIfAbsent(route + '\u0000' + u, k -> Timer.builder("wsgate.upstream.connect")
        .description("Time to connect to an upstream and complete its handshake, every outcome")
        .tags(Tags.of("route", route, "upstream", u))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A configuration reload, {@code applied} or {@code refused}. */
  public void reload(String outcome) {
    reloads.computeIfAbsent(outcome, o -> Counter.builder("wsgate.config.reloads")
        .description("Configuration reloads, applied or refused")
        .tag("outcome", o)
        .register(registry)).increment();
  }

  /** How many times {@link #handshakeRejected} counted {@code status}. */
  public double handshakeRejections(int status) {
    Counter c = rejections.get(status);
    return c == null ? 0 : c.count();
  }

  /** How many times {@link #protocolError} counted a leg and code. */
  public double protocolErrors(Leg leg, int code) {
    Counter c = protocolErrors.get(leg.yamlName() + code);
    return c == null ? 0 : c.count();
  }

  /** The close code as a label: registered codes exactly, private ranges by class (bounded cardinality). */
  static String codeLabel(int code) {
    if (code >= 1000 && code <= 1015) {
      return Integer.toString(code);
    }
    if (code >= 3000 && code <= 3999) {
      return "3xxx";
    }
    if (code >= 4000 && code <= 4999) {
      return "4xxx";
    }
    return "other";
  }
}
