package dev.wsgate.bench;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** The first opening of a benchmark's sessions: waited for, then said how long it took and which failed. */
final class RampUp {

  private RampUp() {}

  /**
   * Waits, at most {@code sessions / ramp + 120} s, until the clients hold {@code sessions} live sessions and
   * {@code gatewaysUp} holds; prints how long it took and the handshakes that failed, and a {@code FAIL:} line if
   * not all came up.
   *
   * @return whether all came up
   */
  static boolean await(List<LoadProcess> clients, int sessions, int ramp, Poll.Condition gatewaysUp)
      throws Exception {
    long start = System.nanoTime();
    boolean up = Poll.until(Duration.ofSeconds(sessions / ramp + 120), Duration.ofSeconds(1),
        () -> gatewaysUp.holds() && LoadStats.of(clients).sum("live") >= sessions);
    LoadStats after = LoadStats.of(clients);
    System.out.printf(Locale.ROOT, "ramp-up: %,d of %,d sessions up after %.1f s (%d handshakes failed%s)%n",
        after.sum("live"), sessions, (System.nanoTime() - start) / 1e9, after.sum("failed"),
        after.tally("failures").isEmpty() ? "" : ": " + after.tally("failures"));
    if (!up) {
      System.out.println("FAIL: not all sessions came up; the figures below are for those that did");
    }
    return up;
  }
}
