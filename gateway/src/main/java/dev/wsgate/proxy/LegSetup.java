package dev.wsgate.proxy;

import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.RouteConfig;
import dev.wsgate.heartbeat.HeartbeatTiming;
import dev.wsgate.heartbeat.LegHeartbeat;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How one leg of a new session is set up: its route's heartbeat on that leg (shared by the route's sessions) and the
 * timing of its idle ticks (with this session's jitter).
 *
 * @param heartbeat the route's heartbeat on the leg
 * @param timing    the leg's idle ticks, or null when the leg needs none (no heartbeat, no session limits)
 */
public record LegSetup(LegHeartbeat heartbeat, HeartbeatTiming timing) {

  public LegSetup {
    Objects.requireNonNull(heartbeat, "heartbeat");
  }

  /** The setup of a leg of a new session on {@code route}, with a fresh jitter. */
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
