package dev.wsgate.bench;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Bounded waits for the soak's orchestrator: a condition polled until a deadline, and the pacing of its phases. */
final class Poll {

  private Poll() {}

  interface Condition {
    boolean holds() throws Exception;
  }

  /** Polls {@code condition} every {@code every} until it holds (true) or {@code timeout} has passed (false). */
  static boolean until(Duration timeout, Duration every, Condition condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (condition.holds()) {
        return true;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.sleep(Math.min(left, every.toNanos()));
    }
  }

  /** Paces a phase of the load: waits until the given {@link System#nanoTime()} instant. */
  static void pauseUntil(long nanoTime) throws InterruptedException {
    long left = nanoTime - System.nanoTime();
    if (left > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }
}
