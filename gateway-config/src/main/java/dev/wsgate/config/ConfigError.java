package dev.wsgate.config;

import java.util.Objects;

/**
 * One mistake in a configuration file, located as the parser saw it.
 *
 * @param source  the file, as named on the command line
 * @param line    1-based line
 * @param column  1-based column
 * @param path    the YAML path of the value, such as {@code routes[2].upstreams[0]}; empty for the whole file
 * @param message what is wrong, usually {@code value (expected: rule)}
 */
public record ConfigError(String source, int line, int column, String path, String message) {

  public ConfigError {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
  }

  /** The error without its location: {@code routes[2].upstreams[0]: ftp://x (expected: ws:// or wss://)}. */
  public String describe() {
    return path.isEmpty() ? message : path + ": " + message;
  }

  /** {@code gateway.yaml:12:9: routes[2].upstreams[0]: ftp://x (expected: ws:// or wss://)}. */
  @Override
  public String toString() {
    return source + ":" + line + ":" + column + ": " + describe();
  }
}
