package dev.wsgate.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The line a load process answers {@code stats} with: {@code @@STATS key=value key=value}, values without spaces.
 * Tallies by name travel as {@code name:count|name:count}.
 */
final class StatsLine {

  static final String PREFIX = "@@STATS ";

  private final Map<String, String> values = new LinkedHashMap<>();

  StatsLine put(String key, Object value) {
    values.put(key, String.valueOf(value).replaceAll("\\s+", "_"));
    return this;
  }

  StatsLine putTally(String key, Map<String, Long> tally) {
    StringBuilder b = new StringBuilder();
    tally.forEach((k, n) -> b.append(b.length() == 0 ? "" : "|").append(k.replaceAll("[\\s|:=]+", "_"))
        .append(':').append(n));
    return put(key, b.toString());
  }

  String format() {
    StringBuilder b = new StringBuilder(PREFIX);
    values.forEach((k, v) -> b.append(k).append('=').append(v).append(' '));
    return b.toString().stripTrailing();
  }

  static Map<String, String> parse(String line) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String word : line.substring(PREFIX.length()).split(" ")) {
      int eq = word.indexOf('=');
      if (eq > 0) {
        m.put(word.substring(0, eq), word.substring(eq + 1));
      }
    }
    return m;
  }

  static Map<String, Long> parseTally(String text) {
    Map<String, Long> m = new TreeMap<>();
    if (text == null || text.isEmpty()) {
      return m;
    }
    for (String pair : text.split("\\|")) {
      int colon = pair.lastIndexOf(':');
      m.merge(pair.substring(0, colon), Long.parseLong(pair.substring(colon + 1)), Long::sum);
    }
    return m;
  }
}
