package dev.wsgate.config;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes in bytes as written in wsgate's YAML: a whole number of bytes ({@code 65536}), or a number and a binary unit
 * ({@code 64KiB}, {@code 1MiB}, {@code 1.5MiB}, {@code 1GiB}; {@code B} for bytes).
 */
public final class DataSizes {

  private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(B|KiB|MiB|GiB)?");
  private static final Pattern DECIMAL_UNIT = Pattern.compile("\\d+(?:\\.\\d+)?\\s*(?i:kb|mb|gb|k|m|g)");

  private DataSizes() {
  }

  /** The number of bytes {@code text} stands for, or empty when it is not a size or not a whole number of bytes. */
  public static Optional<Long> parse(String text) {
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches()) {
      return Optional.empty();
    }
    BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(multiplier(m.group(2))));
    try {
      return Optional.of(bytes.longValueExact());
    } catch (ArithmeticException notWhole) {
      return Optional.empty();
    }
  }

  /** True for {@code 64KB}, {@code 1m} and the like: decimal or ambiguous units, which wsgate does not guess at. */
  static boolean hasAmbiguousUnit(String text) {
    return DECIMAL_UNIT.matcher(text.strip()).matches();
  }

  /** Writes a size the way it is best read: {@code 1MiB}, {@code 64KiB}, or bytes when it is not a round unit. */
  public static String format(long bytes) {
    if (bytes != 0 && bytes % (1L << 30) == 0) {
      return (bytes >> 30) + "GiB";
    }
    if (bytes != 0 && bytes % (1L << 20) == 0) {
      return (bytes >> 20) + "MiB";
    }
    if (bytes != 0 && bytes % (1L << 10) == 0) {
      return (bytes >> 10) + "KiB";
    }
    return Long.toString(bytes);
  }

  private static long multiplier(String unit) {
    if (unit == null) {
      return 1;
    }
    return switch (unit) {
      case "B" -> 1;
      case "KiB" -> 1L << 10;
      case "MiB" -> 1L << 20;
      case "GiB" -> 1L << 30;
      default -> throw new IllegalArgumentException(unit);
    };
  }
}
