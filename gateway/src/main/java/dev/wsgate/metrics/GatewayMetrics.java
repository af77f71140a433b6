package dev.wsgate.metrics;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import dev.wsgate.session.SessionRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Meter.MeterProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
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
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * wsgate's meters, named once here, in base units (Prometheus: {@code wsgate_..._total}, {@code _seconds},
 * {@code _bytes}). Meters with tags are registered on first use through a {@link MeterProvider}, whose lookup
 * allocates a {@link Meter.Id}: it is used at most a few times per handshake or session, never per heartbeat or
 * frame. A session's heartbeat meters are looked up once, into {@link HeartbeatMeters}; frame and byte totals are
 * read from the sessions when scraped.
 */
public final class GatewayMetrics {

  private static final String REJECTIONS = "wsgate.handshake.rejections";
  private static final String PROTOCOL_ERRORS = "wsgate.protocol.errors";
  private static final String ENDED_BY_REASON = "wsgate.sessions.ended.by.reason";
  static final String OPENED = "wsgate.sessions.opened";
  static final String CLOSED = "wsgate.sessions.closed";
  static final String EVICTIONS = "wsgate.evictions";
  static final String CONNECTS = "wsgate.upstream.connects";
  static final String RTT = "wsgate.heartbeat.rtt";
  private static final String RELOADS = "wsgate.config.reloads";

  private final MeterRegistry registry;
  private final MeterProvider<Counter> rejections;
  private final MeterProvider<Counter> protocolErrors;
  private final MeterProvider<Counter> opened;
  private final MeterProvider<Counter> endedByReason;
  private final MeterProvider<Counter> closed;
  private final MeterProvider<Counter> pings;
  private final MeterProvider<Counter> pongs;
  private final MeterProvider<Timer> rtt;
  private final MeterProvider<Counter> evictions;
  private final MeterProvider<Counter> connects;
  private final MeterProvider<Timer> connectLatency;
  private final MeterProvider<Counter> reloads;
  private final MeterProvider<Counter> ratePauses;
  private final Counter proxyHeaderRefusals;
  private final MultiGauge routeGauges;
  /** The last reload, or null before the first: written by the reload thread, read by the admin listener. */
  private volatile LastReload lastReload;

  /** A configuration reload: {@code applied} or {@code refused}, and when. */
  public record LastReload(String outcome, Instant at) {
  }

