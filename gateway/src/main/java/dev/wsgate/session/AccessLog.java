package dev.wsgate.session;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One event per finished session, on the logger {@value #LOGGER} so that it can go to its own appender. The fields
 * are the event's key-value pairs (SLF4J's {@code addKeyValue}), in this order; the message is {@value #MESSAGE}.
 * Text logging writes them as logfmt ({@code %logfmt}, {@code dev.wsgate.cli.LogfmtConverter}):
 *
 * <pre>
 * request_id=4f1c... session=1 client=127.0.0.1:53422 client_protocol=http/1.1 route=/chat upstream=ws://chat-1:8000
 * subprotocol=chat duration_ms=5012 frames_in=12 bytes_in=640 frames_out=12 bytes_out=640 close_code=1000
 * closed_by=client end=client-close
 * </pre>
 * JSON logging writes them in the JSON encoder's {@code kvpList}. {@code _in} counts what the client sent (relayed
 * upstream), {@code _out} what the upstream sent (relayed to the client); {@code -} stands for an absent value;
 * {@code close_reason} comes last, and only when the close had a reason. {@code client_protocol} is what the client leg
 * runs on: {@code http/1.1}, or {@code h2} for an extended CONNECT stream (RFC 8441).
 */
public final class AccessLog {

  /** The logger name of the access log. */
  public static final String LOGGER = "wsgate.access";

  /** The message of every access event: the same for all, since the fields are the event's key-value pairs. */
  public static final String MESSAGE = "session end";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  private AccessLog() {
  }

  public static void log(Session s) {
    log(log, s);
  }

  /** Logs the access event of a session on {@code logger}. */
  static void log(Logger logger, Session s) {
    if (!logger.isInfoEnabled()) {
      return;
    }
    long end = s.closedAtNanos() != 0 ? s.closedAtNanos() : System.nanoTime();
    LoggingEventBuilder e = logger.atInfo()
        .addKeyValue("request_id", s.requestId())
        .addKeyValue("session", s.id())
        .addKeyValue("client", s.clientAddress())
        .addKeyValue("client_protocol", s.clientProtocol())
        .addKeyValue("route", s.route())
        .addKeyValue("upstream", s.upstream().toString())
        .addKeyValue("subprotocol", s.subprotocol() == null ? "-" : s.subprotocol())
        .addKeyValue("duration_ms", Duration.ofNanos(end - s.openedAtNanos()).toMillis())
        .addKeyValue("frames_in", s.framesFromClient())
        .addKeyValue("bytes_in", s.bytesFromClient())
        .addKeyValue("frames_out", s.framesFromUpstream())
        .addKeyValue("bytes_out", s.bytesFromUpstream())
        .addKeyValue("close_code", s.closeCode())
        .addKeyValue("closed_by", s.closedBy() == null ? "-" : s.closedBy().label())
        .addKeyValue("end", s.endCause() == null ? "-" : s.endCause().label());
    if (!s.closeReason().isEmpty()) {
      e = e.addKeyValue("close_reason", s.closeReason());
    }
    e.log(MESSAGE);
  }
}
