package dev.wsgate.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration that cannot be used, with every mistake found in it, in file order. */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient List<ConfigError> errors;

  public ConfigException(List<ConfigError> errors) {
    super(render(errors));
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one error");
    }
    this.errors = List.copyOf(errors);
  }

  /** Every error, in file order. */
  public List<ConfigError> errors() {
    return errors;
  }

  private static String render(List<ConfigError> errors) {
    String head = errors.size() == 1 ? "1 error" : errors.size() + " errors";
    return head + " in configuration\n"
        + errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n"));
  }
}