  public GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
    rejections = Counter.builder(REJECTIONS)
        .description("Client handshakes answered with an HTTP error instead of an upgrade, by status and reason")
        .withRegistry(registry);
    protocolErrors = Counter.builder(PROTOCOL_ERRORS)
        .description("Peers closed for bad input: protocol violations (1002), invalid UTF-8 (1007), frames too "
            + "big (1009)")
        .withRegistry(registry);
    opened = Counter.builder(OPENED)
        .description("Sessions opened (both handshakes done), by route")
        .withRegistry(registry);
    endedByReason = Counter.builder(ENDED_BY_REASON)
        .description("Sessions ended, by reason alone")
        .withRegistry(registry);
    closed = Counter.builder(CLOSED)
        .description("Sessions ended, by route, reason (client-close, upstream-close, client-lost, upstream-lost, "
            + "client-heartbeat, upstream-heartbeat, max-idle, max-age, rate-limit, drain, error), closing side and "
            + "close code")
        .withRegistry(registry);
    pings = Counter.builder("wsgate.heartbeat.pings").description("Heartbeat pings sent").withRegistry(registry);
    pongs = Counter.builder("wsgate.heartbeat.pongs").description("Heartbeat pongs received").withRegistry(registry);
    rtt = Timer.builder(RTT).description("Heartbeat round-trip time, ping to pong")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(1))
        .withRegistry(registry);
    evictions = Counter.builder(EVICTIONS).description("Peers evicted for heartbeat timeout")
        .withRegistry(registry);
    connects = Counter.builder(CONNECTS)
        .description("Connection attempts to upstreams (TCP, TLS and WebSocket handshake), by outcome")
        .withRegistry(registry);
    connectLatency = Timer.builder("wsgate.upstream.connect")
        .description("Time to connect to an upstream and complete its handshake, every outcome")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .withRegistry(registry);
    reloads = Counter.builder(RELOADS)
        .description("Configuration reloads, applied or refused")
        .withRegistry(registry);
    // Both outcomes from the start, at 0: an alert on increase() sees the first refused reload.
    reloads.withTag("outcome", "applied");
    reloads.withTag("outcome", "refused");
    ratePauses = Counter.builder("wsgate.rate.pauses")
        .description("Times a leg stopped being read because its peer sent past its route's rate limit (action "
            + "delay), by route and the leg whose peer sent")
        .withRegistry(registry);
    proxyHeaderRefusals = Counter.builder("wsgate.proxy.protocol.refusals")
        .description("Client connections closed for a missing or invalid PROXY protocol header")
        .register(registry);
    routeGauges = MultiGauge.builder("wsgate.sessions.active")
        .description("Live sessions per route")
        .register(registry);
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

  /**
   * Client connections held against {@code server.max-connections} ({@code wsgate_connections}), and the limit
   * itself ({@code wsgate_connections_max}, 0 for none), so that an alert can compare them.
   */
  public void bindConnections(IntSupplier held, IntSupplier max) {
    Gauge.builder("wsgate.connections", held::getAsInt)
        .description("Client connections held against server.max-connections, from accept until released")
        .register(registry);
    Gauge.builder("wsgate.connections.max", max::getAsInt)
        .description("server.max-connections now (0: no limit)")
        .register(registry);
  }

  /** One {@code wsgate_sessions_active{route}} gauge per configured route; gauges of removed routes go. */
  public void routes(Set<String> routeIds, SessionRegistry sessions) {
    routeGauges.register(routeIds.stream()
        .map(r -> MultiGauge.Row.of(Tags.of("route", r), sessions, s -> s.liveOnRoute(r)))
        .toList());
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

  /** A handshake answered with an HTTP error instead of an upgrade. Once per refused handshake. */
  public void handshakeRejected(int status, String reason) {
    rejections.withTags("status", Integer.toString(status), "reason", reason).increment();
  }

  /** A client connection was closed for a missing or invalid PROXY protocol header. Once per connection. */
  public void proxyHeaderRefused() {
    proxyHeaderRefusals.increment();
  }

  /** A peer broke the protocol and was closed with {@code code}. At most once per session. */
  public void protocolError(Leg leg, int code) {
    protocolErrors.withTags("leg", leg.yamlName(), "code", Integer.toString(code)).increment();
  }

  /** Once per session. */
  public void sessionOpened(String route) {
    opened.withTag("route", route).increment();
  }

  /**
   * A session ended: by route, reason, closing side and close code (1000-1015 exactly, else 3xxx or 4xxx). Once per
   * session.
   */
  public void sessionEnded(Session s) {
    Session.EndCause cause = s.endCause();
    if (cause == null) {
      return;
    }
    endedByReason.withTag("reason", cause.label()).increment();
    closed.withTags("route", s.route(), "reason", cause.label(), "closed_by", cause.initiator().label(),
        "code", codeLabel(s.closeCode())).increment();
  }

  /** How many sessions ended for {@code cause}. */
  public double sessionsEnded(Session.EndCause cause) {
    return count(registry.find(ENDED_BY_REASON).tag("reason", cause.label()).counter());
  }

  /**
   * The heartbeat meters of a route and leg, looked up once per handshake and leg: the session's pings, pongs and
   * evictions then count without any lookup.
   */
  public HeartbeatMeters heartbeat(String route, Leg leg) {
    return heartbeatMeters.computeIfAbsent(route + '\n' + leg.yamlName(), k -> {
      Tags tags = Tags.of("route", route, "leg", leg.yamlName());
      return new HeartbeatMeters(pings.withTags(tags), pongs.withTags(tags), rtt.withTags(tags),
          evictions.withTags(tags));
    });
  }

  /**
   * The counter of a route's rate-limit pauses on {@code leg} (the leg whose peer sent too fast): looked up once per
   * session and leg with a rate limit, counted once per pause.
   */
  public Counter ratePauses(String route, Leg leg) {
    return ratePauses.withTags("route", route, "leg", leg.yamlName());
  }

  /** How many times a route's {@code leg} stopped being read for its rate limit. */
  public double ratePauseCount(String route, Leg leg) {
    return count(registry.find("wsgate.rate.pauses").tags("route", route, "leg", leg.yamlName()).counter());
  }

  /** One {@link HeartbeatMeters} per route and leg, shared by their sessions (not an object per session and leg). */
  private final java.util.concurrent.ConcurrentHashMap<String, HeartbeatMeters> heartbeatMeters =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * One attempt to connect to an upstream, and how it went: {@code success}, {@code refused} (or unreachable),
   * {@code rejected} (an HTTP status instead of 101), {@code timeout}. Once or twice per handshake.
   */
  public void upstreamConnect(String route, URI upstream, String outcome, long nanos) {
    String u = upstream.toString();
    connects.withTags("route", route, "upstream", u, "outcome", outcome).increment();
    connectLatency.withTags("route", route, "upstream", u).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A configuration reload, {@code applied} or {@code refused}. */
  public void reload(String outcome) {
    reloads.withTag("outcome", outcome).increment();
    lastReload = new LastReload(outcome, Instant.now());
  }

  /** The last configuration reload, or null before the first. */
  public LastReload lastReload() {
    return lastReload;
  }

  /** How many reloads had {@code outcome}. */
  public double reloads(String outcome) {
    return count(registry.find(RELOADS).tag("outcome", outcome).counter());
  }

  /** The session counters now, for the status page (read from the meters; nothing on the traffic path). */
  public MeterReadings.Counts counts() {
    return MeterReadings.counts(registry);
  }

  /** The heartbeat round trips of a route and leg since start, for the status page. */
  public MeterReadings.Rtt rtt(String route, Leg leg) {
    return MeterReadings.rtt(registry, route, leg.yamlName());
  }

  /** How many times {@link #handshakeRejected} counted {@code status}. */
  public double handshakeRejections(int status) {
    return registry.find(REJECTIONS).tag("status", Integer.toString(status)).counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  /** How many times {@link #handshakeRejected} counted {@code status} with {@code reason}. */
  public double handshakeRejections(int status, String reason) {
    return count(registry.find(REJECTIONS).tags("status", Integer.toString(status), "reason", reason).counter());
  }

  /** How many times {@link #protocolError} counted a leg and code. */
  public double protocolErrors(Leg leg, int code) {
    return count(registry.find(PROTOCOL_ERRORS).tags("leg", leg.yamlName(), "code", Integer.toString(code))
        .counter());
  }

  /** A counter's count; 0 for one never registered (looking it up through its provider would register it). */
  private static double count(Counter c) {
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
