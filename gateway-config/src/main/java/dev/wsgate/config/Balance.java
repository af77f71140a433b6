package dev.wsgate.config;

/** How a route picks one of its upstreams for a new session. */
public enum Balance implements YamlEnum {
  /** Each upstream in turn. */
  ROUND_ROBIN("round-robin"),
  /** The upstream with the fewest live sessions through this wsgate; ties go in turn. */
  LEAST_SESSIONS("least-sessions"),
  /**
   * Rendezvous hashing of the route's {@code hash-key}: a key goes to the same upstream while the upstreams stay the
   * same; a session without the key goes round-robin.
   */
  HASH("hash");

  private final String yamlName;

  Balance(String yamlName) {
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
