package dev.wsgate.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded waits on a condition: every wait in the tests ends, with a message saying what did not happen. */
public final class Awaits {

  private Awaits() {
  }

  /**
   * Waits for a condition while answering the pings a raw client receives meanwhile (it reads and drops data
   * frames), so that a quiet client stays alive for wsgate's heartbeat.
   */
  public static void until(String what, Duration timeout, BooleanSupplier condition, RawWebSocket answering)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      int previous = answering.socket().getSoTimeout();
      answering.socket().setSoTimeout(20);
      try {
        while (!condition.getAsBoolean()) {
          if (System.nanoTime() - deadline > 0) {
            throw new AssertionError("not within " + timeout + ": " + what);
          }
          try {
            WsFrame f = answering.read();
            if (f.opcode() == WsFrame.PING) {
              answering.send(true, WsFrame.PONG, f.payload());
            }
          } catch (java.net.SocketTimeoutException nothingYet) {
            // nothing to answer; look at the condition again
          }
        }
      } finally {
        answering.socket().setSoTimeout(previous);
      }
    } catch (java.io.IOException e) {
      throw new AssertionError("the client failed while waiting for: " + what, e);
    }
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
