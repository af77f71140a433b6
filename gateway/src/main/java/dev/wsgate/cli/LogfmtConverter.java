package dev.wsgate.cli;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * A Logback pattern converter that writes an event's key-value pairs (SLF4J's {@code addKeyValue}) as logfmt, in the
 * order they were added: {@code key=value}, one space apart; nothing when the event has none. A value is written as
 * it is when it is not empty and has no space, double quote, {@code =}, control or non-ASCII character; otherwise in
 * double quotes, with {@code \} and {@code "} escaped and control characters written as {@code \n}, {@code \r},
 * {@code \t} or {@code \}{@code u00XX}, so that no value (a peer's close reason) can split or forge a line. A null value is written {@code -}. Keys are written as they
 * are. Logback's own {@code %kvp} quotes every value; wsgate's text logging registers this one as {@code %logfmt}
 * for the access log:
 *
 * <pre>
 * &lt;conversionRule conversionWord="logfmt" class="dev.wsgate.cli.LogfmtConverter"/&gt;
 * </pre>
 */
public final class LogfmtConverter extends ClassicConverter {

  @Override
  public String convert(ILoggingEvent event) {
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    if (pairs == null || pairs.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder(256);
    for (KeyValuePair p : pairs) {
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(p.key).append('=');
      appendValue(b, p.value == null ? "-" : p.value.toString());
    }
    return b.toString();
  }

  private static void appendValue(StringBuilder b, String v) {
    if (plain(v)) {
      b.append(v);
      return;
    }
    b.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"', '\\' -> b.append('\\').append(c);
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < ' ' || c == 0x7f) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  private static boolean plain(String v) {
    if (v.isEmpty()) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c <= ' ' || c == '"' || c == '=' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }
}
