package dev.wsgate.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/** The value types of keys that are not about HTTP: durations, sizes, numbers, switches, choices, files, text. */
final class Types {
  private Types() {
  }

  /** A type from a parser and a writer. */
  static <T> Type<T> of(BiFunction<At, Values, T> read, Function<T, Object> write) {
    return new Type<>() {
      @Override
      public T read(At at, Values values) {
        return read.apply(at, values);
      }

      @Override
      public Object write(T value) {
        return write.apply(value);
      }
    };
  }

  static Type<Duration> duration(Values.DurationRule rule) {
    return of((at, v) -> v.duration(at, rule), Durations::format);
  }

  /** A size in bytes from {@code min} to {@code max}, written in the largest binary unit that is exact. */
  static Type<Integer> size(long min, long max) {
    return of((at, v) -> {
      Long n = v.size(at, min, max);
      return n == null ? null : n.intValue();
    }, n -> DataSizes.format(n));
  }

  /** A whole number from {@code min} to {@code max}; {@code expected} says so in the words of the key. */
  static Type<Integer> integer(int min, int max, String expected) {
    return of((at, v) -> v.integer(at, min, max, expected), n -> Integer.toString(n));
  }

  /**
   * A whole number from 1 to {@code max} when written; the record holds 0 when it is not, which is written back as
   * absent (a comment), since 0 may not be written.
   */
  static Type<Integer> positiveOrAbsent(int max, String expected) {
    return of((at, v) -> v.integer(at, 1, max, expected), n -> n == 0 ? null : Integer.toString(n));
  }

  /** A size from 1 byte to {@code max} when written; 0 in the record when it is not, written back as absent. */
  static Type<Integer> sizeOrAbsent(long max) {
    return of((at, v) -> {
      Long n = v.size(at, 1, max);
      return n == null ? null : n.intValue();
    }, n -> n == 0 ? null : DataSizes.format(n));
  }

  static Type<Boolean> bool() {
    return of((at, v) -> v.bool(at), b -> Boolean.toString(b));
  }

  /** One of an enum's constants, by YAML name. */
  static <E extends Enum<E> & YamlEnum> Type<E> choice(E[] constants) {
    return of((at, v) -> v.choice(at, constants), YamlEnum::yamlName);
  }

  /** Any text; {@code expected} describes it. */
  static Type<String> text(String expected) {
    return of((at, v) -> v.text(at, expected), Type::scalar);
  }

  /** Text that may not be empty; {@code notEmpty} is what an empty one is told it should be. */
  static Type<String> nonEmptyText(String expected, String notEmpty) {
    return of((at, v) -> {
      String t = v.text(at, expected);
      if (t != null && t.isEmpty()) {
        v.problems().add(at, "'' (expected: " + notEmpty + ")");
        return null;
      }
      return t;
    }, Type::scalar);
  }

  static Type<ListenAddress> listenAddress() {
    return of((at, v) -> v.listenAddress(at), a -> Type.scalar(a.toString()));
  }

  /** A file path, resolved against the configuration file's directory; absent unless set. */
  static Type<Optional<Path>> file(String expected) {
    return of((at, v) -> {
      String t = v.text(at, expected);
      if (t == null) {
        return null;
      }
      try {
        return Optional.of(v.baseDir().resolve(t.strip()).toAbsolutePath().normalize());
      } catch (InvalidPathException e) {
        v.problems().add(at, t + " (expected: a file path; " + e.getReason() + ")");
        return null;
      }
    }, p -> p.map(f -> (Object) Type.scalar(f.toString())).orElse(null));
  }

  /** IP addresses and CIDR ranges ({@link AddressRange}), each once. */
  static Type<List<AddressRange>> addressRanges() {
    return of((at, v) -> {
      List<AddressRange> out = new ArrayList<>();
      for (At item : v.list(at, "IP addresses and CIDR ranges, such as [10.0.0.0/8, 192.0.2.7, 'fd00::/8']")) {
        String t = v.text(item, AddressRange.EXPECTED);
        if (t == null) {
          continue;
        }
        AddressRange.Parsed p = AddressRange.parse(t);
        if (p.range() == null) {
          v.problems().add(item, t + " (expected: " + p.expected() + ")");
        } else if (out.contains(p.range())) {
          v.problems().add(item, t + " (expected: each range once; " + p.range() + " is listed before)");
        } else {
          out.add(p.range());
        }
      }
      return out;
    }, ranges -> ranges.stream().map(r -> Type.scalar(r.toString())).toList());
  }

  /** A close code wsgate may send (see {@link CloseCodeRule}). */
  static Type<Integer> closeCode() {
    return of(CloseCodeRule::read, n -> Integer.toString(n));
  }
}
