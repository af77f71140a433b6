package dev.wsgate.config;

/** What a leg's rate limit does to a peer that sends faster than its bucket refills. */
public enum RateAction implements YamlEnum {
  /** Stop reading the peer until its bucket holds tokens again: backpressure, nothing lost. */
  DELAY("delay"),
  /** Close the peer with 1008 (policy violation) and the other leg with 1001. */
  CLOSE("close");

  private final String yamlName;

  RateAction(String yamlName) {
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
