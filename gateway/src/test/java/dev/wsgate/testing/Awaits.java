package dev.wsgate.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded waits on a condition: every wait in the tests ends, with a message saying what did not happen. */
public final class Awaits {

  private Awaits() {
  }

  public static void until(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 1;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("not within " + timeout + ": " + what);
      }
      // Polls a condition that other threads change; the bound above is what the test relies on.
      Thread.sleep(pause);
      pause = Math.min(pause * 2, 20);
    }
  }
}
