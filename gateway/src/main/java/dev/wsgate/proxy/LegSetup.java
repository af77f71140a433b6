package dev.wsgate.proxy;

import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.RateLimit;
import dev.wsgate.config.RouteConfig;
import dev.wsgate.heartbeat.HeartbeatTiming;
import dev.wsgate.heartbeat.LegHeartbeat;
import dev.wsgate.metrics.GatewayMetrics;
import io.micrometer.core.instrument.Counter;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How one leg of a new session is set up: its route's heartbeat on that leg (shared by the route's sessions), the
 * timing of its idle ticks (with this session's jitter), and the limits of what the leg's peer sends.
 *
 * @param heartbeat      the route's heartbeat on the leg
 * @param timing         the leg's idle ticks, or null when the leg needs none (no heartbeat, no session limits)
 * @param maxMessageSize the largest message the leg's peer may send, its frames added up; 0: no limit
 * @param rateLimit      the rate limit of what the leg's peer sends ({@link RateLimit#NONE}: none)
 * @param ratePauses     the route's counter of this leg's rate-limit pauses (null without a rate limit)
 */
public record LegSetup(LegHeartbeat heartbeat, HeartbeatTiming timing, int maxMessageSize, RateLimit rateLimit,
    Counter ratePauses) {

  public LegSetup {
    Objects.requireNonNull(heartbeat, "heartbeat");
    Objects.requireNonNull(rateLimit, "rateLimit");
    if (rateLimit.on()) {
      Objects.requireNonNull(ratePauses, "ratePauses");
    }
  }

  /** A leg without limits on what its peer sends. */
  public LegSetup(LegHeartbeat heartbeat, HeartbeatTiming timing) {
    this(heartbeat, timing, 0, RateLimit.NONE, null);
  }

  /** The setup of a leg of a new session on {@code route}, with a fresh jitter, its limits counted in {@code metrics}. */
  public static LegSetup of(String routeId, RouteConfig route, LegHeartbeat heartbeat, SessionLimits limits,
      GatewayMetrics metrics) {
    LegSetup plain = of(route, heartbeat, limits);
    RateLimit rate = route.rateLimit().of(heartbeat.leg());
    return new LegSetup(plain.heartbeat(), plain.timing(), route.maxMessageSize(), rate,
        rate.on() ? metrics.ratePauses(routeId, heartbeat.leg()) : null);
  }

  /** The setup of a leg of a new session on {@code route}, with a fresh jitter, without limits on what is sent. */
  public static LegSetup of(RouteConfig route, LegHeartbeat heartbeat, SessionLimits limits) {
    HeartbeatSettings settings = route.heartbeat().of(heartbeat.leg());
    // The session's limits are checked on the idle ticks: with limits, ticks come at least every tenth of the
    // smallest, so that a limit is kept to within a tenth of it.
    long maxTick = limits.any() ? HeartbeatTiming.checksOnly(limits.smallest()).tickNanos() : Long.MAX_VALUE;
    HeartbeatTiming timing = HeartbeatTiming.of(settings, ThreadLocalRandom.current().nextDouble(), maxTick);
    if (timing == null && limits.any()) {
      timing = HeartbeatTiming.checksOnly(limits.smallest());
    }
    return new LegSetup(heartbeat, timing);
  }
}
