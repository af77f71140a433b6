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

  /** 30 s, the default grace period of a Kubernetes pod. */
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

  /** 10 s: a third of the drain timeout, leaving the rest for close handshakes to finish. */
  public static final Duration DEFAULT_DRAIN_WINDOW = Duration.ofSeconds(10);

  public ShutdownConfig {
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    Objects.requireNonNull(drainWindow, "drainWindow");
  }

  public static ShutdownConfig defaults() {
    return new ShutdownConfig(DEFAULT_DRAIN_TIMEOUT, DEFAULT_DRAIN_WINDOW);
  }
}
