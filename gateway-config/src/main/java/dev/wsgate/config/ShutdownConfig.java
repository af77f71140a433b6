package dev.wsgate.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How wsgate stops ({@code shutdown:}).
 *
 * @param drainTimeout how long sessions get to close cleanly after a stop signal before the rest are cut;
 *                     {@code 0} closes every session at once
 * @param drainWindow  the 1001 "going away" closes are spread over this window, so that clients do not all
 *                     reconnect in the same instant; at most {@code drainTimeout}
 */
public record ShutdownConfig(Duration drainTimeout, Duration drainWindow) {

  public ShutdownConfig {
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    Objects.requireNonNull(drainWindow, "drainWindow");
  }

  public static ShutdownConfig defaults() {
    return Schema.SHUTDOWN.defaults();
  }
}
