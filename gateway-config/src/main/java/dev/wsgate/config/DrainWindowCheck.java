package dev.wsgate.config;

import java.time.Duration;

/** {@code shutdown.drain-window} fits in {@code shutdown.drain-timeout}; without one of its own, it shrinks to fit. */
final class DrainWindowCheck {
  private DrainWindowCheck() {
  }

  static void check(Bound<ShutdownConfig> shutdown, Problems problems) {
    Duration timeout = shutdown.get(Schema.DRAIN_TIMEOUT);
    Bound.Located<Duration> window = shutdown.located(Schema.DRAIN_WINDOW);
    if (!window.isDefault() && window.value() != null && window.value().compareTo(timeout) > 0) {
      problems.add(window.at(), Durations.format(window.value()) + " (expected: at most shutdown.drain-timeout "
          + Durations.format(timeout) + ")");
    }
  }

  /** The window: as written, or the default window, or all of a drain timeout shorter than that. */
  static Duration window(Bound<ShutdownConfig> shutdown) {
    Duration timeout = shutdown.get(Schema.DRAIN_TIMEOUT);
    Duration window = shutdown.get(Schema.DRAIN_WINDOW);
    if (shutdown.isWritten(Schema.DRAIN_WINDOW) && !shutdown.failed(Schema.DRAIN_WINDOW)) {
      return window;
    }
    return window.compareTo(timeout) <= 0 ? window : timeout;
  }
}
