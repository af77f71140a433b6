package dev.wsgate.proxy;

import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.Leg;
import dev.wsgate.config.RouteConfig;
import dev.wsgate.heartbeat.HeartbeatTiming;
import dev.wsgate.metrics.HeartbeatMeters;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How one leg of a new session is set up: its heartbeat, the timing of its idle ticks (with this session's jitter),
 * and whether pings are relayed.
 *
 * @param heartbeat    the leg's effective heartbeat settings
 * @param timing       the leg's idle ticks, or null when the leg needs none (no heartbeat, no session limits)
 * @param forwardPings true when pings and pongs are relayed between the legs
 * @param meters       where the leg's pings, pongs, round trips and evictions are counted
 */
public record LegSetup(HeartbeatSettings heartbeat, HeartbeatTiming timing, boolean forwardPings,
    HeartbeatMeters meters) {

  public LegSetup {
    Objects.requireNonNull(heartbeat, "heartbeat");
    Objects.requireNonNull(meters, "meters");
  }

  /** The setup of a leg of a new session on {@code route}, with a fresh jitter. */
  public static LegSetup of(RouteConfig route, Leg leg, SessionLimits limits, HeartbeatMeters meters) {
    HeartbeatSettings heartbeat = route.heartbeat().of(leg);
    // The session's limits are checked on the idle ticks: with limits, ticks come at least every tenth of the
    // smallest, so that a limit is kept to within a tenth of it.
    long maxTick = limits.any() ? HeartbeatTiming.checksOnly(limits.smallest()).tickNanos() : Long.MAX_VALUE;
    HeartbeatTiming timing = HeartbeatTiming.of(heartbeat, ThreadLocalRandom.current().nextDouble(), maxTick);
    if (timing == null && limits.any()) {
      timing = HeartbeatTiming.checksOnly(limits.smallest());
    }
    return new LegSetup(heartbeat, timing, route.forwardPings(), meters);
  }
}
