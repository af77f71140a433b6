package dev.wsgate.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in wsgate's YAML: a number and a unit ({@code 500ms}, {@code 25s}, {@code 2m}, {@code 1h}),
 * several of them in a row ({@code 1m30s}), decimals allowed ({@code 1.5s}), or a bare {@code 0}.
 */
public final class Durations {

  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
  private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+");
  private static final Pattern NUMBER = Pattern.compile("-?\\d+(?:\\.\\d+)?");

  private Durations() {
  }

  /** The duration {@code text} stands for, or empty when it is not one (negative values are not). */
  public static Optional<Duration> parse(String text) {
    String t = text.strip();
    if (t.equals("0")) {
      return Optional.of(Duration.ZERO);
    }
    if (!WHOLE.matcher(t).matches()) {
      return Optional.empty();
    }
    BigDecimal nanos = BigDecimal.ZERO;
    Matcher m = PART.matcher(t);
    while (m.find()) {
      nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(nanosPer(m.group(2)))));
    }
    if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofNanos(nanos.longValue()));
  }

  /** True when {@code text} is a plain number, such as {@code 25}: a duration that forgot its unit. */
  static boolean isBareNumber(String text) {
    return NUMBER.matcher(text.strip()).matches();
  }

  /** True when {@code text} is a negative duration, such as {@code -5s}. */
  static boolean isNegative(String text) {
    String t = text.strip();
    return t.startsWith("-") && parse(t.substring(1)).isPresent();
  }

  /**
   * Writes a duration the way it is written in YAML: below ten minutes in seconds ({@code 60s}, {@code 2.5s}) or
   * milliseconds ({@code 500ms}), as people write timeouts; above, in hours, minutes and seconds ({@code 1h30m}).
   */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    if (d.isNegative()) {
      return "-" + format(d.negated());
    }
    if (d.toNanosPart() % 1_000_000 != 0) {
      return d.toNanos() + "ns"; // only from decimals such as 0.0001s: exact rather than pretty
    }
    if (d.compareTo(Duration.ofSeconds(1)) < 0) {
      return d.toMillis() + "ms";
    }
    if (d.compareTo(Duration.ofMinutes(10)) < 0 || d.toMillisPart() != 0) {
      return BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString() + "s";
    }
    StringBuilder out = new StringBuilder();
    if (d.toHours() > 0) {
      out.append(d.toHours()).append('h');
    }
    if (d.toMinutesPart() > 0) {
      out.append(d.toMinutesPart()).append('m');
    }
    if (d.toSecondsPart() > 0) {
      out.append(d.toSecondsPart()).append('s');
    }
    return out.toString();
  }

  private static long nanosPer(String unit) {
    return switch (unit) {
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      default -> throw new IllegalArgumentException(unit);
    };
  }
}
