package dev.wsgate.session;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per finished session, on the logger {@value #LOGGER} so that it can go to its own appender, in logfmt:
 *
 * <pre>
 * request_id=4f1c... client=127.0.0.1:53422 route=/chat upstream=ws://chat-1:8000 subprotocol=chat
 * duration_ms=5012 frames_in=12 bytes_in=640 frames_out=12 bytes_out=640 close_code=1000 closed_by=client
 * end=client-close
 * </pre>
 * {@code _in} counts what the client sent (relayed upstream), {@code _out} what the upstream sent (relayed to the
 * client).
 */
public final class AccessLog {

  /** The logger name of the access log. */
  public static final String LOGGER = "wsgate.access";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  private AccessLog() {
  }

  public static void log(Session s) {
    if (!log.isInfoEnabled()) {
      return;
    }
    log.info(line(s));
  }

  /** The access log line of a session. */
  public static String line(Session s) {
    long end = s.closedAtNanos() != 0 ? s.closedAtNanos() : System.nanoTime();
    StringBuilder b = new StringBuilder(256);
    b.append("request_id=").append(s.requestId())
        .append(" session=").append(s.id())
        .append(" client=").append(s.clientAddress())
        .append(" route=").append(quote(s.route()))
        .append(" upstream=").append(s.upstream())
        .append(" subprotocol=").append(s.subprotocol() == null ? "-" : quote(s.subprotocol()))
        .append(" duration_ms=").append(Duration.ofNanos(end - s.openedAtNanos()).toMillis())
        .append(" frames_in=").append(s.framesFromClient())
        .append(" bytes_in=").append(s.bytesFromClient())
        .append(" frames_out=").append(s.framesFromUpstream())
        .append(" bytes_out=").append(s.bytesFromUpstream())
        .append(" close_code=").append(s.closeCode())
        .append(" closed_by=").append(s.closedBy() == null ? "-" : s.closedBy().label())
        .append(" end=").append(s.endCause() == null ? "-" : s.endCause().label());
    if (!s.closeReason().isEmpty()) {
      b.append(" close_reason=").append(quote(s.closeReason()));
    }
    return b.toString();
  }

  private static String quote(String v) {
    boolean plain = !v.isEmpty() && v.chars().allMatch(c -> c > ' ' && c != '"' && c != '=' && c < 0x7f);
    return plain ? v : '"' + v.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
