package dev.wsgate.heartbeat;

/** What the heartbeat of one leg knows about its peer, readable from any thread. */
public interface HeartbeatStats {

  /**
   * When the last inbound frame (read batch) arrived, in the time of the leg's event loop {@code Ticker} (not
   * {@link System#nanoTime()}: compare it with that ticker's {@code nanoTime()} only).
   */
  long lastInboundNanos();

  /** The last measured ping round-trip time, or -1 before the first pong. */
  long lastRttNanos();

  long pingsSent();

  long pongsReceived();

  /** The state of the heartbeat state machine. */
  HeartbeatHandler.State state();
}
