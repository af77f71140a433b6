package dev.wsgate.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.metrics.MeterReadings.Counts;
import dev.wsgate.metrics.MeterReadings.Key;
import dev.wsgate.metrics.MeterReadings.Kind;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The ring of counter snapshots behind "the last 1, 5, 15 minutes", with time moved by hand. */
class StatusHistoryTest {

  private static final Key OPENED = new Key(Kind.OPENED, "/a", "", "");

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final AtomicLong opened = new AtomicLong();
  private final StatusHistory history = new StatusHistory(this::read, clock::get, StatusHistory.STEP,
      StatusHistory.SPAN);

  private Counts read() {
    return new Counts(Map.of(OPENED, (double) opened.get()));
  }

  /** One session opened in each step of 10 s, the history ticking after each. */
  private void steps(int n) {
    for (int i = 0; i < n; i++) {
      opened.incrementAndGet();
      clock.addAndGet(StatusHistory.STEP.toMillis());
      history.tick();
    }
  }

  @Test
  void aYoungHistoryCoversSinceItsFirstSnapshot() {
    opened.set(0);
    steps(3); // 30 s, 3 opened
    StatusHistory.Window w = history.since(Duration.ofMinutes(15), read());
    assertThat(w.coveredMillis()).isEqualTo(30_000);
    assertThat(w.counts().get(OPENED)).isEqualTo(3);
  }

  @Test
  void windowsCoverTheirSpanToWithinAStep() {
    steps(120); // 20 minutes
    Counts now = read();
    StatusHistory.Window minute = history.since(Duration.ofMinutes(1), now);
    assertThat(minute.coveredMillis()).isEqualTo(60_000);
    assertThat(minute.counts().get(OPENED)).isEqualTo(6);
    StatusHistory.Window five = history.since(Duration.ofMinutes(5), now);
    assertThat(five.counts().get(OPENED)).isEqualTo(30);
    StatusHistory.Window fifteen = history.since(Duration.ofMinutes(15), now);
    assertThat(fifteen.coveredMillis()).isEqualTo(15 * 60_000);
    assertThat(fifteen.counts().get(OPENED)).isEqualTo(90);

    // Between ticks, the counts now are read live; the window starts at the first snapshot within it.
    clock.addAndGet(4_000);
    opened.addAndGet(2);
    StatusHistory.Window between = history.since(Duration.ofMinutes(1), read());
    assertThat(between.coveredMillis()).isEqualTo(54_000);
    assertThat(between.counts().get(OPENED)).isEqualTo(5 + 2);
  }

  @Test
  void memoryIsBoundedBySpanOverStep() {
    steps(1000);
    assertThat(history.size()).isEqualTo(15 * 6 + 1);
  }
}
