package dev.wsgate.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The counterpart of {@link Awaits}: a condition that must stay true for a whole period, such as "the connection is
 * still open" through a quiet period a test needs ("no data for 15 s" is real time by nature). The condition is
 * polled, and the wait fails as soon as it turns false; it ends, passing, when the period is over.
 */
public final class Holds {

  private Holds() {
  }

  /** Asserts that {@code condition} stays true for {@code period}. */
  public static void throughout(String what, Duration period, BooleanSupplier condition) throws InterruptedException {
    throughout(what, period, condition, () -> "");
  }

  /**
   * Asserts that {@code condition} stays true for {@code period}; when it turns false, the failure says when, and
   * adds {@code detail}.
   */
  public static void throughout(String what, Duration period, BooleanSupplier condition, Supplier<String> detail)
      throws InterruptedException {
    long start = System.nanoTime();
    long end = start + period.toNanos();
    long[] brokeAt = {0};
    // Bounded by the period itself; the slack covers one slow evaluation of the condition.
    Awaits.until(what + " for " + period, period.plusSeconds(5), () -> {
      if (!condition.getAsBoolean()) {
        brokeAt[0] = System.nanoTime();
        return true;
      }
      return System.nanoTime() - end >= 0;
    });
    if (brokeAt[0] != 0) {
      throw new AssertionError("no longer true after " + (brokeAt[0] - start) / 1_000_000 + " ms of " + period + ": "
          + what + "\n" + detail.get());
    }
  }
}
