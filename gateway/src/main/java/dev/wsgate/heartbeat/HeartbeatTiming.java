package dev.wsgate.heartbeat;

import dev.wsgate.config.HeartbeatSettings;
import java.time.Duration;

/**
 * When a leg's heartbeat acts, in ticks of inbound silence, so that the heartbeat costs one timer a leg: the
 * {@code HeartbeatHandler}'s timer fires every {@code tick} of inbound silence, and the heartbeat counts those ticks.
 *
 * <p>With interval {@code I} and timeout {@code T}: {@code n = ceil(T / min(I, T - I))} ticks of {@code (T + j) / n}
 * each, {@code j} a per-session jitter in {@code [0, min(800 ms, T/10))}. The ping goes out at the first tick at or after
 * {@code I} (at most one tick late, and always at least one tick before the timeout, so the peer has time to
 * answer), and eviction falls on tick {@code n}, at {@code T + j}: within {@code [T, T + 800 ms)}, which leaves room
 * for timer latency inside wsgate's promise of {@code [T, T + 1 s]}. The jitter spreads the
 * pings and evictions of sessions that went quiet together (a reconnect storm) over up to a second. For the defaults
 * (25 s, 40 s): 3 ticks of about 13.3 s, ping at about 26.7 s, eviction at 40 s plus jitter.
 *
 * <p>Without eviction ({@code T = 0}) a ping goes out every {@code I - j} of silence.
 *
 * @param tickNanos       how long a tick of inbound silence is
 * @param pingAfterTicks  consecutive idle ticks before a ping
 * @param evictAfterTicks consecutive idle ticks before eviction; 0 when the heartbeat never evicts
 */
public record HeartbeatTiming(long tickNanos, int pingAfterTicks, int evictAfterTicks) {

  /**
   * The most jitter added to a timeout: 800 ms, so that eviction, timer latency included, stays within wsgate's
   * window of [timeout, timeout + 1 s].
   */
  public static final Duration MAX_JITTER = Duration.ofMillis(800);
  /** At most this many ticks per timeout, however close interval and timeout are. */
  public static final int MAX_TICKS = 100;

  /**
   * The timing of a leg.
   *
   * @param jitterFraction in {@code [0, 1)}, drawn once per session and leg
   * @return the timing, or null when the heartbeat is off
   */
  public static HeartbeatTiming of(HeartbeatSettings s, double jitterFraction) {
    return of(s, jitterFraction, Long.MAX_VALUE);
  }

  /**
   * The timing of a leg whose ticks must also be about {@code maxTickNanos} apart at most (the session's own limits
   * are checked on them): more, shorter ticks, the same ping and eviction rule. A tick exceeds the maximum by this
   * session's share of the jitter at most: {@code min(800 ms, T / 10) / n}.
   */
  public static HeartbeatTiming of(HeartbeatSettings s, double jitterFraction, long maxTickNanos) {
    if (!s.enabled()) {
      return null;
    }
    long interval = s.interval().toNanos();
    if (!s.evicts()) {
      long jitter = (long) (Math.min(MAX_JITTER.toNanos(), interval / 10) * jitterFraction);
      long tick = Math.max(1, interval - jitter);
      int every = (int) Math.min(MAX_TICKS, Math.max(1, (tick + maxTickNanos - 1) / maxTickNanos));
      return new HeartbeatTiming(Math.max(1, tick / every), every, 0);
    }
    long timeout = s.timeout().toNanos();
    long gap = Math.min(Math.min(interval, timeout - interval), maxTickNanos);
    int n = (int) Math.min(MAX_TICKS, Math.max(2, (timeout + gap - 1) / gap));
    long jitter = (long) (Math.min(MAX_JITTER.toNanos(), timeout / 10) * jitterFraction);
    long tick = Math.max(1, (timeout + jitter) / n);
    int ping = (int) Math.max(1, Math.min(n - 1, (interval + tick - 1) / tick));
    return new HeartbeatTiming(tick, ping, n);
  }

  /** The tick for a leg without heartbeat whose session still needs idle checks (max-idle, max-session-age). */
  public static HeartbeatTiming checksOnly(Duration smallestLimit) {
    long tick = Math.max(Duration.ofMillis(100).toNanos(), smallestLimit.toNanos() / 10);
    return new HeartbeatTiming(tick, 0, 0);
  }

  public boolean pings() {
    return pingAfterTicks > 0;
  }

  public boolean evicts() {
    return evictAfterTicks > 0;
  }
}
