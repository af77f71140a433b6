package dev.wsgate.heartbeat;

import dev.wsgate.config.Leg;

/**
 * Fired down a leg's pipeline when its heartbeat evicts the peer: the session sends the peer a close frame with
 * {@code code} and {@link #REASON}, closes its connection at once (the peer is presumed dead), and closes the other
 * leg.
 *
 * @param leg          the evicted leg
 * @param code         the close code for the evicted peer
 * @param silenceNanos how long the peer had been silent
 */
public record HeartbeatEvicted(Leg leg, int code, long silenceNanos) {

  /** The reason in the close frame to an evicted peer. */
  public static final String REASON = "heartbeat timeout";
}
