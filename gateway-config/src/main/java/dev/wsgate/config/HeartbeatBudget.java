package dev.wsgate.config;

import java.time.Duration;

/**
 * The heartbeat budget: how long a leg may stay silent so that wsgate acts before an intermediary's idle timeout.
 *
 * <p>For every route and leg, with {@code I} the interval, {@code T} the timeout, {@code L} the
 * {@code intermediaries.idle-timeout} and {@code M} the {@linkplain #margin safety margin}:
 * <ul>
 *   <li>{@code I < T}: a ping goes out, and has time to be answered, before the peer is evicted;</li>
 *   <li>{@code T + M <= L}: a dead peer is evicted, and a live one has been pinged and has answered, before any
 *       intermediary whose idle timeout is at least {@code L} would cut the connection;</li>
 *   <li>with {@code T = 0} (keep-alive without eviction), {@code I + M <= L};</li>
 *   <li>with {@code L > 0}, {@code I > 0}: a leg without heartbeat could be cut by the intermediary at any time.</li>
 * </ul>
 * The margin covers the time from the deadline to the close frame on the wire: the eviction timer's own
 * granularity (up to 1 s), scheduling delay and a round trip.
 */
public final class HeartbeatBudget {

  /** The margin for idle timeouts of 25 s and more: 5 s. */
  public static final Duration MAX_MARGIN = Duration.ofSeconds(5);
  /** Below 25 s the margin is a fifth of the idle timeout, so short idle timeouts keep a usable budget. */
  public static final int MARGIN_DIVISOR = 5;

  private HeartbeatBudget() {
  }

  /** The safety margin for an idle timeout: the smaller of 5 s and a fifth of it. */
  public static Duration margin(Duration idleTimeout) {
    Duration fifth = idleTimeout.dividedBy(MARGIN_DIVISOR);
    return fifth.compareTo(MAX_MARGIN) < 0 ? fifth : MAX_MARGIN;
  }

  /** The largest timeout (or, without eviction, interval) that fits under an idle timeout. */
  public static Duration limit(Duration idleTimeout) {
    return idleTimeout.minus(margin(idleTimeout));
  }

  /**
   * The silence after which this leg acts: the timeout when it evicts, else the interval (keep-alive only). Zero
   * when the heartbeat is off.
   */
  public static Duration deadline(HeartbeatSettings leg) {
    if (!leg.enabled()) {
      return Duration.ZERO;
    }
    return leg.evicts() ? leg.timeout() : leg.interval();
  }

  /** True when the leg keeps within the budget of the given intermediaries. */
  public static boolean fits(HeartbeatSettings leg, IntermediariesConfig intermediaries) {
    if (leg.enabled() && leg.evicts() && leg.interval().compareTo(leg.timeout()) >= 0) {
      return false;
    }
    if (!intermediaries.present()) {
      return true;
    }
    return leg.enabled() && deadline(leg).compareTo(limit(intermediaries.idleTimeout())) <= 0;
  }
}
