package dev.wsgate.config;

/**
 * The request header a trusted proxy ({@code server.trusted-proxies}) appends the address it saw to, and that wsgate
 * reads the client's address from.
 */
public enum ClientAddressHeader implements YamlEnum {
  /** {@code X-Forwarded-For: client, proxy1, proxy2}. */
  X_FORWARDED_FOR("x-forwarded-for"),
  /** RFC 7239 {@code Forwarded: for=client, for=proxy1}: the {@code for=} of each element. */
  FORWARDED("forwarded");

  private final String yamlName;

  ClientAddressHeader(String yamlName) {
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
