package dev.wsgate.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The effective heartbeat of one leg (client or upstream) of one route, every override applied.
 *
 * @param interval  inbound silence after which wsgate sends a ping; {@code 0} disables the heartbeat on this leg
 * @param timeout   inbound silence after which the peer is evicted; {@code 0} keeps pinging but never evicts
 * @param mode      ping frames, or text messages
 * @param text      the messages of {@link HeartbeatMode#TEXT}
 * @param closeCode the close code sent to an evicted peer
 */
public record HeartbeatSettings(
    Duration interval, Duration timeout, HeartbeatMode mode, TextHeartbeat text, int closeCode) {

  public HeartbeatSettings {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(text, "text");
  }

  public static HeartbeatSettings defaults() {
    return Schema.HEARTBEAT_LEG.defaults();
  }

  /** False when {@code interval} is 0: wsgate neither pings nor evicts on this leg. */
  public boolean enabled() {
    return !interval.isZero();
  }

  /** True when a silent peer is evicted, that is when the heartbeat is enabled and {@code timeout} is not 0. */
  public boolean evicts() {
    return enabled() && !timeout.isZero();
  }
}
