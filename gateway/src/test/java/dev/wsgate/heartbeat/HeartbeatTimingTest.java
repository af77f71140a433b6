package dev.wsgate.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.HeartbeatMode;
import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.TextHeartbeat;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HeartbeatTimingTest {

  private static HeartbeatSettings s(long intervalMs, long timeoutMs) {
    return new HeartbeatSettings(Duration.ofMillis(intervalMs), Duration.ofMillis(timeoutMs), HeartbeatMode.FRAME,
        TextHeartbeat.defaults(), 4408);
  }

  /** For every interval and timeout, and any jitter: a ping between I and T, and eviction in [T, T + 800 ms). */
  @ParameterizedTest
  @CsvSource({"25000,40000", "1000,2000", "20000,30000", "30000,45000", "10000,60000", "39000,40000", "500,600",
      "59000,60000", "100,30000", "1,2", "999,1000"})
  void pingBeforeTimeoutAndEvictionInsideTheWindow(long intervalMs, long timeoutMs) {
    for (double jitter : new double[] {0, 0.25, 0.5, 0.999}) {
      HeartbeatTiming t = HeartbeatTiming.of(s(intervalMs, timeoutMs), jitter);
      long i = Duration.ofMillis(intervalMs).toNanos();
      long tt = Duration.ofMillis(timeoutMs).toNanos();
      long ping = t.tickNanos() * t.pingAfterTicks();
      long evict = t.tickNanos() * t.evictAfterTicks();
      assertThat(t.pingAfterTicks()).isLessThan(t.evictAfterTicks());
      assertThat(evict).isBetween(tt - t.evictAfterTicks(), tt + Math.min(800_000_000L, tt / 10));
      if (t.evictAfterTicks() < HeartbeatTiming.MAX_TICKS) {
        assertThat(ping).as("ping at or after the interval").isGreaterThanOrEqualTo(i - t.pingAfterTicks());
      }
      assertThat(ping).as("ping before the timeout").isLessThan(evict);
    }
  }

  @ParameterizedTest
  @CsvSource({"25000,40000,3", "1000,2000,2", "20000,30000,3", "10000,60000,6", "30000,40000,4"})
  void ticksPerTimeout(long intervalMs, long timeoutMs, int ticks) {
    assertThat(HeartbeatTiming.of(s(intervalMs, timeoutMs), 0).evictAfterTicks()).isEqualTo(ticks);
  }

  @ParameterizedTest
  @CsvSource({"25000", "1000"})
  void keepAliveOnlyPingsEveryIntervalLessJitter(long intervalMs) {
    HeartbeatTiming t = HeartbeatTiming.of(s(intervalMs, 0), 0.5);
    assertThat(t.evicts()).isFalse();
    assertThat(t.pingAfterTicks()).isEqualTo(1);
    assertThat(t.tickNanos()).isBetween(Duration.ofMillis(intervalMs).toNanos() * 9 / 10,
        Duration.ofMillis(intervalMs).toNanos());
  }

  @ParameterizedTest
  @CsvSource({"25000,40000,3000", "25000,0,3000", "1000,2000,100"})
  void aMaximumTickMakesMoreTicksWithTheSameRule(long intervalMs, long timeoutMs, long maxTickMs) {
    HeartbeatTiming t = HeartbeatTiming.of(s(intervalMs, timeoutMs), 0.3, Duration.ofMillis(maxTickMs).toNanos());
    long jitterShare = timeoutMs == 0 ? 0 : Math.min(800_000_000L, Duration.ofMillis(timeoutMs).toNanos() / 10)
        / t.evictAfterTicks();
    assertThat(t.tickNanos()).isLessThanOrEqualTo(Duration.ofMillis(maxTickMs).toNanos() + jitterShare);
    long ping = t.tickNanos() * t.pingAfterTicks();
    assertThat(ping).isBetween(Duration.ofMillis(intervalMs).toNanos() * 9 / 10,
        Duration.ofMillis(intervalMs).toNanos() + t.tickNanos());
    if (timeoutMs > 0) {
      long evict = t.tickNanos() * t.evictAfterTicks();
      assertThat(evict).isBetween(Duration.ofMillis(timeoutMs).toNanos() - t.evictAfterTicks(),
          Duration.ofMillis(timeoutMs).toNanos() + 800_000_000L);
      assertThat(t.pingAfterTicks()).isLessThan(t.evictAfterTicks());
    }
  }

  @org.junit.jupiter.api.Test
  void offIsNull() {
    assertThat(HeartbeatTiming.of(s(0, 0), 0)).isNull();
    HeartbeatTiming checks = HeartbeatTiming.checksOnly(Duration.ofMinutes(10));
    assertThat(checks.pings()).isFalse();
    assertThat(checks.evicts()).isFalse();
    assertThat(checks.tickNanos()).isEqualTo(Duration.ofMinutes(1).toNanos());
  }
}
