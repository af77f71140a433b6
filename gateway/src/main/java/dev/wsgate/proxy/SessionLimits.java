package dev.wsgate.proxy;

import dev.wsgate.config.RouteConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A session's own limits, checked on the idle ticks of its legs and on its reads, without a timer of their own.
 *
 * @param maxIdle no application data either way for this long closes the session (1001 "idle"); zero: off
 * @param maxAge  the session closes (1001 "max session age") once this old; zero: off
 */
public record SessionLimits(Duration maxIdle, Duration maxAge) {

  public static final SessionLimits NONE = new SessionLimits(Duration.ZERO, Duration.ZERO);

  public SessionLimits {
    Objects.requireNonNull(maxIdle, "maxIdle");
    Objects.requireNonNull(maxAge, "maxAge");
  }

  /** The limits of a new session on a route: its age limit drawn in {@code [age - jitter, age]}. */
  public static SessionLimits of(RouteConfig route) {
    Duration age = route.maxSessionAge();
    if (!age.isZero() && !route.maxSessionAgeJitter().isZero()) {
      long jitter = ThreadLocalRandom.current().nextLong(route.maxSessionAgeJitter().toNanos() + 1);
      age = age.minusNanos(jitter);
    }
    return new SessionLimits(route.maxIdle(), age);
  }

  boolean any() {
    return !maxIdle.isZero() || !maxAge.isZero();
  }

  /** The smallest limit that is on (for the idle-check tick of legs without heartbeat). */
  Duration smallest() {
    if (maxIdle.isZero()) {
      return maxAge;
    }
    return maxAge.isZero() || maxIdle.compareTo(maxAge) < 0 ? maxIdle : maxAge;
  }
}
