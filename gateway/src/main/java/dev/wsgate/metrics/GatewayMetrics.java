package dev.wsgate.metrics;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * wsgate's meters, named once here. Counters are created on first use per tag set and cached, so counting costs a
 * map lookup and an add, outside the per-frame path.
 */
public final class GatewayMetrics {

  private final MeterRegistry registry;
  private final Map<Integer, Counter> rejections = new ConcurrentHashMap<>();
  private final Map<String, Counter> protocolErrors = new ConcurrentHashMap<>();
  private final Map<Session.EndCause, Counter> ends = new ConcurrentHashMap<>();

  public GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** A handshake answered with an HTTP error instead of an upgrade. */
  public void handshakeRejected(int status) {
    rejections.computeIfAbsent(status, s -> Counter.builder("wsgate.handshake.rejections")
        .description("Client handshakes answered with an HTTP error instead of an upgrade")
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

  /** A session ended, for this reason. */
  public void sessionEnded(Session.EndCause cause) {
    ends.computeIfAbsent(cause, c -> Counter.builder("wsgate.sessions.closed")
        .description("Sessions ended, by reason: client-close, upstream-close, client-lost, upstream-lost, "
            + "client-heartbeat, upstream-heartbeat, max-idle, max-age, drain, error")
        .tag("reason", c.label())
        .register(registry)).increment();
  }

  /** How many sessions ended for {@code cause}. */
  public double sessionsEnded(Session.EndCause cause) {
    Counter c = ends.get(cause);
    return c == null ? 0 : c.count();
  }

  /** How many times {@link #handshakeRejected} counted {@code status} (for tests and the admin page). */
  public double handshakeRejections(int status) {
    Counter c = rejections.get(status);
    return c == null ? 0 : c.count();
  }

  /** How many times {@link #protocolError} counted a leg and code. */
  public double protocolErrors(Leg leg, int code) {
    Counter c = protocolErrors.get(leg.yamlName() + code);
    return c == null ? 0 : c.count();
  }
}
