package dev.wsgate.config;

/** One of the two connections of a proxied session. */
public enum Leg implements YamlEnum {
  /** Between the client and wsgate. */
  CLIENT("client"),
  /** Between wsgate and the upstream. */
  UPSTREAM("upstream");

  private final String yamlName;

  Leg(String yamlName) {
    this.yamlName = yamlName;
  }

  @Override
  public String yamlName() {
    return yamlName;
  }

  /** The other leg of the same session. */
  public Leg other() {
    return this == CLIENT ? UPSTREAM : CLIENT;
  }

  @Override
  public String toString() {
    return yamlName;
  }
}
