package dev.wsgate.config;

import java.time.Duration;

/** A route's {@code max-session-age-jitter} is less than its {@code max-session-age}. */
final class SessionAgeJitterCheck {
  private SessionAgeJitterCheck() {
  }

  static void check(Bound<RouteConfig> route, Problems problems) {
    Bound.Located<Duration> jitter = route.located(Schema.MAX_SESSION_AGE_JITTER);
    Duration maxAge = route.get(Schema.MAX_SESSION_AGE);
    Duration j = jitter.value();
    if (!jitter.isDefault() && j != null && !j.isZero() && j.compareTo(maxAge) >= 0) {
      problems.add(jitter.at(), Durations.format(j) + " (expected: less than max-session-age " + (maxAge.isZero()
          ? "0, which is off; set max-session-age first" : Durations.format(maxAge)) + ")");
    }
  }
}
