package dev.wsgate.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;

/** Records what Netty's leak detector logs, for {@link LeakDetectionExtension}. */
public final class LeakRecordingAppender extends AppenderBase<ILoggingEvent> {

  private static final List<String> LEAKS = new ArrayList<>();

  @Override
  protected void append(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    if (message != null && message.contains("LEAK:")) {
      synchronized (LEAKS) {
        LEAKS.add(message);
      }
    }
  }

  /** The leaks recorded since the last call. */
  public static List<String> drain() {
    synchronized (LEAKS) {
      List<String> out = new ArrayList<>(LEAKS);
      LEAKS.clear();
      return out;
    }
  }
}
