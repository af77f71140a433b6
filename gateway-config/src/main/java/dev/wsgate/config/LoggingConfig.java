package dev.wsgate.config;

import java.util.Objects;

/**
 * How wsgate logs ({@code logging:}).
 *
 * @param format human-readable lines, or JSON lines (one object per event, for log collectors)
 */
public record LoggingConfig(LogFormat format) {

  /** The two log formats. */
  public enum LogFormat implements YamlEnum {
    /** Human-readable lines on the console. */
    TEXT("text"),
    /** One JSON object per line (Logback's JSON encoder). */
    JSON("json");

    private final String yamlName;

    LogFormat(String yamlName) {
      this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
      return yamlName;
    }

    @Override
    public String toString() {
      return yamlName;
    }
  }

  public LoggingConfig {
    Objects.requireNonNull(format, "format");
  }

  public static LoggingConfig defaults() {
    return Schema.LOGGING.defaults();
  }
}
