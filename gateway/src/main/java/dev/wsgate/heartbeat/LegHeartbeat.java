package dev.wsgate.heartbeat;

import dev.wsgate.config.HeartbeatMode;
import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.Leg;
import dev.wsgate.metrics.HeartbeatMeters;
import java.util.Objects;

/**
 * A route's heartbeat on one leg: what every {@link HeartbeatHandler} of that route and leg shares (settings, text
 * templates parsed once, meters, the tick grid), one object per route and leg instead of fields in each handler. A
 * handler keeps only its session's own: its timing (with the session's jitter) and its state.
 */
public final class LegHeartbeat {

  final Leg leg;
  final HeartbeatSettings settings;
  final boolean forwardPings;
  final HeartbeatMeters meters;
  final long tickGridNanos;
  final boolean textMode;
  final boolean answerTextPings;
  /** Parsed only where they are used: frame mode keeps none. */
  final TextTemplate textPing;
  final TextTemplate textPong;

  /**
   * @param forwardPings true when pings and pongs are relayed between the legs
   * @param meters       where the leg's pings, pongs, round trips and evictions are counted
   */
  public LegHeartbeat(Leg leg, HeartbeatSettings settings, boolean forwardPings, HeartbeatMeters meters) {
    this(leg, settings, forwardPings, meters, HeartbeatHandler.TICK_GRID_NANOS);
  }

  /** As above, with ticks on a grid of {@code tickGridNanos} (1: no grid, each tick exactly when due). */
  LegHeartbeat(Leg leg, HeartbeatSettings settings, boolean forwardPings, HeartbeatMeters meters, long tickGridNanos) {
    this.leg = Objects.requireNonNull(leg, "leg");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.forwardPings = forwardPings;
    this.meters = Objects.requireNonNull(meters, "meters");
    this.tickGridNanos = tickGridNanos;
    this.textMode = settings.enabled() && settings.mode() == HeartbeatMode.TEXT;
    this.answerTextPings = settings.text().answerPings();
    boolean texts = textMode || answerTextPings;
    this.textPing = texts ? new TextTemplate(settings.text().ping()) : null;
    this.textPong = texts ? new TextTemplate(settings.text().pong()) : null;
  }

  public Leg leg() {
    return leg;
  }

  public HeartbeatSettings settings() {
    return settings;
  }

  public boolean forwardPings() {
    return forwardPings;
  }

  /** True when the heartbeat reads the leg's text messages: text mode, or answering the peer's text pings. */
  public boolean readsText() {
    return textMode || answerTextPings;
  }

  public HeartbeatMeters meters() {
    return meters;
  }
}
