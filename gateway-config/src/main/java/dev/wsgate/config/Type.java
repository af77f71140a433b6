package dev.wsgate.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How a key's value is read from YAML and written back: the parser with its rule, and the form the effective
 * configuration prints (durations and sizes in the units users write, booleans as booleans).
 *
 * @param <T> the value's type
 */
interface Type<T> {

  /** The value at {@code at}, or null after reporting one error {@code value (expected: rule)}. */
  T read(At at, Values values);

  /**
   * The value as YAML: a scalar token (quoted where YAML needs it), a {@code List<String>} of tokens, a
   * {@code Map<String, String>} of tokens, or null when the value is absent (an empty {@code Optional}).
   */
  Object write(T value);

  /** A YAML scalar: plain when that reads back as the same string, single-quoted otherwise. */
  static String scalar(String value) {
    if (Plain.PLAIN.matcher(value).matches() && !Plain.RESERVED.contains(value.toLowerCase(Locale.ROOT))) {
      return value;
    }
    return "'" + value.replace("'", "''") + "'";
  }

  /** A written value on one line: a token, {@code [a, b]} or {@code {k: v}}. */
  static String flow(Object written) {
    if (written instanceof List<?> list) {
      return list.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
    }
    if (written instanceof Map<?, ?> map) {
      return map.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
          .collect(Collectors.joining(", ", "{", "}"));
    }
    return String.valueOf(written);
  }

  /** The patterns of {@link #scalar}. */
  final class Plain {
    static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_/.][A-Za-z0-9_./:@+=-]*");
    static final Set<String> RESERVED = Set.of("true", "false", "null", "yes", "no", "on", "off", "y", "n", "~");

    private Plain() {
    }
  }
}
