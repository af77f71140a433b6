package dev.wsgate.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;

/** Collects every configuration error of one file, so that all of them are reported at once. */
final class Problems {
  private final String source;
  private final LinkedHashSet<ConfigError> errors = new LinkedHashSet<>();

  Problems(String source) {
    this.source = source;
  }

  void add(At at, String message) {
    add(at.line(), at.column(), at.path(), message);
  }

  void add(int line, int column, String path, String message) {
    errors.add(new ConfigError(source, line, column, path, message));
  }

  boolean isEmpty() {
    return errors.isEmpty();
  }

  /** The errors in file order; errors at the same place keep the order they were found in. */
  List<ConfigError> sorted() {
    List<ConfigError> list = new ArrayList<>(errors);
    list.sort(Comparator.comparingInt(ConfigError::line).thenComparingInt(ConfigError::column));
    return list;
  }

  void throwIfAny() throws ConfigException {
    if (!errors.isEmpty()) {
      throw new ConfigException(sorted());
    }
  }
}
