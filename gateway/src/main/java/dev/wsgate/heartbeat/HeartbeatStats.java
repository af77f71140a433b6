package dev.wsgate.heartbeat;

/** What the heartbeat of one leg knows about its peer, readable from any thread. */
public interface HeartbeatStats {

  /** Ticker time of the last inbound frame (read batch), from the leg's event loop ticker. */
  long lastInboundNanos();

  /** The last measured ping round-trip time, or -1 before the first pong. */
  long lastRttNanos();

  long pingsSent();

  long pongsReceived();

  /** The state of the heartbeat state machine. */
  HeartbeatHandler.State state();
}
