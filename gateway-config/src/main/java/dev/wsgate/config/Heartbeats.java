package dev.wsgate.config;

import java.util.Objects;

/**
 * The heartbeat of both legs of a session: wsgate pings its client and its upstream independently.
 *
 * @param client   the leg between the client and wsgate
 * @param upstream the leg between wsgate and the upstream
 */
public record Heartbeats(HeartbeatSettings client, HeartbeatSettings upstream) {
  public Heartbeats {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(upstream, "upstream");
  }

  public static Heartbeats defaults() {
    return new Heartbeats(HeartbeatSettings.defaults(), HeartbeatSettings.defaults());
  }

  /** The settings of one leg. */
  public HeartbeatSettings of(Leg leg) {
    return leg == Leg.CLIENT ? client : upstream;
  }
}
