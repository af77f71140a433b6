package dev.wsgate.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.wsgate.cli.LogfmtConverter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Records log lines (the access log, and the handshake's lines, in tests) so that a test can wait for one and read
 * it: each as {@code LEVEL message}, then the event's key-value pairs as logfmt when it has some (the access log's
 * fields, as text logging writes them), with {@code [stack trace]} at the end when the event carries one.
 */
public final class RecordingAppender extends AppenderBase<ILoggingEvent> {

  private static final List<String> LINES = new ArrayList<>();

  private final LogfmtConverter logfmt = new LogfmtConverter();

  @Override
  protected void append(ILoggingEvent event) {
    String pairs = logfmt.convert(event);
    synchronized (LINES) {
      LINES.add(event.getLevel() + " " + event.getFormattedMessage() + (pairs.isEmpty() ? "" : " " + pairs)
          + (event.getThrowableProxy() != null ? " [stack trace]" : ""));
      LINES.notifyAll();
    }
  }

  /** Waits, at most {@code timeout}, for a recorded line that matches, and returns it. */
  public static String await(Predicate<String> matches, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (LINES) {
      while (true) {
        for (String line : LINES) {
          if (matches.test(line)) {
            return line;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no log line matched within " + timeout + "; lines: " + LINES);
        }
        LINES.wait(Math.max(1, left / 1_000_000));
      }
    }
  }
}
