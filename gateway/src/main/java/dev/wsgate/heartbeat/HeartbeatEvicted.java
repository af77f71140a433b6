package dev.wsgate.heartbeat;

import dev.wsgate.config.Leg;

/**
 * Fired down a leg's pipeline when its heartbeat evicts the peer, after the close frame is written: the session
 * closes the other leg and ends.
 *
 * @param leg          the evicted leg
 * @param code         the close code sent to the evicted peer
 * @param silenceNanos how long the peer had been silent
 */
public record HeartbeatEvicted(Leg leg, int code, long silenceNanos) {

  /** The reason in the close frame to an evicted peer. */
  public static final String REASON = "heartbeat timeout";
}
