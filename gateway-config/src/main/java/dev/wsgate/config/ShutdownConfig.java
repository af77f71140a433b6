package dev.wsgate.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How wsgate stops ({@code shutdown:}).
 *
 * @param drainTimeout how long sessions get to close cleanly after a stop signal before the rest are cut;
 *                     {@code 0} closes every session at once
 */
public record ShutdownConfig(Duration drainTimeout) {

  /** 30 s, the default grace period of a Kubernetes pod. */
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

  public ShutdownConfig {
    Objects.requireNonNull(drainTimeout, "drainTimeout");
  }

  public static ShutdownConfig defaults() {
    return new ShutdownConfig(DEFAULT_DRAIN_TIMEOUT);
  }
}
